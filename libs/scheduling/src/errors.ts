import type { ScheduleStatus } from '#gridshift/persistence';

/** No schedule with this id (or it is not of the expected kind). */
export class ScheduleNotFoundError extends Error {
  readonly code = 'SCHEDULE_NOT_FOUND';
  constructor(readonly scheduleId: string) {
    super(`schedule ${scheduleId} does not exist`);
    this.name = 'ScheduleNotFoundError';
  }
}

/** A lifecycle action that the schedule's current status does not allow (e.g. approving a published one). */
export class InvalidScheduleTransitionError extends Error {
  readonly code = 'INVALID_SCHEDULE_TRANSITION';
  constructor(
    readonly scheduleId: string,
    readonly from: ScheduleStatus,
    readonly to: ScheduleStatus,
    /** Why, when the status alone does not say it (e.g. a newer version is already approved). */
    readonly reason?: string,
  ) {
    super(`schedule ${scheduleId} cannot go from ${from} to ${to}${reason ? `: ${reason}` : ''}`);
    this.name = 'InvalidScheduleTransitionError';
  }
}

/** No plan request with this id. */
export class PlanRequestNotFoundError extends Error {
  readonly code = 'PLAN_REQUEST_NOT_FOUND';
  constructor(readonly requestId: string) {
    super(`plan request ${requestId} does not exist`);
    this.name = 'PlanRequestNotFoundError';
  }
}

/** A what-if scenario that does not validate; `path` names the offending field. */
export class InvalidScenarioError extends Error {
  readonly code = 'INVALID_SCENARIO';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`scenario.${path}: ${message}`);
    this.name = 'InvalidScenarioError';
  }
}

/** The planner has nothing to plan (no active cluster), so no schedule was produced. */
export class NothingToPlanError extends Error {
  readonly code = 'NOTHING_TO_PLAN';
  constructor(message: string) {
    super(message);
    this.name = 'NothingToPlanError';
  }
}

/** SQLSTATE raised by the epoch-fencing trigger (migration 1732380000006). */
export const STALE_EPOCH_SQLSTATE = 'GSE01';

/** True when the database rejected a write because it carried an older leader epoch than the current one. */
export function isStaleEpochError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; driverError?: unknown };
  if (e.code === STALE_EPOCH_SQLSTATE) return true;
  return e.driverError !== undefined && isStaleEpochError(e.driverError);
}
