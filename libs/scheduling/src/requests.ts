import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { PlanRequestStatus, PlanRequestTrigger } from '#gridshift/persistence';
import { PlanRequestNotFoundError } from './errors.js';
import { queryRows } from './sql.js';

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
  const id = randomUUID();
  await db.query(`insert into plan_requests (id, trigger, requested_by, reason) values ($1, $2, $3, $4)`, [
    id,
    input.trigger,
    input.requestedBy,
    input.reason ?? null,
  ]);
  return id;
}

/** Status of a plan request and the schedule that answered it; throws PlanRequestNotFoundError. */
export async function getPlanRequest(db: DataSource | EntityManager, id: string): Promise<PlanRequestView> {
  if (!UUID.test(id)) throw new PlanRequestNotFoundError(id);
  const rows = await db.query<
    {
      id: string;
      trigger: PlanRequestTrigger;
      requested_by: string;
      reason: string | null;
      status: PlanRequestStatus;
      schedule_id: string | null;
      error: string | null;
      created_at: Date;
      started_at: Date | null;
      finished_at: Date | null;
    }[]
  >(`select * from plan_requests where id = $1`, [id]);
  const r = rows[0];
  if (!r) throw new PlanRequestNotFoundError(id);
  return {
    id: r.id,
    trigger: r.trigger,
    requestedBy: r.requested_by,
    reason: r.reason,
    status: r.status,
    scheduleId: r.schedule_id,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/**
 * Claims every open request for the leader with `epoch`: pending ones, and running ones claimed under an
 * older epoch (their planner died). One plan answers them all. Returns the claimed ids and triggers.
 */
export async function claimPlanRequests(
  db: DataSource,
  epoch: number,
): Promise<{ id: string; trigger: PlanRequestTrigger }[]> {
  return queryRows<{ id: string; trigger: PlanRequestTrigger }>(
    db,
    `update plan_requests set status = 'running', claimed_epoch = $1, started_at = now()
     where id in (
       select id from plan_requests
       where status = 'pending' or (status = 'running' and claimed_epoch < $1)
       order by created_at for update skip locked)
     returning id, trigger`,
    [epoch],
  );
}

/** Marks claimed requests failed (the plan could not be made), unless a newer leader re-claimed them. */
export async function failPlanRequests(
  db: DataSource,
  ids: string[],
  epoch: number,
  error: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `update plan_requests set status = 'failed', error = $3, finished_at = now()
     where id = any($1::uuid[]) and status = 'running' and claimed_epoch = $2`,
    [ids, epoch, error.slice(0, 2000)],
  );
}
