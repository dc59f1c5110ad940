import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ScheduleStatus } from '#gridshift/persistence';
import type { SnapshotPricingInput } from './pricing.js';
import type { CellAggregate, ChangedCell, DeliveredSchedule } from './schedule-math.js';

/** The columns of a schedule that change after it is stored (status and approval trail). */
export interface ScheduleState {
  id: string;
  version: number | null;
  kind: 'plan' | 'what-if';
  status: ScheduleStatus;
  supersedesVersion: number | null;
  approval: unknown;
  approvedAt: string | null;
  approvedBy: string | null;
  publishedAt: string | null;
  rejectedAt: string | null;
  rejectedBy: string | null;
  rejectedReason: string | null;
}

/** The columns of a schedule that never change once the planner stored it. */
export interface ScheduleFacts {
  id: string;
  kind: 'plan' | 'what-if';
  trigger: string;
  leaderEpoch: number;
  horizonStart: Date;
  horizonEnd: Date;
  slotMinutes: number;
  inputHash: string;
  solverStats: unknown;
  totals: Record<string, unknown>;
  baselines: Record<string, unknown>;
  savings: Record<string, unknown>;
  assumptions: unknown[];
  shortfalls: unknown[];
  objective: number;
  createdAt: Date;
}

/** One row of the schedule list: the summary as JSON text (built by PostgreSQL) and the keyset cursor. */
export interface ScheduleSummaryJson {
  id: string;
  json: string;
  /** created_at with microseconds, for the keyset cursor. */
  createdCursor: string;
}

export interface PlacementRow {
  jobId: string;
  clusterId: string;
  slotStart: Date;
  gpus: number;
  gpuHours: number;
}

/** A timestamptz column as ISO-8601 UTC text with milliseconds (what Date#toISOString gives), without Date objects. */
const isoText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The same, aliased as a select-list column. */
const iso = (column: string, as = column) => `${isoText(column)} as ${as}`;

/** A placement cell's totals: GPUs (bigint, as text), GPU-hours and jobs (all its placements, as rows did). */
const CELL_TOTALS = `(select sum(g) from unnest(gpus) g)::bigint as gpus,
  (select sum(h) from unnest(gpu_hours) h) as gpu_hours, cardinality(job_ids) as jobs`;

const STATE_COLUMNS = `id, version, kind, status, supersedes_version, approval, ${iso('approved_at')}, approved_by,
  ${iso('published_at')}, ${iso('rejected_at')}, rejected_by, rejected_reason`;

const number = (expr: string) => `case when jsonb_typeof(${expr}) = 'number' then ${expr} end`;
/**
 * A stored `Savings` entry (libs/placement): amount and pct are null when the baseline is not comparable. Entries
 * without `comparable` were stored before savings compared the same work; their amount is not shown.
 */
const savingsEntry = (expr: string) =>
  `case when jsonb_typeof(${expr}->'comparable') = 'boolean'
        then jsonb_build_object('amount', ${number(`${expr}->'amount'`)}, 'pct', ${number(`${expr}->'pct'`)},
          'comparable', ${expr}->'comparable',
          'baselineServedGpuHours', ${number(`${expr}->'baselineServedGpuHours'`)},
          'servedGpuHours', ${number(`${expr}->'servedGpuHours'`)}) end`;

/**
 * The schedule summary (ScheduleSummarySchema) as JSON text, built by PostgreSQL: the list then sends
 * rows without parsing and re-serialising them in Node. The single definition of the summary's shape.
 */
const SUMMARY_JSON = `json_build_object(
  'id', id, 'version', version, 'kind', kind, 'status', status, 'trigger', trigger,
  'horizonStart', ${isoText('horizon_start')}, 'horizonEnd', ${isoText('horizon_end')}, 'slotMinutes', slot_minutes,
  'currency', case when jsonb_typeof(totals->'currency') = 'string' then totals->>'currency' end,
  'createdAt', ${isoText('created_at')},
  'approvedAt', ${isoText('approved_at')}, 'approvedBy', approved_by,
  'publishedAt', ${isoText('published_at')},
  'rejectedAt', ${isoText('rejected_at')}, 'rejectedBy', rejected_by, 'rejectedReason', rejected_reason,
  'totals', json_build_object(
    'energyCost', ${number(`totals->'energyCost'`)}, 'carbonCost', ${number(`totals->'carbonCost'`)},
    'penaltyCost', ${number(`totals->'penaltyCost'`)}, 'totalCost', ${number(`totals->'totalCost'`)},
    'energyMwh', ${number(`totals->'energyMwh'`)}, 'servedGpuHours', ${number(`totals->'servedGpuHours'`)},
    'unservedGpuHours', ${number(`totals->'unservedGpuHours'`)}, 'carbonTonnes', ${number(`totals->'carbonTonnes'`)},
    'tokensMillions', ${number(`totals->'tokensMillions'`)},
    'costPerMillionTokens', ${number(`totals->'costPerMillionTokens'`)}),
  'savings', json_build_object('vsHome', ${savingsEntry(`savings->'vsHome'`)}, 'vsGreedy', ${savingsEntry(`savings->'vsGreedy'`)}),
  'assumptionCount', jsonb_array_length(assumptions), 'shortfallCount', jsonb_array_length(shortfalls))::text`;

interface StateRaw {
  id: string;
  version: number | null;
  kind: 'plan' | 'what-if';
  status: ScheduleStatus;
  supersedes_version: number | null;
  approval: unknown;
  approved_at: string | null;
  approved_by: string | null;
  published_at: string | null;
  rejected_at: string | null;
  rejected_by: string | null;
  rejected_reason: string | null;
}
const stateOf = (r: StateRaw): ScheduleState => ({
  id: r.id,
  version: r.version,
  kind: r.kind,
  status: r.status,
  supersedesVersion: r.supersedes_version,
  approval: r.approval,
  approvedAt: r.approved_at,
  approvedBy: r.approved_by,
  publishedAt: r.published_at,
  rejectedAt: r.rejected_at,
  rejectedBy: r.rejected_by,
  rejectedReason: r.rejected_reason,
});

export interface ListFilter {
  statuses?: ScheduleStatus[];
  kind?: 'plan' | 'what-if';
  createdFrom?: Date;
  createdTo?: Date;
  covering?: Date;
  after?: { createdAt: string; id: string };
  limit: number;
}

/** Reads schedules and placements (written by the planner) with the queries the admin views need. */
@Injectable()
export class ScheduleStore {
  constructor(private readonly db: DataSource) {}

  /** Summaries, newest first (created_at, id), keyset-paginated. */
  async list(filter: ListFilter): Promise<ScheduleSummaryJson[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.statuses) where.push(`status = any(${p(filter.statuses)}::text[])`);
    if (filter.kind) where.push(`kind = ${p(filter.kind)}`);
    if (filter.createdFrom) where.push(`created_at >= ${p(filter.createdFrom)}`);
    if (filter.createdTo) where.push(`created_at < ${p(filter.createdTo)}`);
    if (filter.covering) {
      const at = p(filter.covering);
      where.push(`horizon_start <= ${at} and horizon_end > ${at}`);
    }
    if (filter.after)
      where.push(
        `(created_at, id) < (${p(filter.after.createdAt)}::timestamptz, ${p(filter.after.id)}::uuid)`,
      );
    const rows = await this.db.query<{ id: string; json: string; created_cursor: string }[]>(
      `select id, ${SUMMARY_JSON} as json,
              to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_cursor
       from schedules ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit ${p(filter.limit)}`,
      params,
    );
    return rows.map((r) => ({ id: r.id, json: r.json, createdCursor: r.created_cursor }));
  }

  /** The summary of one schedule plus the detail's other mutable fields, as JSON text; undefined when unknown. */
  async summaryJson(
    id: string,
  ): Promise<{ summary: string; supersedesVersion: number | null; approval: string | null } | undefined> {
    const rows = await this.db.query<
      { summary: string; supersedes_version: number | null; approval: string | null }[]
    >(
      `select ${SUMMARY_JSON} as summary, supersedes_version, approval::text as approval from schedules where id = $1`,
      [id],
    );
    const r = rows[0];
    return r
      ? { summary: r.summary, supersedesVersion: r.supersedes_version, approval: r.approval }
      : undefined;
  }

  /** The mutable state of one schedule (a primary-key read). */
  async state(id: string): Promise<ScheduleState | undefined> {
    const rows = await this.db.query<StateRaw[]>(`select ${STATE_COLUMNS} from schedules where id = $1`, [
      id,
    ]);
    return rows[0] ? stateOf(rows[0]) : undefined;
  }

  /** The immutable facts of one schedule (without the input snapshot and explanations). */
  async facts(id: string): Promise<ScheduleFacts | undefined> {
    const rows = await this.db.query<
      {
        id: string;
        kind: 'plan' | 'what-if';
        trigger: string;
        leader_epoch: string;
        horizon_start: Date;
        horizon_end: Date;
        slot_minutes: number;
        input_hash: string;
        solver_stats: unknown;
        totals: Record<string, unknown>;
        baselines: Record<string, unknown>;
        savings: Record<string, unknown>;
        assumptions: unknown[];
        shortfalls: unknown[];
        objective: number;
        created_at: Date;
      }[]
    >(
      `select id, kind, trigger, leader_epoch, horizon_start, horizon_end, slot_minutes, input_hash, solver_stats,
              totals, baselines, savings, assumptions, shortfalls, objective, created_at
       from schedules where id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: r.id,
      kind: r.kind,
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
      createdAt: r.created_at,
    };
  }

  /** The pricing part of the snapshot's placement problem (only that part leaves the database). */
  async pricingInput(id: string): Promise<SnapshotPricingInput | undefined> {
    const rows = await this.db.query<
      { currency: unknown; carbon_price: unknown; slots: unknown; clusters: unknown }[]
    >(
      `select p->'currency' as currency, p->'carbonPricePerTonne' as carbon_price, p->'slotStartsUtc' as slots,
              (select jsonb_agg(jsonb_build_object('id', c->'id', 'kwPerGpu', c->'kwPerGpu', 'pue', c->'pue',
                        'pricePerMwh', c->'pricePerMwh', 'carbonGPerKwh', c->'carbonGPerKwh'))
                 from jsonb_array_elements(case when jsonb_typeof(p->'clusters') = 'array' then p->'clusters'
                                                else '[]'::jsonb end) c) as clusters
       from (select coalesce(input_snapshot->'problem', input_snapshot)::jsonb as p from schedules where id = $1) s`,
      [id],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      currency: r.currency,
      carbonPricePerTonne: r.carbon_price,
      slotStartsUtc: r.slots,
      clusters: r.clusters,
    };
  }

  /** The explanation entry of one job, if the planner stored one. */
  async explanation(id: string, jobId: string): Promise<unknown> {
    const rows = await this.db.query<{ e: unknown }[]>(
      `select e from schedules s, json_array_elements(s.explanations) e where s.id = $1 and e->>'jobId' = $2 limit 1`,
      [id, jobId],
    );
    return rows[0]?.e ?? null;
  }

  /** GPUs and GPU-hours per cluster and slot (one stored cell each, see migration 1732380000020). */
  async cells(id: string): Promise<CellAggregate[]> {
    const rows = await this.db.query<
      { cluster_id: string; slot_start: Date; gpus: string; gpu_hours: number; jobs: number }[]
    >(
      `select cluster_id, slot_start, ${CELL_TOTALS} from placement_cells where schedule_id = $1
       order by cluster_id, slot_start`,
      [id],
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      slotStartMs: r.slot_start.getTime(),
      gpus: Number(r.gpus),
      gpuHours: r.gpu_hours,
      jobs: Number(r.jobs),
    }));
  }

  /** A page of placements in (cluster, slot, job) order, optionally filtered. */
  async placements(
    id: string,
    filter: {
      clusterId?: string;
      slotStart?: Date;
      jobId?: string;
      after?: { clusterId: string; slotStart: Date; jobId: string };
      limit: number;
    },
  ): Promise<PlacementRow[]> {
    // Cells are read in (cluster, slot) order and unnested; only the jobs within a cell are sorted
    // (incremental sort), and the limit stops after the page. `offset 0` keeps the cells' order.
    const params: unknown[] = [id];
    const cells = ['schedule_id = $1'];
    const jobs: string[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.clusterId) cells.push(`cluster_id = ${p(filter.clusterId)}`);
    if (filter.slotStart) cells.push(`slot_start = ${p(filter.slotStart)}`);
    if (filter.jobId) {
      const job = p(filter.jobId);
      cells.push(`${job} = any(job_ids)`);
      jobs.push(`u.job_id = ${job}`);
    }
    if (filter.after) {
      const [cluster, slot, job] = [
        p(filter.after.clusterId),
        p(filter.after.slotStart),
        p(filter.after.jobId),
      ];
      cells.push(`(cluster_id, slot_start) >= (${cluster}, ${slot}::timestamptz)`);
      jobs.push(`(c.cluster_id, c.slot_start, u.job_id) > (${cluster}, ${slot}::timestamptz, ${job})`);
    }
    const rows = await this.db.query<
      { job_id: string; cluster_id: string; slot_start: Date; gpus: number; gpu_hours: number }[]
    >(
      `select u.job_id, c.cluster_id, c.slot_start, u.gpus, u.gpu_hours
       from (select cluster_id, slot_start, job_ids, gpus, gpu_hours from placement_cells
             where ${cells.join(' and ')} order by cluster_id, slot_start offset 0) c
       cross join lateral unnest(c.job_ids, c.gpus, c.gpu_hours) as u(job_id, gpus, gpu_hours)
       ${jobs.length > 0 ? `where ${jobs.join(' and ')}` : ''}
       order by c.cluster_id, c.slot_start, u.job_id limit ${p(filter.limit)}`,
      params,
    );
    return rows.map((r) => ({
      jobId: r.job_id,
      clusterId: r.cluster_id,
      slotStart: r.slot_start,
      gpus: r.gpus,
      gpuHours: r.gpu_hours,
    }));
  }

  /** The plan in force: the published plan with the highest version (other than `exceptId`). */
  async publishedPlan(exceptId?: string): Promise<string | undefined> {
    const rows = await this.db.query<{ id: string }[]>(
      `select id from schedules where kind = 'plan' and status = 'published' and id <> $1
       order by version desc nulls last, created_at desc limit 1`,
      [exceptId ?? '00000000-0000-0000-0000-000000000000'],
    );
    return rows[0]?.id;
  }

  /** (job, cluster, slot) cells whose GPU-hours differ between two schedules, slots in [fromMs, toMs). */
  async changedCells(baseId: string, candidateId: string, from: Date, to: Date): Promise<ChangedCell[]> {
    const rows = await this.db.query<
      { job_id: string; cluster_id: string; slot_start: Date; before: number | null; after: number | null }[]
    >(
      // Cells whose job and GPU-hour arrays are equal in both schedules cannot differ and are skipped; only
      // the other cells are unnested and compared job by job.
      `select coalesce(d.a_job, d.b_job) as job_id, c.cluster_id, c.slot_start, d.a_hours as before,
              d.b_hours as after
       from (select coalesce(a.cluster_id, b.cluster_id) as cluster_id, coalesce(a.slot_start, b.slot_start) as slot_start,
                    a.job_ids as a_jobs, a.gpu_hours as a_hours, b.job_ids as b_jobs, b.gpu_hours as b_hours
             from (select cluster_id, slot_start, job_ids, gpu_hours from placement_cells
                   where schedule_id = $1 and slot_start >= $3 and slot_start < $4) a
             full join (select cluster_id, slot_start, job_ids, gpu_hours from placement_cells
                        where schedule_id = $2 and slot_start >= $3 and slot_start < $4) b
               on a.cluster_id = b.cluster_id and a.slot_start = b.slot_start
             where a.job_ids is distinct from b.job_ids or a.gpu_hours is distinct from b.gpu_hours) c
       cross join lateral (
         select x.job_id as a_job, x.hours as a_hours, y.job_id as b_job, y.hours as b_hours
         from unnest(c.a_jobs, c.a_hours) as x(job_id, hours)
         full join unnest(c.b_jobs, c.b_hours) as y(job_id, hours) on x.job_id = y.job_id
         where x.hours is distinct from y.hours) d`,
      [baseId, candidateId, from, to],
    );
    return rows.map((r) => ({
      jobId: r.job_id,
      clusterId: r.cluster_id,
      slotStartMs: r.slot_start.getTime(),
      beforeGpuHours: r.before ?? 0,
      afterGpuHours: r.after ?? 0,
    }));
  }

  /** Plans that were delivered (published, maybe superseded since) and whose horizon overlaps [from, to). */
  async delivered(
    from: Date,
    to: Date,
  ): Promise<
    (DeliveredSchedule & { totals: Record<string, unknown>; baselines: Record<string, unknown> })[]
  > {
    const rows = await this.db.query<
      {
        id: string;
        version: number | null;
        horizon_start: Date;
        horizon_end: Date;
        slot_minutes: number;
        published_at: Date;
        totals: Record<string, unknown>;
        baselines: Record<string, unknown>;
      }[]
    >(
      `select id, version, horizon_start, horizon_end, slot_minutes, published_at, totals, baselines from schedules
       where kind = 'plan' and published_at is not null and status in ('published', 'superseded')
         and horizon_start < $2 and horizon_end > $1
       order by version`,
      [from, to],
    );
    return rows.map((r) => ({
      id: r.id,
      version: r.version ?? 0,
      horizonStartMs: r.horizon_start.getTime(),
      horizonEndMs: r.horizon_end.getTime(),
      slotMinutes: r.slot_minutes,
      publishedAtMs: r.published_at.getTime(),
      totals: r.totals,
      baselines: r.baselines,
    }));
  }

  /** GPU-hours per cluster of the given (schedule, slot) pairs. */
  async cellsOfSlots(
    pairs: { scheduleId: string; slotStartMs: number }[],
  ): Promise<(CellAggregate & { scheduleId: string })[]> {
    if (pairs.length === 0) return [];
    const rows = await this.db.query<
      {
        schedule_id: string;
        cluster_id: string;
        slot_start: Date;
        gpus: string;
        gpu_hours: number;
        jobs: number;
      }[]
    >(
      `select c.schedule_id, c.cluster_id, c.slot_start, ${CELL_TOTALS}
       from unnest($1::uuid[], $2::timestamptz[]) as e(schedule_id, slot_start)
       join placement_cells c on c.schedule_id = e.schedule_id and c.slot_start = e.slot_start`,
      [pairs.map((x) => x.scheduleId), pairs.map((x) => new Date(x.slotStartMs))],
    );
    return rows.map((r) => ({
      scheduleId: r.schedule_id,
      clusterId: r.cluster_id,
      slotStartMs: r.slot_start.getTime(),
      gpus: Number(r.gpus),
      gpuHours: r.gpu_hours,
      jobs: Number(r.jobs),
    }));
  }
}
