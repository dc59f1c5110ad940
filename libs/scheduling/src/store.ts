import type { DataSource, EntityManager } from 'typeorm';
import { AuditRepository, type AuditEntry } from '#gridshift/persistence';
import type { ApprovalDecision, ScheduleAccount } from './account.js';
import type { Assumption } from './assumptions.js';
import { approveInTransaction, type ApproveResult } from './lifecycle.js';
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
    let version: number | null = null;
    if (record.kind === 'plan') {
      const rows = await manager.query<{ v: number }[]>(
        `select coalesce(max(version), 0) + 1 as v from schedules`,
      );
      version = rows[0]!.v;
    }
    const a = record.account;
    await manager.query(
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
        JSON.stringify(record.snapshot),
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
    lap('schedule');
    await insertPlacements(manager, record.id, record.placements, record.horizonStartUtc, record.slotMinutes);
    lap('placements');
    let approval: ApproveResult | null = null;
    if (options.approve && record.kind === 'plan') {
      approval = await approveInTransaction(manager, record.id, {
        actor: options.approve.actor,
        reason: options.approve.reason,
        action: 'schedule.auto-approve',
        placements: record.placements,
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

const PLACEMENT_CHUNK = 50_000;

async function insertPlacements(
  manager: EntityManager,
  scheduleId: string,
  placements: SchedulePlacement[],
  horizonStartUtc: string,
  slotMinutes: number,
): Promise<void> {
  // Slots travel as offsets from the horizon start (integers parse much faster than timestamps).
  const startMs = Date.parse(horizonStartUtc);
  const slotMs = slotMinutes * 60_000;
  for (let i = 0; i < placements.length; i += PLACEMENT_CHUNK) {
    const part = placements.slice(i, i + PLACEMENT_CHUNK);
    await manager.query(
      `insert into placements (schedule_id, job_id, cluster_id, slot_start, gpus, gpu_hours)
       select $1, j, c, $7::timestamptz + s * $8 * interval '1 minute', g, h
       from unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::float8[]) as x(j, c, s, g, h)`,
      [
        scheduleId,
        part.map((p) => p.jobId),
        part.map((p) => p.clusterId),
        part.map((p) => Math.round((Date.parse(p.slotStartUtc) - startMs) / slotMs)),
        part.map((p) => p.gpus),
        part.map((p) => p.gpuHours),
        horizonStartUtc,
        slotMinutes,
      ],
    );
  }
}
