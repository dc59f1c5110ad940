import type { DataSource, EntityManager } from 'typeorm';
import { TOPICS, type PlacementOrderV1 } from '#gridshift/contracts';
import { AuditRepository, type ScheduleStatus } from '#gridshift/persistence';
import { InvalidScheduleTransitionError, ScheduleNotFoundError } from './errors.js';
import {
  buildPlacementOrders,
  placementMessageId,
  type BuildOrdersInput,
  type PreviousOrder,
} from './orders.js';
import { queryRows } from './sql.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The LISTEN/NOTIFY channel of a deployment schema (see migration 1732380000007). */
export function plannerChannel(schema: string): string {
  return `gridshift_${schema}`;
}

/** Who approves or rejects, and why (goes to the audit log). */
export interface LifecycleActor {
  actor: string;
  reason?: string;
}

export interface ApproveResult {
  scheduleId: string;
  version: number;
  status: 'approved' | 'published';
  /** Version of the schedule in force that this one replaces, null for the first. */
  supersedesVersion: number | null;
  /** Placement orders written to the outbox (one per affected cluster). */
  orders: number;
  /** Older drafts / approved-but-unpublished versions this approval superseded. */
  supersededVersions: number[];
}

export interface RejectResult {
  scheduleId: string;
  version: number | null;
  status: 'rejected';
}

interface ApproveOptions extends LifecycleActor {
  /** Audit action; default `schedule.approve`. */
  action?: string;
  /** The placements, when the caller has them in memory (the planner); otherwise read from the table. */
  placements?: { jobId: string; clusterId: string; slotStartUtc: string; gpus: number }[];
  /** The planner's epoch: its outbox rows carry it. Operators' approvals use the current lease epoch. */
  writerEpoch?: number | null;
  now?: Date;
  /**
   * The orders, when the caller built them already in this transaction (`prepareOrders`, after
   * `lockApprovals`) — the planner does it while the server writes the schedule row.
   */
  prepared?: PreparedOrders;
}

/** Placement orders of one version with their JSON payloads, built under the approval lock. */
export interface PreparedOrders {
  version: number;
  now: Date;
  orders: { order: PlacementOrderV1; payload: string }[];
}

/** Serialises approvals of a deployment for the rest of the transaction (re-entrant). */
export async function lockApprovals(manager: EntityManager): Promise<void> {
  await manager.query(`select pg_advisory_xact_lock(hashtext('gridshift-approve:' || current_schema()))`);
}

/** Per cluster, the latest order written before `version` (call after `lockApprovals`). */
export async function previousOrdersBefore(
  manager: EntityManager,
  version: number,
): Promise<Map<string, PreviousOrder>> {
  // Only those payloads are read (they can be hundreds of kB each).
  const rows = await manager.query<{ cluster_id: string; version: number; had: boolean }[]>(
    `select c.cluster_id, o.schedule_version as version, json_array_length(o.payload->'slots') > 0 as had
     from (select distinct cluster_id from outbox where schedule_version < $1) c
     cross join lateral (
       select schedule_version, payload from outbox
       where outbox.cluster_id = c.cluster_id and schedule_version < $1
       order by schedule_version desc limit 1) o`,
    [version],
  );
  return new Map(rows.map((r) => [r.cluster_id, { version: r.version, hadAssignments: r.had }]));
}

/** The orders of `version` (pure but for the payloads' serialisation), see `buildPlacementOrders`. */
export function prepareOrders(input: BuildOrdersInput & { now: Date }): PreparedOrders {
  return {
    version: input.version,
    now: input.now,
    orders: buildPlacementOrders(input).map((order) => ({ order, payload: JSON.stringify(order) })),
  };
}

interface LockedSchedule {
  id: string;
  kind: 'plan' | 'what-if';
  status: ScheduleStatus;
  version: number | null;
  slot_minutes: number;
}

async function lockSchedule(manager: EntityManager, scheduleId: string): Promise<LockedSchedule> {
  if (!UUID.test(scheduleId)) throw new ScheduleNotFoundError(scheduleId);
  const rows = await manager.query<LockedSchedule[]>(
    `select id, kind, status, version, slot_minutes from schedules where id = $1 for update`,
    [scheduleId],
  );
  const row = rows[0];
  if (!row) throw new ScheduleNotFoundError(scheduleId);
  return row;
}

/**
 * Approves a draft inside the caller's transaction: draft → approved, older drafts and approved-but-unsent
 * versions → superseded, one placement order per affected cluster into the outbox (same transaction), an
 * audit row, and a notification that wakes the relay. Refuses (InvalidScheduleTransitionError) when the
 * schedule is not a draft or a newer version is already approved or published.
 */
export async function approveInTransaction(
  manager: EntityManager,
  scheduleId: string,
  options: ApproveOptions,
): Promise<ApproveResult> {
  // One approval at a time per deployment: versions enter the outbox in version order.
  await lockApprovals(manager);
  const schedule = await lockSchedule(manager, scheduleId);
  if (schedule.kind !== 'plan' || schedule.status !== 'draft' || schedule.version === null) {
    throw new InvalidScheduleTransitionError(
      scheduleId,
      schedule.status,
      'approved',
      schedule.kind === 'what-if' ? 'what-if schedules are never approved or published' : undefined,
    );
  }
  const version = schedule.version;
  const newer = await manager.query<{ version: number; status: ScheduleStatus }[]>(
    `select version, status from schedules
     where kind = 'plan' and version > $1 and status in ('approved','published') order by version desc limit 1`,
    [version],
  );
  if (newer[0]) {
    throw new InvalidScheduleTransitionError(
      scheduleId,
      'draft',
      'approved',
      `version ${newer[0].version} is already ${newer[0].status}`,
    );
  }
  const inForce = await manager.query<{ version: number }[]>(
    `select version from schedules where kind = 'plan' and status in ('approved','published') and version < $1
     order by version desc limit 1`,
    [version],
  );
  const supersedesVersion = inForce[0]?.version ?? null;
  if (options.prepared && options.prepared.version !== version) {
    throw new Error(
      `orders prepared for version ${options.prepared.version}, schedule is version ${version}`,
    );
  }
  const now = options.prepared?.now ?? options.now ?? new Date();
  await manager.query(
    `update schedules set status = 'approved', approved_at = $2, approved_by = $3, supersedes_version = $4
     where id = $1`,
    [scheduleId, now, options.actor, supersedesVersion],
  );
  const superseded = await queryRows<{ version: number }>(
    manager,
    `update schedules set status = 'superseded'
     where kind = 'plan' and version < $1 and status in ('draft','approved') returning version`,
    [version],
  );

  const prepared =
    options.prepared ??
    prepareOrders({
      scheduleId,
      version,
      now,
      issuedAtUtc: now.toISOString(),
      slotMinutes: schedule.slot_minutes,
      placements:
        options.placements ??
        (
          await manager.query<{ job_id: string; cluster_id: string; slot_start: Date; gpus: number }[]>(
            `select job_id, cluster_id, slot_start, gpus from placements where schedule_id = $1 and gpus > 0`,
            [scheduleId],
          )
        ).map((r) => ({
          jobId: r.job_id,
          clusterId: r.cluster_id,
          slotStartUtc: r.slot_start.toISOString(),
          gpus: r.gpus,
        })),
      previousOrders: await previousOrdersBefore(manager, version),
    });
  const orders = prepared.orders;
  await enqueueOrders(manager, orders, options.writerEpoch ?? null);

  let status: ApproveResult['status'] = 'approved';
  if (orders.length === 0) {
    // Nothing to deliver: the schedule is in force at once.
    await markPublished(manager, [scheduleId], now);
    status = 'published';
  }
  await new AuditRepository(manager).record(
    {
      actor: options.actor,
      action: options.action ?? 'schedule.approve',
      targetType: 'schedule',
      targetId: scheduleId,
      before: { status: 'draft', version },
      after: {
        status,
        version,
        supersedesVersion,
        orders: orders.length,
        supersededVersions: superseded.map((s) => s.version),
      },
      reason: options.reason ?? null,
    },
    manager,
  );
  await manager.query(`select pg_notify('gridshift_' || current_schema(), 'outbox')`);
  return {
    scheduleId,
    version,
    status,
    supersedesVersion,
    orders: orders.length,
    supersededVersions: superseded.map((s) => s.version),
  };
}

/** Writes placement orders into the outbox (message id = schedule + cluster, so a replay is a no-op). */
async function enqueueOrders(
  manager: EntityManager,
  orders: PreparedOrders['orders'],
  writerEpoch: number | null,
): Promise<void> {
  if (orders.length === 0) return;
  const epoch =
    writerEpoch ??
    Number(
      (
        await manager.query<{ epoch: string }[]>(
          `select coalesce((select epoch from planner_leases where name = 'planner'), 0)::text as epoch`,
        )
      )[0]!.epoch,
    );
  // One VALUES row per order with its own parameters: a text[] of payloads (hundreds of kB of JSON each)
  // would be escaped by the driver and parsed twice by the server.
  for (let i = 0; i < orders.length; i += ORDERS_PER_STATEMENT) {
    const params: unknown[] = [TOPICS.placements, epoch];
    const values = orders.slice(i, i + ORDERS_PER_STATEMENT).map(({ order: o, payload }) => {
      params.push(
        placementMessageId(o.scheduleId, o.clusterId),
        o.clusterId,
        payload,
        o.scheduleId,
        o.scheduleVersion,
      );
      const n = params.length;
      return `($${n - 4}, $1, $${n - 3}, $${n - 2}::json, '{}'::jsonb, $${n - 1}::uuid, $${n}::int, $${n - 3}, $2::bigint)`;
    });
    await manager.query(
      `insert into outbox (message_id, topic, message_key, payload, headers, schedule_id, schedule_version,
                           cluster_id, leader_epoch)
       values ${values.join(', ')}
       on conflict (message_id) do nothing`,
      params,
    );
  }
}

const ORDERS_PER_STATEMENT = 5_000;

/** Marks approved schedules published and every older published version superseded. */
export async function markPublished(
  manager: EntityManager | DataSource,
  scheduleIds: string[],
  now = new Date(),
): Promise<number[]> {
  const published = await queryRows<{ version: number }>(
    manager,
    `update schedules set status = 'published', published_at = $2
     where id = any($1::uuid[]) and status = 'approved' returning version`,
    [scheduleIds, now],
  );
  if (published.length > 0) {
    const newest = Math.max(...published.map((p) => p.version));
    await manager.query(
      `update schedules set status = 'superseded'
       where kind = 'plan' and status = 'published' and version < $1`,
      [newest],
    );
  }
  return published.map((p) => p.version);
}

/**
 * Operator actions on a schedule, each in ONE transaction with its audit row. Plain class over a TypeORM
 * DataSource (no Nest), shared by the admin API and the planner. Errors are domain errors:
 * `ScheduleNotFoundError`, `InvalidScheduleTransitionError` (with `from`/`to`).
 */
export class ScheduleLifecycle {
  constructor(private readonly dataSource: DataSource) {}

  /** draft → approved; writes one placement order per affected cluster to the outbox; the relay then publishes. */
  approve(scheduleId: string, by: LifecycleActor): Promise<ApproveResult> {
    return this.dataSource.transaction((manager) =>
      approveInTransaction(manager, scheduleId, { actor: by.actor, reason: by.reason }),
    );
  }

  /** draft → rejected, with the reason in the schedule and the audit log; nothing is published. */
  reject(scheduleId: string, by: LifecycleActor & { reason: string }): Promise<RejectResult> {
    return this.dataSource.transaction(async (manager) => {
      const schedule = await lockSchedule(manager, scheduleId);
      if (schedule.kind !== 'plan' || schedule.status !== 'draft') {
        throw new InvalidScheduleTransitionError(scheduleId, schedule.status, 'rejected');
      }
      await manager.query(
        `update schedules set status = 'rejected', rejected_at = now(), rejected_by = $2, rejected_reason = $3
         where id = $1`,
        [scheduleId, by.actor, by.reason],
      );
      await new AuditRepository(manager).record(
        {
          actor: by.actor,
          action: 'schedule.reject',
          targetType: 'schedule',
          targetId: scheduleId,
          before: { status: 'draft', version: schedule.version },
          after: { status: 'rejected', version: schedule.version },
          reason: by.reason,
        },
        manager,
      );
      return { scheduleId, version: schedule.version, status: 'rejected' as const };
    });
  }
}
