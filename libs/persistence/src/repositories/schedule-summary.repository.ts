import type { ScheduleKind, ScheduleStatus } from '../types.js';
import type { Queryable } from './query.js';
import { isoTextSql } from './schedule.repository.js';

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

/** Schedule summaries as JSON text for the admin API's list and detail (PostgreSQL builds the JSON). */
export class ScheduleSummaryRepository {
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
}
