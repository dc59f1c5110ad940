import type { ScheduleKind, ScheduleStatus } from '../types.js';
import { retentionBatch, type RetentionBatch, type RetentionCursor } from './outbox.repository.js';
import { queryRows, type Queryable } from './query.js';

/** A `schedules` row without its two large documents (the input snapshot and the explanations). */
export interface ScheduleRow {
  id: string;
  version: number | null;
  kind: ScheduleKind;
  status: ScheduleStatus;
  trigger: string;
  leaderEpoch: number;
  horizonStart: Date;
  horizonEnd: Date;
  slotMinutes: number;
  inputHash: string;
  solverStats: Record<string, unknown>;
  totals: Record<string, unknown>;
  baselines: Record<string, unknown>;
  savings: Record<string, unknown>;
  assumptions: unknown[];
  shortfalls: unknown[];
  objective: number;
  supersedesVersion: number | null;
  approval: unknown;
  approvedAt: Date | null;
  approvedBy: string | null;
  publishedAt: Date | null;
  rejectedAt: Date | null;
  rejectedBy: string | null;
  rejectedReason: string | null;
  createdAt: Date;
  /** Only when asked for (`find(id, { explanations: true })`). */
  explanations?: unknown[];
  /**
   * Only when asked for (`find(id, { snapshot: true })`); it can be megabytes. Whole: a snapshot stored with its
   * job set referenced (`input_jobs_hash`) comes back with that job set as `problem.jobs`.
   */
  inputSnapshot?: unknown;
}

/** A schedule as the planner stores it; the documents are serialised here (the snapshot by the caller). */
export interface NewScheduleRow {
  id: string;
  version: number | null;
  kind: ScheduleKind;
  trigger: string;
  leaderEpoch: number;
  horizonStartUtc: string;
  horizonEndUtc: string;
  slotMinutes: number;
  /** The input snapshot as JSON text (the caller has it already to hash it), without its job set when `inputJobsHash` is set. */
  inputSnapshotJson: string;
  /** The snapshot's job set, stored apart (`storeInputPart`); null when the snapshot holds it. */
  inputJobsHash: string | null;
  inputHash: string;
  solverStats: unknown;
  totals: unknown;
  baselines: unknown;
  savings: unknown;
  assumptions: unknown;
  shortfalls: unknown;
  /** Per-job explanations; omitted (`[]`) since they are computed on request from the schedule and its inputs. */
  explanations?: unknown;
  objective: number;
  approval: unknown;
}

/** The row an approval or rejection locks. */
export interface LockedScheduleRow {
  id: string;
  kind: ScheduleKind;
  status: ScheduleStatus;
  version: number | null;
  slotMinutes: number;
}

/** The head of the plan in force (no placements). */
export interface PlanHeadRow {
  id: string;
  version: number;
  horizonStart: Date;
  horizonEnd: Date;
  totals: Record<string, unknown>;
}

interface ScheduleDbRow {
  id: string;
  version: number | null;
  kind: ScheduleKind;
  status: ScheduleStatus;
  trigger: string;
  leader_epoch: string;
  horizon_start: Date;
  horizon_end: Date;
  slot_minutes: number;
  input_hash: string;
  solver_stats: Record<string, unknown>;
  totals: Record<string, unknown>;
  baselines: Record<string, unknown>;
  savings: Record<string, unknown>;
  assumptions: unknown[];
  shortfalls: unknown[];
  objective: number;
  supersedes_version: number | null;
  approval: unknown;
  approved_at: Date | null;
  approved_by: string | null;
  published_at: Date | null;
  rejected_at: Date | null;
  rejected_by: string | null;
  rejected_reason: string | null;
  created_at: Date;
  explanations?: unknown[];
  input_snapshot?: unknown;
  input_jobs?: unknown;
}

const SCHEDULE_COLUMNS = `id, version, kind, status, trigger, leader_epoch::text as leader_epoch, horizon_start,
  horizon_end, slot_minutes, input_hash, solver_stats, totals, baselines, savings, assumptions, shortfalls,
  objective, supersedes_version, approval, approved_at, approved_by, published_at, rejected_at, rejected_by,
  rejected_reason, created_at`;

/** A stored snapshot with its job set put back as `problem.jobs` (as stored when `jobs` is null). */
function withJobSet(snapshot: unknown, jobs: unknown): unknown {
  if (jobs === null || snapshot === null || typeof snapshot !== 'object') return snapshot;
  const s = snapshot as { problem?: Record<string, unknown> };
  return { ...s, problem: { ...(s.problem ?? {}), jobs } };
}

/** The one mapper of a `schedules` row. */
function scheduleRow(r: ScheduleDbRow): ScheduleRow {
  const row: ScheduleRow = {
    id: r.id,
    version: r.version,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    leaderEpoch: Number(r.leader_epoch),
    horizonStart: r.horizon_start,
    horizonEnd: r.horizon_end,
    slotMinutes: r.slot_minutes,
    inputHash: r.input_hash,
    solverStats: r.solver_stats,
    totals: r.totals,
    baselines: r.baselines,
    savings: r.savings,
    assumptions: r.assumptions,
    shortfalls: r.shortfalls,
    objective: r.objective,
    supersedesVersion: r.supersedes_version,
    approval: r.approval,
    approvedAt: r.approved_at,
    approvedBy: r.approved_by,
    publishedAt: r.published_at,
    rejectedAt: r.rejected_at,
    rejectedBy: r.rejected_by,
    rejectedReason: r.rejected_reason,
    createdAt: r.created_at,
  };
  if (r.explanations !== undefined) row.explanations = r.explanations;
  if (r.input_snapshot !== undefined) row.inputSnapshot = withJobSet(r.input_snapshot, r.input_jobs ?? null);
  return row;
}

/**
 * The `schedules` table as the planner and the lifecycle use it: store a schedule, read it back, move it
 * through draft → approved → published → superseded (or rejected). Status changes are meant to run inside
 * the caller's transaction: construct it with the transaction's manager.
 */
export class ScheduleRepository {
  constructor(private readonly db: Queryable) {}

  /** Serialises approvals of a deployment for the rest of the transaction (re-entrant). */
  async lockApprovals(): Promise<void> {
    await this.db.query(`select pg_advisory_xact_lock(hashtext('gridshift-approve:' || current_schema()))`);
  }

  /** The version the next plan gets (call under `lockApprovals` or accept the unique-index retry). */
  async nextPlanVersion(): Promise<number> {
    const rows = await this.db.query<{ v: number }[]>(
      `select coalesce(max(version), 0) + 1 as v from schedules`,
    );
    return rows[0]!.v;
  }

  /**
   * Inserts a schedule row, status `draft` (plan) or `what-if`. The statement is sent before this returns its
   * promise, so the caller can work while the server parses megabytes of JSON.
   */
  async insert(s: NewScheduleRow): Promise<void> {
    await this.db.query(
      `insert into schedules (id, version, kind, status, trigger, leader_epoch, horizon_start, horizon_end,
         slot_minutes, input_snapshot, input_hash, solver_stats, totals, baselines, savings, assumptions,
         shortfalls, explanations, objective, approval, input_jobs_hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json, $11, $12::jsonb, $13::jsonb, $14::jsonb,
         $15::jsonb, $16::jsonb, $17::jsonb, $18::json, $19, $20::jsonb, $21)`,
      [
        s.id,
        s.version,
        s.kind,
        s.kind === 'what-if' ? 'what-if' : 'draft',
        s.trigger,
        s.leaderEpoch,
        s.horizonStartUtc,
        s.horizonEndUtc,
        s.slotMinutes,
        s.inputSnapshotJson,
        s.inputHash,
        JSON.stringify(s.solverStats),
        JSON.stringify(s.totals),
        JSON.stringify(s.baselines),
        JSON.stringify(s.savings),
        JSON.stringify(s.assumptions),
        JSON.stringify(s.shortfalls),
        JSON.stringify(s.explanations ?? []),
        s.objective,
        s.approval === null ? null : JSON.stringify(s.approval),
        s.inputJobsHash,
      ],
    );
  }

  /**
   * Stores one part of a schedule's inputs (a job set) under `hash` (the SHA-256 of `json`, the caller's
   * content address) unless it is stored already: the megabytes are sent only for a content not seen before.
   * Returns whether it was written. A part found is locked (`for key share`) until the transaction ends, so the
   * retention job (`deleteUnreferencedInputParts`) cannot delete it before this transaction's schedule references it.
   */
  async storeInputPart(hash: string, json: string): Promise<boolean> {
    const found = await this.db.query<unknown[]>(
      `select 1 from schedule_input_parts where hash = $1 for key share`,
      [hash],
    );
    if (found.length > 0) return false;
    await this.db.query(
      `insert into schedule_input_parts (hash, document) values ($1, $2::json) on conflict (hash) do nothing`,
      [hash, json],
    );
    return true;
  }

  /**
   * Retention: deletes up to `limit` input parts stored before `createdBefore` that no stored schedule references
   * (a part a schedule references is never deleted: the schedule's inputs must stay reproducible), in
   * (created_at, hash) order from after `after` (see `OutboxRepository.deleteSettledSentBefore`). A part a store
   * transaction holds (`storeInputPart`) is skipped.
   */
  async deleteUnreferencedInputParts(
    createdBefore: Date,
    limit: number,
    after: RetentionCursor | null = null,
  ): Promise<RetentionBatch> {
    return retentionBatch(
      this.db,
      `with doomed as (
         select p.hash, p.created_at from schedule_input_parts p
         where p.created_at < $1
           and (p.created_at, p.hash) > (coalesce($3::timestamptz, '-infinity'), coalesce($4::text, ''))
           and not exists (select 1 from schedules s where s.input_jobs_hash = p.hash)
         order by p.created_at, p.hash
         limit $2
         for update skip locked),
       gone as (
         delete from schedule_input_parts p using doomed where p.hash = doomed.hash
           and not exists (select 1 from schedules s where s.input_jobs_hash = p.hash)
         returning 1),
       last as (select created_at, hash from doomed order by created_at desc, hash desc limit 1)
       select (select count(*)::int from gone) as deleted, (select created_at::text from last) as last_at,
              (select hash from last) as last_key`,
      [createdBefore, limit, after?.at ?? null, after?.key ?? null],
    );
  }

  /** One schedule (`id` must be a UUID), with the large documents only when asked for; undefined when unknown. */
  async find(
    id: string,
    options: { explanations?: boolean; snapshot?: boolean } = {},
  ): Promise<ScheduleRow | undefined> {
    const columns = [
      SCHEDULE_COLUMNS,
      ...(options.explanations ? ['explanations'] : []),
      ...(options.snapshot
        ? [
            'input_snapshot',
            `(select document from schedule_input_parts p where p.hash = schedules.input_jobs_hash) as input_jobs`,
          ]
        : []),
    ].join(', ');
    const rows = await this.db.query<ScheduleDbRow[]>(`select ${columns} from schedules where id = $1`, [id]);
    return rows[0] && scheduleRow(rows[0]);
  }

  /** Locks one schedule for a status change (`id` must be a UUID); undefined when unknown. */
  async lockForTransition(id: string): Promise<LockedScheduleRow | undefined> {
    const rows = await this.db.query<
      {
        id: string;
        kind: ScheduleKind;
        status: ScheduleStatus;
        version: number | null;
        slot_minutes: number;
      }[]
    >(`select id, kind, status, version, slot_minutes from schedules where id = $1 for update`, [id]);
    const r = rows[0];
    return r && { id: r.id, kind: r.kind, status: r.status, version: r.version, slotMinutes: r.slot_minutes };
  }

  /** The `grid-event` assumptions a schedule stored (what its placement orders give as reasons). */
  async gridEventAssumptions(id: string): Promise<unknown[]> {
    const rows = await this.db.query<{ a: unknown }[]>(
      `select a from schedules s cross join lateral jsonb_array_elements(s.assumptions) a
       where s.id = $1 and a->>'code' = 'grid-event'`,
      [id],
    );
    return rows.map((r) => r.a);
  }

  /** The newest plan above `version` that is approved or published, if any. */
  async newerApprovedPlan(version: number): Promise<{ version: number; status: ScheduleStatus } | undefined> {
    const rows = await this.db.query<{ version: number; status: ScheduleStatus }[]>(
      `select version, status from schedules
       where kind = 'plan' and version > $1 and status in ('approved','published') order by version desc limit 1`,
      [version],
    );
    return rows[0];
  }

  /** The version in force below `version` (newest approved or published), or null. */
  async versionInForceBelow(version: number): Promise<number | null> {
    const rows = await this.db.query<{ version: number }[]>(
      `select version from schedules where kind = 'plan' and status in ('approved','published') and version < $1
       order by version desc limit 1`,
      [version],
    );
    return rows[0]?.version ?? null;
  }

  /** draft → approved, recording who, when and which version it replaces. */
  async markApproved(id: string, at: Date, by: string, supersedesVersion: number | null): Promise<void> {
    await this.db.query(
      `update schedules set status = 'approved', approved_at = $2, approved_by = $3, supersedes_version = $4
       where id = $1`,
      [id, at, by, supersedesVersion],
    );
  }

  /** Older drafts and approved-but-unpublished plans below `version` → superseded; returns their versions. */
  async supersedeUnpublishedBelow(version: number): Promise<number[]> {
    const rows = await queryRows<{ version: number }>(
      this.db,
      `update schedules set status = 'superseded'
       where kind = 'plan' and version < $1 and status in ('draft','approved') returning version`,
      [version],
    );
    return rows.map((r) => r.version);
  }

  /** Approved schedules → published at `at`, and every older published plan → superseded; returns the versions. */
  async markPublished(ids: readonly string[], at: Date): Promise<number[]> {
    const published = await queryRows<{ version: number }>(
      this.db,
      `update schedules set status = 'published', published_at = $2
       where id = any($1::uuid[]) and status = 'approved' returning version`,
      [ids, at],
    );
    if (published.length > 0) {
      const newest = Math.max(...published.map((p) => p.version));
      await this.db.query(
        `update schedules set status = 'superseded'
         where kind = 'plan' and status = 'published' and version < $1`,
        [newest],
      );
    }
    return published.map((p) => p.version);
  }

  /** draft → rejected, with who and why. */
  async markRejected(id: string, by: string, reason: string): Promise<void> {
    await this.db.query(
      `update schedules set status = 'rejected', rejected_at = now(), rejected_by = $2, rejected_reason = $3
       where id = $1`,
      [id, by, reason],
    );
  }

  /** The plan in force: the newest approved or published version, without placements; undefined when none. */
  async planInForce(): Promise<PlanHeadRow | undefined> {
    const rows = await this.db.query<
      {
        id: string;
        version: number;
        horizon_start: Date;
        horizon_end: Date;
        totals: Record<string, unknown>;
      }[]
    >(
      `select id, version, horizon_start, horizon_end, totals from schedules
       where kind = 'plan' and status in ('approved','published') order by version desc limit 1`,
    );
    const r = rows[0];
    return (
      r && {
        id: r.id,
        version: r.version,
        horizonStart: r.horizon_start,
        horizonEnd: r.horizon_end,
        totals: r.totals,
      }
    );
  }

  /** The published plan with the highest version (the one data centers run now), other than `exceptId`. */
  async publishedPlanId(exceptId?: string): Promise<string | undefined> {
    const rows = await this.db.query<{ id: string }[]>(
      `select id from schedules where kind = 'plan' and status = 'published' and id <> $1
       order by version desc nulls last, created_at desc limit 1`,
      [exceptId ?? '00000000-0000-0000-0000-000000000000'],
    );
    return rows[0]?.id;
  }

  /** The newest plan (any status): its id and input hash; undefined before the first plan. */
  async newestPlan(): Promise<{ id: string; inputHash: string } | undefined> {
    const rows = await this.db.query<{ id: string; input_hash: string }[]>(
      `select id, input_hash from schedules where kind = 'plan' order by version desc limit 1`,
    );
    return rows[0] && { id: rows[0].id, inputHash: rows[0].input_hash };
  }

  /** One top-level entry of a schedule's input snapshot (e.g. `market`, `settings`); null when absent. */
  async snapshotEntry<T>(id: string, key: string): Promise<T | null> {
    const rows = await this.db.query<{ entry: T | null }[]>(
      `select input_snapshot->$2 as entry from schedules where id = $1`,
      [id, key],
    );
    return rows[0]?.entry ?? null;
  }
}
