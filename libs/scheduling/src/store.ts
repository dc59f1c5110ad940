import type { DataSource } from 'typeorm';
import {
  AuditRepository,
  encodePlacementCells,
  PlacementCellRepository,
  PlannerLeaseRepository,
  PlanRequestRepository,
  ScheduleRepository,
  type AuditEntry,
} from '#gridshift/persistence';
import type { ApprovalDecision, ScheduleAccount } from './account.js';
import type { Assumption } from './assumptions.js';
import {
  approveInTransaction,
  lockApprovals,
  prepareOrders,
  previousOrdersBefore,
  type ApproveResult,
} from './lifecycle.js';
import type { SchedulePlacement } from './checked-placements.js';
import { gridEventOrderReasons } from './grid-events.js';
import { snapshotDocument, type InputSnapshot, type SnapshotDocument } from './snapshot.js';

/** Everything stored for one schedule. */
export interface ScheduleRecord {
  id: string;
  kind: 'plan' | 'what-if';
  trigger: string;
  leaderEpoch: number;
  horizonStartUtc: string;
  horizonEndUtc: string;
  slotMinutes: number;
  snapshot: InputSnapshot;
  /** The snapshot as stored (`snapshotDocument`) when the caller has it already; else it is serialised here. */
  document?: SnapshotDocument;
  inputHash: string;
  account: ScheduleAccount;
  assumptions: Assumption[];
  approval: ApprovalDecision | null;
  /** Wall-clock ms per phase, stored with the solver statistics. */
  phaseMs: Record<string, number>;
  placements: SchedulePlacement[];
}

export interface StoreOptions {
  /** The planner's leader epoch, declared for the fencing trigger; null for operator writes (what-if). */
  writerEpoch: number | null;
  /** Approve in the same transaction (auto-approval): outbox rows commit with the schedule. */
  approve?: { actor: string; reason?: string };
  /** Plan requests this schedule answers; marked done in the same transaction. */
  planRequestIds?: string[];
  /** Audit row written in the same transaction (e.g. a what-if run). */
  audit?: AuditEntry;
}

export interface StoredSchedule {
  id: string;
  version: number | null;
  status: 'draft' | 'approved' | 'published' | 'what-if';
  approval: ApproveResult | null;
  /** Milliseconds per step of the transaction (begin, inputs, schedule row, placements, approval, commit). */
  timingsMs: Record<string, number>;
}

/**
 * Phase 6 — stores the schedule, its placements, (when approved) its outbox rows and the answered plan
 * requests in ONE transaction. A plan gets the next version. With `writerEpoch` the transaction declares
 * the planner's epoch, so the database rejects it (SQLSTATE GSE01) if a newer leader exists.
 */
export async function storeSchedule(
  dataSource: DataSource,
  record: ScheduleRecord,
  options: StoreOptions,
): Promise<StoredSchedule> {
  const timingsMs: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timingsMs[name] = Math.round((now - mark) * 10) / 10;
    mark = now;
  };
  const stored = await dataSource.transaction(async (manager) => {
    const schedules = new ScheduleRepository(manager);
    if (options.writerEpoch !== null)
      await new PlannerLeaseRepository(manager).declareWriterEpoch(options.writerEpoch);
    const approving = options.approve !== undefined && record.kind === 'plan';
    // Approvals are serialised from here on, so the earlier orders read below stay the latest ones.
    if (approving) await lockApprovals(manager);
    let version: number | null = null;
    if (record.kind === 'plan') version = await schedules.nextPlanVersion();
    const previousOrders = approving ? await previousOrdersBefore(manager, version!) : null;
    lap('begin');
    const document = record.document ?? snapshotDocument(record.snapshot);
    // The job set is stored once per distinct content; a re-plan on new prices only references it.
    if (document.jobs) await schedules.storeInputPart(document.jobs.hash, document.jobs.json);
    lap('inputs');
    const a = record.account;
    const insertingSchedule = schedules.insert({
      id: record.id,
      version,
      kind: record.kind,
      trigger: record.trigger,
      leaderEpoch: record.leaderEpoch,
      horizonStartUtc: record.horizonStartUtc,
      horizonEndUtc: record.horizonEndUtc,
      slotMinutes: record.slotMinutes,
      inputSnapshotJson: document.json,
      inputJobsHash: document.jobs?.hash ?? null,
      inputHash: record.inputHash,
      solverStats: { ...a.solver, phaseMs: record.phaseMs },
      totals: a.totals,
      baselines: a.baselines,
      savings: a.savings,
      assumptions: record.assumptions,
      shortfalls: a.shortfalls,
      objective: a.totals.totalCost,
      approval: record.approval,
    });
    // While the server parses and stores the schedule row (megabytes of JSON), this thread builds the
    // placement cells and the orders: once the driver has sent the statement, the two run in parallel.
    insertingSchedule.catch(() => undefined); // awaited below; a rejection meanwhile is not unhandled
    await new Promise((resolve) => setImmediate(resolve));
    const cells = encodePlacementCells(
      record.id,
      record.placements,
      record.horizonStartUtc,
      record.slotMinutes,
    );
    const now = new Date();
    const prepared =
      previousOrders === null
        ? undefined
        : prepareOrders({
            scheduleId: record.id,
            version: version!,
            now,
            issuedAtUtc: now.toISOString(),
            slotMinutes: record.slotMinutes,
            placements: record.placements,
            previousOrders,
            reasons: gridEventOrderReasons(record.assumptions),
          });
    await insertingSchedule;
    lap('schedule');
    await new PlacementCellRepository(manager).insert(cells);
    lap('placements');
    let approval: ApproveResult | null = null;
    if (approving && options.approve) {
      approval = await approveInTransaction(manager, record.id, {
        actor: options.approve.actor,
        reason: options.approve.reason,
        action: 'schedule.auto-approve',
        prepared,
        writerEpoch: options.writerEpoch,
      });
    }
    if (options.planRequestIds && options.planRequestIds.length > 0) {
      await new PlanRequestRepository(manager).markDone(options.planRequestIds, record.id);
    }
    if (options.audit) await new AuditRepository(manager).record(options.audit, manager);
    lap('approve');
    return {
      id: record.id,
      version,
      status: record.kind === 'what-if' ? ('what-if' as const) : (approval?.status ?? ('draft' as const)),
      approval,
      timingsMs,
    };
  });
  lap('commit');
  return stored;
}
