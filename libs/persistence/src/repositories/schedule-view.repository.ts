import type { ScheduleKind, ScheduleStatus } from '../types.js';
import type { Queryable } from './query.js';
import type { ScheduleRow } from './schedule.repository.js';

/** The columns of a schedule that change after it is stored (status and approval trail), timestamps as ISO text. */
export type ScheduleStateRow = Pick<
  ScheduleRow,
  | 'id'
  | 'version'
  | 'kind'
  | 'status'
  | 'supersedesVersion'
  | 'approval'
  | 'approvedBy'
  | 'rejectedBy'
  | 'rejectedReason'
> & { approvedAt: string | null; publishedAt: string | null; rejectedAt: string | null };

/** A plan that was delivered (published, maybe superseded since), with its stored figures. */
export interface DeliveredPlanRow {
  id: string;
  version: number;
  horizonStartMs: number;
  horizonEndMs: number;
  slotMinutes: number;
  publishedAtMs: number;
  totals: Record<string, unknown>;
  baselines: Record<string, unknown>;
}

/** The pricing part of a schedule's snapshot problem, as stored (unvalidated JSON values). */
export interface SnapshotPricingRow {
  currency: unknown;
  carbonPricePerTonne: unknown;
  slotStartsUtc: unknown;
  /** Per cluster: id, kwPerGpu, pue, pricePerMwh[], carbonGPerKwh[]. */
  clusters: unknown;
}

/** A schedule's zone prices as stored with it (unvalidated JSON values; see `zonePriceCurves` in libs/scheduling). */
export interface SnapshotZonePricesRow {
  currency: unknown;
  /** The problem's slot starts. */
  slotStartsUtc: unknown;
  /** Per cluster of the problem: id, zone, pricePerMwh[] (what the solver priced, base currency per MWh). */
  clusters: unknown;
  /** The snapshot's `priceSources`: per zone, the source and issue time of every slot's price. */
  priceSources: unknown;
  /** The schedule's `price-forecast` assumptions (zone, slotStartsUtc, details with p10/p50/p90 bands). */
  forecasts: unknown;
}

/** A timestamptz column as ISO-8601 UTC text with milliseconds (what Date#toISOString gives), without Date objects. */
const isoTextSql = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const STATE_COLUMNS = `id, version, kind, status, supersedes_version as "supersedesVersion", approval,
  ${isoTextSql('approved_at')} as "approvedAt", approved_by as "approvedBy",
  ${isoTextSql('published_at')} as "publishedAt", ${isoTextSql('rejected_at')} as "rejectedAt",
  rejected_by as "rejectedBy", rejected_reason as "rejectedReason"`;

/** One row of the schedule list: the summary as JSON text (built by PostgreSQL) and the keyset cursor. */
export interface ScheduleSummaryJsonRow {
  id: string;
  json: string;
  /** created_at with microseconds, for the keyset cursor. */
  createdCursor: string;
}

/** Filter of the schedule list; `after` is the keyset position (the last row of the previous page). */
export interface ScheduleListFilter {
  statuses?: ScheduleStatus[];
  kind?: ScheduleKind;
  createdFrom?: Date;
  createdTo?: Date;
  covering?: Date;
  after?: { createdAt: string; id: string };
  limit: number;
}

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
 * The schedule summary (the admin API's ScheduleSummarySchema) as JSON text, built by PostgreSQL: the list
 * then sends rows without parsing and re-serialising them in Node. The single definition of the summary's shape.
 */
const SUMMARY_JSON = `json_build_object(
  'id', id, 'version', version, 'kind', kind, 'status', status, 'trigger', trigger,
  'horizonStart', ${isoTextSql('horizon_start')}, 'horizonEnd', ${isoTextSql('horizon_end')}, 'slotMinutes', slot_minutes,
  'currency', case when jsonb_typeof(totals->'currency') = 'string' then totals->>'currency' end,
  'createdAt', ${isoTextSql('created_at')},
  'approvedAt', ${isoTextSql('approved_at')}, 'approvedBy', approved_by,
  'publishedAt', ${isoTextSql('published_at')},
  'rejectedAt', ${isoTextSql('rejected_at')}, 'rejectedBy', rejected_by, 'rejectedReason', rejected_reason,
  'totals', json_build_object(
    'energyCost', ${number(`totals->'energyCost'`)}, 'carbonCost', ${number(`totals->'carbonCost'`)},
    'penaltyCost', ${number(`totals->'penaltyCost'`)}, 'totalCost', ${number(`totals->'totalCost'`)},
    'energyMwh', ${number(`totals->'energyMwh'`)}, 'servedGpuHours', ${number(`totals->'servedGpuHours'`)},
    'unservedGpuHours', ${number(`totals->'unservedGpuHours'`)}, 'carbonTonnes', ${number(`totals->'carbonTonnes'`)},
    'tokensMillions', ${number(`totals->'tokensMillions'`)},
    'costPerMillionTokens', ${number(`totals->'costPerMillionTokens'`)}),
  'savings', json_build_object('vsHome', ${savingsEntry(`savings->'vsHome'`)}, 'vsGreedy', ${savingsEntry(`savings->'vsGreedy'`)}),
  'assumptionCount', jsonb_array_length(assumptions), 'shortfallCount', jsonb_array_length(shortfalls))::text`;

/**
 * Schedules as the operators' views read them: summaries as JSON text built by PostgreSQL (list and detail),
 * the mutable state, the snapshot's prices, one job's explanation, and the delivered plans of a time range.
 * The planner's and the lifecycle's reads and writes are `ScheduleRepository`'s.
 */
export class ScheduleViewRepository {
  constructor(private readonly db: Queryable) {}

  /** Summaries, newest first (created_at, id), keyset-paginated. */
  async list(filter: ScheduleListFilter): Promise<ScheduleSummaryJsonRow[]> {
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

  /** The mutable state of one schedule (a primary-key read; `id` must be a UUID). */
  async state(id: string): Promise<ScheduleStateRow | undefined> {
    // Columns come back named as the row's fields: a primary-key read on the hot path, no mapping.
    const rows = await this.db.query<ScheduleStateRow[]>(
      `select ${STATE_COLUMNS} from schedules where id = $1`,
      [id],
    );
    return rows[0];
  }

  /** The pricing part of the snapshot's placement problem (only that part leaves the database). */
  async snapshotPricing(id: string): Promise<SnapshotPricingRow | undefined> {
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
    return (
      r && {
        currency: r.currency,
        carbonPricePerTonne: r.carbon_price,
        slotStartsUtc: r.slots,
        clusters: r.clusters,
      }
    );
  }

  /** The zone prices a schedule was planned on, their sources and forecast bands; undefined when no such schedule. */
  async snapshotZonePrices(id: string): Promise<SnapshotZonePricesRow | undefined> {
    const rows = await this.db.query<
      { currency: unknown; slots: unknown; clusters: unknown; sources: unknown; forecasts: unknown }[]
    >(
      `select p->'currency' as currency, p->'slotStartsUtc' as slots,
              (select json_agg(json_build_object('id', c->'id', 'zone', c->'zone', 'pricePerMwh', c->'pricePerMwh'))
                 from json_array_elements(case when json_typeof(p->'clusters') = 'array' then p->'clusters'
                                               else '[]'::json end) c) as clusters,
              sources,
              (select json_agg(a) from json_array_elements(case when json_typeof(assumptions) = 'array'
                                                                then assumptions else '[]'::json end) a
                where a->>'code' = 'price-forecast') as forecasts
       from (select coalesce(input_snapshot::json->'problem', input_snapshot::json) as p,
                    input_snapshot::json->'priceSources' as sources, assumptions::json as assumptions
             from schedules where id = $1) s`,
      [id],
    );
    const r = rows[0];
    return (
      r && {
        currency: r.currency,
        slotStartsUtc: r.slots,
        clusters: r.clusters,
        priceSources: r.sources,
        forecasts: r.forecasts,
      }
    );
  }

  /** The explanation entry of one job, if the planner stored one (null otherwise). */
  async jobExplanation(id: string, jobId: string): Promise<unknown> {
    const rows = await this.db.query<{ e: unknown }[]>(
      `select e from schedules s, json_array_elements(s.explanations) e where s.id = $1 and e->>'jobId' = $2 limit 1`,
      [id, jobId],
    );
    return rows[0]?.e ?? null;
  }

  /** Plans that were delivered (published, maybe superseded since) and whose horizon overlaps [from, to). */
  async deliveredPlans(from: Date, to: Date): Promise<DeliveredPlanRow[]> {
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
}
