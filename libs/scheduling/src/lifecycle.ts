import type { DataSource, EntityManager } from 'typeorm';
import {
  encodeOrderReasons,
  HEADERS,
  TOPICS,
  type OrderReasonV1,
  type PlacementOrderV1,
} from '#gridshift/contracts';
import {
  AuditRepository,
  OutboxRepository,
  PlacementCellRepository,
  PlannerLeaseRepository,
  ScheduleRepository,
  type LockedScheduleRow,
} from '#gridshift/persistence';
import { InvalidScheduleTransitionError, ScheduleNotFoundError } from './errors.js';
import { gridEventOrderReasons } from './grid-events.js';
import {
  buildPlacementOrders,
  placementMessageId,
  type BuildOrdersInput,
  type PreviousOrder,
} from './orders.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  /** Each order with its JSON payload and the Kafka headers it is sent with (`gridshift-reasons`). */
  orders: { order: PlacementOrderV1; payload: string; headers: Record<string, string> }[];
}

/** Serialises approvals of a deployment for the rest of the transaction (re-entrant). */
export async function lockApprovals(manager: EntityManager): Promise<void> {
  await new ScheduleRepository(manager).lockApprovals();
}

/** Per cluster, the latest order written before `version` (call after `lockApprovals`). */
export async function previousOrdersBefore(
  manager: EntityManager,
  version: number,
): Promise<Map<string, PreviousOrder>> {
  const rows = await new OutboxRepository(manager).latestOrdersBefore(version);
  return new Map(rows.map((r) => [r.clusterId, { version: r.version, hadAssignments: r.hadAssignments }]));
}

/**
 * The orders of `version` (pure but for the payloads' serialisation), see `buildPlacementOrders`; `reasons` per
 * cluster go into each order's `gridshift-reasons` header (`gridEventOrderReasons` of the schedule's assumptions).
 */
export function prepareOrders(
  input: BuildOrdersInput & { now: Date; reasons?: ReadonlyMap<string, OrderReasonV1[]> },
): PreparedOrders {
  return {
    version: input.version,
    now: input.now,
    orders: buildPlacementOrders(input).map((order) => {
      const reasons = encodeOrderReasons(input.reasons?.get(order.clusterId) ?? []);
      const headers: Record<string, string> = {};
      if (reasons !== undefined) headers[HEADERS.reasons] = reasons;
      return { order, payload: JSON.stringify(order), headers };
    }),
  };
}

async function lockSchedule(manager: EntityManager, scheduleId: string): Promise<LockedScheduleRow> {
  if (!UUID.test(scheduleId)) throw new ScheduleNotFoundError(scheduleId);
  const row = await new ScheduleRepository(manager).lockForTransition(scheduleId);
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
  const schedules = new ScheduleRepository(manager);
  const newer = await schedules.newerApprovedPlan(version);
  if (newer) {
    throw new InvalidScheduleTransitionError(
      scheduleId,
      'draft',
      'approved',
      `version ${newer.version} is already ${newer.status}`,
    );
  }
  const supersedesVersion = await schedules.versionInForceBelow(version);
  if (options.prepared && options.prepared.version !== version) {
    throw new Error(
      `orders prepared for version ${options.prepared.version}, schedule is version ${version}`,
    );
  }
  const now = options.prepared?.now ?? options.now ?? new Date();
  await schedules.markApproved(scheduleId, now, options.actor, supersedesVersion);
  const supersededVersions = await schedules.supersedeUnpublishedBelow(version);

  const prepared =
    options.prepared ??
    prepareOrders({
      scheduleId,
      version,
      now,
      issuedAtUtc: now.toISOString(),
      slotMinutes: schedule.slotMinutes,
      placements:
        options.placements ??
        (await new PlacementCellRepository(manager).ofSchedule(scheduleId, { withGpusOnly: true })).map(
          (r) => ({
            jobId: r.jobId,
            clusterId: r.clusterId,
            slotStartUtc: r.slotStart.toISOString(),
            gpus: r.gpus,
          }),
        ),
      previousOrders: await previousOrdersBefore(manager, version),
      reasons: gridEventOrderReasons(await schedules.gridEventAssumptions(scheduleId)),
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
        supersededVersions,
      },
      reason: options.reason ?? null,
    },
    manager,
  );
  await new OutboxRepository(manager).notifyRelay();
  return {
    scheduleId,
    version,
    status,
    supersedesVersion,
    orders: orders.length,
    supersededVersions,
  };
}

/** Writes placement orders into the outbox (message id = schedule + cluster, so a replay is a no-op). */
async function enqueueOrders(
  manager: EntityManager,
  orders: PreparedOrders['orders'],
  writerEpoch: number | null,
): Promise<void> {
  if (orders.length === 0) return;
  const epoch = writerEpoch ?? (await new PlannerLeaseRepository(manager).currentEpoch());
  await new OutboxRepository(manager).enqueue(
    TOPICS.placements,
    epoch,
    orders.map(({ order: o, payload, headers }) => ({
      messageId: placementMessageId(o.scheduleId, o.clusterId),
      clusterId: o.clusterId,
      scheduleId: o.scheduleId,
      scheduleVersion: o.scheduleVersion,
      payload,
      hasAssignments: o.slots.length > 0,
      headers,
    })),
  );
}

/** Marks approved schedules published and every older published version superseded. */
export function markPublished(
  manager: EntityManager | DataSource,
  scheduleIds: string[],
  now = new Date(),
): Promise<number[]> {
  return new ScheduleRepository(manager).markPublished(scheduleIds, now);
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
      await new ScheduleRepository(manager).markRejected(scheduleId, by.actor, by.reason);
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
