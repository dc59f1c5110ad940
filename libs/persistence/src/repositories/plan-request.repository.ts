import { randomUUID } from 'node:crypto';
import type { PlanRequestStatus, PlanRequestTrigger } from '../types.js';
import { queryRows, type Queryable } from './query.js';

/** A `plan_requests` row. */
export interface PlanRequestRow {
  id: string;
  trigger: PlanRequestTrigger;
  requestedBy: string;
  reason: string | null;
  status: PlanRequestStatus;
  scheduleId: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Re-plans asked for by operators. Filing one notifies the planner (trigger of migration 1732380000007,
 * committed with the row); the leader claims open requests under its epoch and marks them done or failed.
 * Pass a transaction's manager to the constructor to file a request atomically with a change (a pin).
 */
export class PlanRequestRepository {
  constructor(private readonly db: Queryable) {}

  /** Files a pending request; returns its id. */
  async file(input: {
    trigger: PlanRequestTrigger;
    requestedBy: string;
    reason: string | null;
  }): Promise<string> {
    const id = randomUUID();
    await this.db.query(
      `insert into plan_requests (id, trigger, requested_by, reason) values ($1, $2, $3, $4)`,
      [id, input.trigger, input.requestedBy, input.reason],
    );
    return id;
  }

  /** One request, or undefined (`id` must be a UUID). */
  async find(id: string): Promise<PlanRequestRow | undefined> {
    const rows = await this.db.query<
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
    >(
      `select id, trigger, requested_by, reason, status, schedule_id, error, created_at, started_at, finished_at
       from plan_requests where id = $1`,
      [id],
    );
    const r = rows[0];
    return r
      ? {
          id: r.id,
          trigger: r.trigger,
          requestedBy: r.requested_by,
          reason: r.reason,
          status: r.status,
          scheduleId: r.schedule_id,
          error: r.error,
          createdAt: r.created_at,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
        }
      : undefined;
  }

  /**
   * Claims every open request for the leader with `epoch`: pending ones, and running ones claimed under an
   * older epoch (their planner died). Returns the claimed ids and triggers.
   */
  claimOpen(epoch: number): Promise<{ id: string; trigger: PlanRequestTrigger }[]> {
    return queryRows<{ id: string; trigger: PlanRequestTrigger }>(
      this.db,
      `update plan_requests set status = 'running', claimed_epoch = $1, started_at = now()
       where id in (
         select id from plan_requests
         where status = 'pending' or (status = 'running' and claimed_epoch < $1)
         order by created_at for update skip locked)
       returning id, trigger`,
      [epoch],
    );
  }

  /** Marks running requests done, answered by `scheduleId` (inside the transaction that stores it). */
  async markDone(ids: readonly string[], scheduleId: string): Promise<void> {
    await this.db.query(
      `update plan_requests set status = 'done', schedule_id = $2, finished_at = now()
       where id = any($1::uuid[]) and status = 'running'`,
      [ids, scheduleId],
    );
  }

  /** Marks requests claimed under `epoch` failed (unless a newer leader re-claimed them); error ≤ 2,000 chars. */
  async markFailed(ids: readonly string[], epoch: number, error: string): Promise<void> {
    await this.db.query(
      `update plan_requests set status = 'failed', error = $3, finished_at = now()
       where id = any($1::uuid[]) and status = 'running' and claimed_epoch = $2`,
      [ids, epoch, error.slice(0, 2000)],
    );
  }
}
