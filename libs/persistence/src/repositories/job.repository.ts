import type { JobKind, JobPins, JobStatus } from '../types.js';
import { queryRows, type Queryable } from './query.js';

/** A `jobs` row. */
export interface JobRecord {
  id: string;
  name: string;
  model: string;
  kind: JobKind;
  tokensPerSecondPerGpu: Record<string, number>;
  tokensPerHour: number | null;
  demandProfile: number[] | null;
  totalTokens: number | null;
  windowStart: Date | null;
  deadline: Date | null;
  origin: string;
  latencySlaMs: number | null;
  residency: string[];
  tier: string;
  maxGpus: number;
  homeClusterId: string | null;
  pins: JobPins;
  status: JobStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** A job as an operator writes it: every column but status and the timestamps (dates as ISO text or Date). */
export interface JobFields {
  name: string;
  model: string;
  kind: JobKind;
  tokensPerSecondPerGpu: Record<string, number>;
  tokensPerHour: number | null;
  demandProfile: number[] | null;
  totalTokens: number | null;
  windowStart: string | Date | null;
  deadline: string | Date | null;
  origin: string;
  latencySlaMs: number | null;
  residency: string[];
  tier: string;
  maxGpus: number;
  pins: JobPins;
  homeClusterId: string | null;
}

interface JobDbRow {
  id: string;
  name: string;
  model: string;
  kind: JobKind;
  tokens_per_second_per_gpu: Record<string, number>;
  tokens_per_hour: number | null;
  demand_profile: number[] | null;
  total_tokens: number | null;
  window_start: Date | null;
  deadline: Date | null;
  origin: string;
  latency_sla_ms: number | null;
  residency: string[];
  tier: string;
  max_gpus: number;
  home_cluster_id: string | null;
  pins: JobPins;
  status: JobStatus;
  created_at: Date;
  updated_at: Date;
}

/** The one mapper of a `jobs` row. */
function jobRecord(r: JobDbRow): JobRecord {
  return {
    id: r.id,
    name: r.name,
    model: r.model,
    kind: r.kind,
    tokensPerSecondPerGpu: r.tokens_per_second_per_gpu,
    tokensPerHour: r.tokens_per_hour,
    demandProfile: r.demand_profile,
    totalTokens: r.total_tokens,
    windowStart: r.window_start,
    deadline: r.deadline,
    origin: r.origin,
    latencySlaMs: r.latency_sla_ms,
    residency: r.residency,
    tier: r.tier,
    maxGpus: r.max_gpus,
    homeClusterId: r.home_cluster_id,
    pins: r.pins,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const jobParams = (id: string, j: JobFields) => [
  id,
  j.name,
  j.model,
  j.kind,
  JSON.stringify(j.tokensPerSecondPerGpu),
  j.tokensPerHour,
  j.demandProfile === null ? null : JSON.stringify(j.demandProfile),
  j.totalTokens,
  j.windowStart,
  j.deadline,
  j.origin,
  j.latencySlaMs,
  JSON.stringify(j.residency),
  j.tier,
  j.maxGpus,
  JSON.stringify(j.pins),
  j.homeClusterId,
];

/**
 * Inference jobs as operators manage them (the planner reads them with the planning inputs). Changes run in
 * the caller's transaction (construct it with the transaction's manager) so the audit row commits with them.
 */
export class JobRepository {
  constructor(private readonly db: Queryable) {}

  /** A page of jobs ordered by id, optionally filtered; `afterId` is the keyset position. */
  async page(filter: {
    status?: string;
    kind?: string;
    tier?: string;
    afterId?: string;
    limit: number;
  }): Promise<JobRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.tier) add('tier = ?', filter.tier);
    if (filter.afterId) add('id > ?', filter.afterId);
    params.push(filter.limit);
    const rows = await this.db.query<JobDbRow[]>(
      `select * from jobs ${where.length ? `where ${where.join(' and ')}` : ''} order by id limit $${params.length}`,
      params,
    );
    return rows.map(jobRecord);
  }

  /** One job, locked for a change when asked; undefined when unknown. */
  async find(id: string, options: { lock?: boolean } = {}): Promise<JobRecord | undefined> {
    const rows = await this.db.query<JobDbRow[]>(
      `select * from jobs where id = $1 ${options.lock ? 'for update' : ''}`,
      [id],
    );
    return rows[0] && jobRecord(rows[0]);
  }

  /** Inserts a job (status active); undefined when the id is taken. */
  async insert(id: string, job: JobFields): Promise<JobRecord | undefined> {
    const rows = await this.db.query<JobDbRow[]>(
      `insert into jobs (id, name, model, kind, tokens_per_second_per_gpu, tokens_per_hour, demand_profile,
         total_tokens, window_start, deadline, origin, latency_sla_ms, residency, tier, max_gpus, pins, home_cluster_id)
       values ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16::jsonb, $17)
       on conflict (id) do nothing returning *`,
      jobParams(id, job),
    );
    return rows[0] && jobRecord(rows[0]);
  }

  /** Replaces every field of a job but its status; undefined when unknown. */
  async update(id: string, job: JobFields): Promise<JobRecord | undefined> {
    const rows = await queryRows<JobDbRow>(
      this.db,
      `update jobs set name = $2, model = $3, kind = $4, tokens_per_second_per_gpu = $5::jsonb,
         tokens_per_hour = $6, demand_profile = $7::jsonb, total_tokens = $8, window_start = $9, deadline = $10,
         origin = $11, latency_sla_ms = $12, residency = $13::jsonb, tier = $14, max_gpus = $15,
         pins = $16::jsonb, home_cluster_id = $17, updated_at = now()
       where id = $1 returning *`,
      jobParams(id, job),
    );
    return rows[0] && jobRecord(rows[0]);
  }

  /** Pauses or resumes a job; returns it. */
  async setStatus(id: string, status: JobStatus): Promise<JobRecord> {
    const rows = await queryRows<JobDbRow>(
      this.db,
      `update jobs set status = $2, updated_at = now() where id = $1 returning *`,
      [id, status],
    );
    return jobRecord(rows[0]!);
  }

  /** Replaces a job's pins; returns it. */
  async setPins(id: string, pins: JobPins): Promise<JobRecord> {
    const rows = await queryRows<JobDbRow>(
      this.db,
      `update jobs set pins = $2::jsonb, updated_at = now() where id = $1 returning *`,
      [id, JSON.stringify(pins)],
    );
    return jobRecord(rows[0]!);
  }

  /** Deletes a job (its past placements stay in their schedules). */
  async delete(id: string): Promise<void> {
    await this.db.query(`delete from jobs where id = $1`, [id]);
  }
}
