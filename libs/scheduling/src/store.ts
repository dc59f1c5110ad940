import type { DataSource, EntityManager } from 'typeorm';
import { AuditRepository, type AuditEntry } from '#gridshift/persistence';
import type { ApprovalDecision, ScheduleAccount } from './account.js';
import type { Assumption } from './assumptions.js';
import {
  approveInTransaction,
  lockApprovals,
  prepareOrders,
  previousOrdersBefore,
  type ApproveResult,
} from './lifecycle.js';
import type { SchedulePlacement } from './round.js';
import type { InputSnapshot } from './snapshot.js';

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
  /** The snapshot as JSON text when the caller has it already (`snapshotDocument`); else it is serialised here. */
  snapshotJson?: string;
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
  /** Milliseconds per step of the transaction (schedule row, placements, approval, commit). */
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
    if (options.writerEpoch !== null) {
      await manager.query(
        `select set_config('gridshift.leader_epoch', $1, true),
                set_config('idle_in_transaction_session_timeout', '10s', true)`,
        [String(options.writerEpoch)],
      );
    }
    const approving = options.approve !== undefined && record.kind === 'plan';
    // Approvals are serialised from here on, so the earlier orders read below stay the latest ones.
    if (approving) await lockApprovals(manager);
    let version: number | null = null;
    if (record.kind === 'plan') {
      const rows = await manager.query<{ v: number }[]>(
        `select coalesce(max(version), 0) + 1 as v from schedules`,
      );
      version = rows[0]!.v;
    }
    const previousOrders = approving ? await previousOrdersBefore(manager, version!) : null;
    const a = record.account;
    const insertingSchedule = manager.query(
      `insert into schedules (id, version, kind, status, trigger, leader_epoch, horizon_start, horizon_end,
         slot_minutes, input_snapshot, input_hash, solver_stats, totals, baselines, savings, assumptions,
         shortfalls, explanations, objective, approval)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json, $11, $12::jsonb, $13::jsonb, $14::jsonb,
         $15::jsonb, $16::jsonb, $17::jsonb, $18::json, $19, $20::jsonb)`,
      [
        record.id,
        version,
        record.kind,
        record.kind === 'what-if' ? 'what-if' : 'draft',
        record.trigger,
        record.leaderEpoch,
        record.horizonStartUtc,
        record.horizonEndUtc,
        record.slotMinutes,
        record.snapshotJson ?? JSON.stringify(record.snapshot),
        record.inputHash,
        JSON.stringify({ ...a.solver, phaseMs: record.phaseMs }),
        JSON.stringify(a.totals),
        JSON.stringify(a.baselines),
        JSON.stringify(a.savings),
        JSON.stringify(record.assumptions),
        JSON.stringify(a.shortfalls),
        JSON.stringify(a.explanations),
        a.totals.totalCost,
        record.approval === null ? null : JSON.stringify(record.approval),
      ],
    );
    // While the server parses and stores the schedule row (megabytes of JSON), this thread builds the
    // placement cells and the orders: once the driver has sent the statement, the two run in parallel.
    insertingSchedule.catch(() => undefined); // awaited below; a rejection meanwhile is not unhandled
    await new Promise((resolve) => setImmediate(resolve));
    const cells = placementCells(record.placements, record.horizonStartUtc, record.slotMinutes);
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
          });
    await insertingSchedule;
    lap('schedule');
    await insertPlacementCells(manager, record.id, cells, record.horizonStartUtc, record.slotMinutes);
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
      await manager.query(
        `update plan_requests set status = 'done', schedule_id = $2, finished_at = now()
         where id = any($1::uuid[]) and status = 'running'`,
        [options.planRequestIds, record.id],
      );
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

const CELLS_PER_STATEMENT = 10_000;

/**
 * A PostgreSQL array literal of texts or numbers. JSON's escapes of `"` and `\\` are the array literal's, so
 * JSON.stringify (much faster than building the string by hand) gives it after swapping the brackets;
 * texts that JSON would escape otherwise (control characters, lone surrogates) are quoted by hand.
 */
function arrayLiteral(values: string[] | number[]): string {
  const json = JSON.stringify(values);
  if (typeof values[0] === 'string' && json.includes('\\') && !ARRAY_SAFE.test(json)) {
    return `{${(values as string[]).map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
  }
  return `{${json.slice(1, -1)}}`;
}
/** JSON text whose only backslash escapes are `\"` and `\\`. */
const ARRAY_SAFE = /^(?:[^\\]|\\["\\])*$/;

/** A cell with its arrays as PostgreSQL array literals. */
interface PlacementCell {
  clusterId: string;
  slot: number;
  jobs: string;
  gpus: string;
  hours: string;
}

/**
 * The placements as cells — one `placement_cells` row per (cluster, slot) with its jobs in parallel arrays
 * (migration 1732380000020): ≤ clusters × slots rows instead of one row per placement. Slots as offsets
 * from the horizon start.
 */
function placementCells(
  placements: SchedulePlacement[],
  horizonStartUtc: string,
  slotMinutes: number,
): PlacementCell[] {
  const startMs = Date.parse(horizonStartUtc);
  const slotMs = slotMinutes * 60_000;
  const slots = new Map<string, number>();
  const cells = new Map<
    string,
    { clusterId: string; slot: number; jobs: string[]; gpus: number[]; hours: number[] }
  >();
  for (const p of placements) {
    let slot = slots.get(p.slotStartUtc);
    if (slot === undefined) {
      slot = Math.round((Date.parse(p.slotStartUtc) - startMs) / slotMs);
      slots.set(p.slotStartUtc, slot);
    }
    const key = `${slot}\u0000${p.clusterId}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { clusterId: p.clusterId, slot, jobs: [], gpus: [], hours: [] }));
    cell.jobs.push(p.jobId);
    cell.gpus.push(p.gpus);
    cell.hours.push(p.gpuHours);
  }
  return [...cells.values()].map((c) => ({
    clusterId: c.clusterId,
    slot: c.slot,
    jobs: arrayLiteral(c.jobs),
    gpus: arrayLiteral(c.gpus),
    hours: arrayLiteral(c.hours),
  }));
}

/**
 * Writes the cells, one VALUES row per cell with its own parameters (array literals are parsed once; a
 * text[] of them would be escaped by the driver and parsed twice). ≤ 5 parameters per cell, within the
 * protocol's 65,535.
 */
async function insertPlacementCells(
  manager: EntityManager,
  scheduleId: string,
  cells: PlacementCell[],
  horizonStartUtc: string,
  slotMinutes: number,
): Promise<void> {
  for (let i = 0; i < cells.length; i += CELLS_PER_STATEMENT) {
    const params: unknown[] = [scheduleId, horizonStartUtc, slotMinutes];
    const values = cells.slice(i, i + CELLS_PER_STATEMENT).map((r) => {
      params.push(r.clusterId, r.slot, r.jobs, r.gpus, r.hours);
      const n = params.length;
      return `($1, $${n - 4}, $2::timestamptz + $${n - 3}::int * $3::int * interval '1 minute', $${n - 2}::text[], $${n - 1}::int[], $${n}::float8[])`;
    });
    await manager.query(
      `insert into placement_cells (schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours)
       values ${values.join(', ')}`,
      params,
    );
  }
}
