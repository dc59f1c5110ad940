import type { DataSource, EntityManager } from 'typeorm';
import {
  PlanRequestRepository,
  type PlanRequestStatus,
  type PlanRequestTrigger,
} from '#gridshift/persistence';
import { PlanRequestNotFoundError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PlanRequestInput {
  /** `manual`: an operator asked for a re-plan; `override`: after a pin/forbid change. */
  trigger: PlanRequestTrigger;
  requestedBy: string;
  reason?: string;
}

export interface PlanRequestView {
  id: string;
  trigger: PlanRequestTrigger;
  requestedBy: string;
  reason: string | null;
  status: PlanRequestStatus;
  /** The schedule that answered the request (set when `done`). */
  scheduleId: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * Files a plan request; the active planner is woken by a database notification (committed with the row)
 * and answers it with a new schedule. Pass a transaction's manager to file it atomically with a change
 * (e.g. a pin). Returns the request id.
 */
export async function requestPlan(db: DataSource | EntityManager, input: PlanRequestInput): Promise<string> {
  return new PlanRequestRepository(db).file({
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    reason: input.reason ?? null,
  });
}

/** Status of a plan request and the schedule that answered it; throws PlanRequestNotFoundError. */
export async function getPlanRequest(db: DataSource | EntityManager, id: string): Promise<PlanRequestView> {
  if (!UUID.test(id)) throw new PlanRequestNotFoundError(id);
  const r = await new PlanRequestRepository(db).find(id);
  if (!r) throw new PlanRequestNotFoundError(id);
  return {
    ...r,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Claims every open request for the leader with `epoch`: pending ones, and running ones claimed under an
 * older epoch (their planner died). One plan answers them all. Returns the claimed ids and triggers.
 */
export function claimPlanRequests(
  db: DataSource,
  epoch: number,
): Promise<{ id: string; trigger: PlanRequestTrigger }[]> {
  return new PlanRequestRepository(db).claimOpen(epoch);
}

/** Marks claimed requests failed (the plan could not be made), unless a newer leader re-claimed them. */
export async function failPlanRequests(
  db: DataSource,
  ids: string[],
  epoch: number,
  error: string,
): Promise<void> {
  if (ids.length === 0) return;
  await new PlanRequestRepository(db).markFailed(ids, epoch, error);
}
