import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditRepository } from '#gridshift/persistence';
import type { JobRow } from '#gridshift/scheduling';
import { returning } from '../db.js';
import { ConflictError, NotFoundError, ValidationError } from '../http/errors.js';
import { parseInput } from '../http/zod.js';
import { SCHEDULING, type SchedulingPort } from '../schedules/scheduling.port.js';
import { CreateJobBody, type JobView, type PinBody, type UpdateJobBody } from './jobs.schemas.js';

/** A whole `jobs` row: the planning columns plus status and timestamps. */
interface JobRaw extends JobRow {
  status: 'active' | 'paused';
  created_at: Date;
  updated_at: Date;
}

const jobView = (r: JobRaw): JobView => ({
  id: r.id,
  name: r.name,
  model: r.model,
  kind: r.kind,
  tokensPerSecondPerGpu: r.tokens_per_second_per_gpu,
  tokensPerHour: r.tokens_per_hour,
  demandProfile: r.demand_profile,
  totalTokens: r.total_tokens,
  windowStart: r.window_start?.toISOString() ?? null,
  deadline: r.deadline?.toISOString() ?? null,
  origin: r.origin,
  latencySlaMs: r.latency_sla_ms,
  residency: r.residency,
  tier: r.tier,
  maxGpus: r.max_gpus,
  homeClusterId: r.home_cluster_id,
  pins: r.pins,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const auditable = ({ createdAt: _c, updatedAt: _u, ...rest }: JobView) => rest;

const KIND_FIELDS = {
  interactive: ['tokensPerHour', 'demandProfile'],
  batch: ['totalTokens', 'windowStart', 'deadline'],
} as const;

/** Inference jobs: create, update, pause/resume, delete and operator pins; every change audited in its transaction. */
@Injectable()
export class JobsService {
  private readonly audit: AuditRepository;

  constructor(
    private readonly db: DataSource,
    @Inject(SCHEDULING) private readonly scheduling: SchedulingPort,
  ) {
    this.audit = new AuditRepository(db);
  }

  /** A page of jobs ordered by id (keyset cursor = last id). */
  async list(filter: {
    status?: string;
    kind?: string;
    tier?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.tier) add('tier = ?', filter.tier);
    if (filter.cursor) add('id > ?', filter.cursor);
    params.push(filter.limit + 1);
    const rows = await this.db.query<JobRaw[]>(
      `select * from jobs ${where.length ? `where ${where.join(' and ')}` : ''} order by id limit $${params.length}`,
      params,
    );
    const items = rows.slice(0, filter.limit).map(jobView);
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** One job; NotFoundError when unknown. */
  async get(id: string, manager: DataSource | EntityManager = this.db, lock = false): Promise<JobView> {
    const rows = await manager.query<JobRaw[]>(
      `select * from jobs where id = $1 ${lock ? 'for update' : ''}`,
      [id],
    );
    if (!rows[0]) throw new NotFoundError('job', id, { name: 'id', in: 'path' });
    return jobView(rows[0]);
  }

  private async write(m: EntityManager, id: string, job: CreateJobBody, insert: boolean): Promise<JobView> {
    if (job.homeClusterId) {
      const found = await m.query<unknown[]>(`select 1 from clusters where id = $1`, [job.homeClusterId]);
      if (found.length === 0)
        throw new ValidationError([
          {
            field: 'homeClusterId',
            in: 'body',
            message: `unknown cluster ${JSON.stringify(job.homeClusterId)}`,
          },
        ]);
    }
    const interactive = job.kind === 'interactive';
    const values = [
      id,
      job.name,
      job.model,
      job.kind,
      JSON.stringify(job.tokensPerSecondPerGpu),
      interactive ? job.tokensPerHour : null,
      interactive && job.demandProfile ? JSON.stringify(job.demandProfile) : null,
      interactive ? null : job.totalTokens,
      interactive ? null : job.windowStart,
      interactive ? null : job.deadline,
      job.origin,
      job.latencySlaMs,
      JSON.stringify(job.residency),
      job.tier,
      job.maxGpus,
      JSON.stringify(job.pins),
      job.homeClusterId,
    ];
    const rows = insert
      ? await m.query<JobRaw[]>(
          `insert into jobs (id, name, model, kind, tokens_per_second_per_gpu, tokens_per_hour, demand_profile,
             total_tokens, window_start, deadline, origin, latency_sla_ms, residency, tier, max_gpus, pins, home_cluster_id)
           values ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16::jsonb, $17)
           on conflict (id) do nothing returning *`,
          values,
        )
      : await returning<JobRaw>(
          m,
          `update jobs set name = $2, model = $3, kind = $4, tokens_per_second_per_gpu = $5::jsonb,
             tokens_per_hour = $6, demand_profile = $7::jsonb, total_tokens = $8, window_start = $9, deadline = $10,
             origin = $11, latency_sla_ms = $12, residency = $13::jsonb, tier = $14, max_gpus = $15,
             pins = $16::jsonb, home_cluster_id = $17, updated_at = now()
           where id = $1 returning *`,
          values,
        );
    if (!rows[0])
      throw new ConflictError(`job ${JSON.stringify(id)} already exists`, { name: 'id', in: 'body' });
    return jobView(rows[0]);
  }

  /** Creates a job (id generated when not given). */
  async create(actor: string, body: CreateJobBody): Promise<JobView> {
    const id = body.id ?? randomUUID();
    return this.db.transaction(async (m) => {
      const job = await this.write(m, id, body, true);
      await this.audit.record(
        { actor, action: 'job.create', targetType: 'job', targetId: id, after: auditable(job) },
        m,
      );
      return job;
    });
  }

  /** Changes some fields; the merged job must still be valid (same rules as create). The kind cannot change. */
  async update(actor: string, id: string, patch: UpdateJobBody): Promise<JobView> {
    return this.db.transaction(async (m) => {
      const before = await this.get(id, m, true);
      const other = before.kind === 'interactive' ? KIND_FIELDS.batch : KIND_FIELDS.interactive;
      const wrong = other.filter((field) => patch[field] !== undefined);
      if (wrong.length > 0) {
        throw new ValidationError(
          wrong.map((field) => ({ field, in: 'body', message: `not a field of ${before.kind} jobs` })),
        );
      }
      const { id: _id, status: _s, createdAt: _c, updatedAt: _u, ...current } = before;
      // The merged job is validated like a new one; fields of the other kind stay out (they are null).
      const own = Object.fromEntries(
        Object.entries(current).filter(([key]) => !(other as readonly string[]).includes(key)),
      );
      const merged = parseInput(
        CreateJobBody,
        { ...own, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) },
        'body',
      );
      const after = await this.write(m, id, merged, false);
      await this.audit.record(
        {
          actor,
          action: 'job.update',
          targetType: 'job',
          targetId: id,
          before: auditable(before),
          after: auditable(after),
        },
        m,
      );
      return after;
    });
  }

  /** Pauses or resumes a job (idempotent; no audit row when nothing changes). */
  async setStatus(actor: string, id: string, status: 'active' | 'paused', reason?: string): Promise<JobView> {
    return this.db.transaction(async (m) => {
      const before = await this.get(id, m, true);
      if (before.status === status) return before;
      const rows = await returning<JobRaw>(
        m,
        `update jobs set status = $2, updated_at = now() where id = $1 returning *`,
        [id, status],
      );
      const after = jobView(rows[0]!);
      await this.audit.record(
        {
          actor,
          action: status === 'paused' ? 'job.pause' : 'job.resume',
          targetType: 'job',
          targetId: id,
          before: { status: before.status },
          after: { status: after.status },
          reason: reason ?? null,
        },
        m,
      );
      return after;
    });
  }

  /** Deletes a job (its past placements stay in their schedules). */
  async remove(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const before = await this.get(id, m, true);
      await m.query(`delete from jobs where id = $1`, [id]);
      await this.audit.record(
        { actor, action: 'job.delete', targetType: 'job', targetId: id, before: auditable(before) },
        m,
      );
    });
  }

  /**
   * Pins, forbids or clears a job on a cluster (audited as an override) and, when asked, files a re-plan
   * request (trigger `override`) — all in one transaction.
   */
  async pin(
    actor: string,
    id: string,
    body: PinBody,
  ): Promise<{ job: JobView; planRequest: { id: string } | null }> {
    return this.db.transaction(async (m) => {
      const before = await this.get(id, m, true);
      const cluster = await m.query<unknown[]>(`select 1 from clusters where id = $1`, [body.clusterId]);
      if (cluster.length === 0)
        throw new NotFoundError('cluster', body.clusterId, { name: 'clusterId', in: 'body' });
      const mustRunIn = new Set(before.pins.mustRunIn ?? []);
      const mustNotRunIn = new Set(before.pins.mustNotRunIn ?? []);
      switch (body.mode) {
        case 'pin':
          mustRunIn.add(body.clusterId);
          mustNotRunIn.delete(body.clusterId);
          break;
        case 'forbid':
          mustNotRunIn.add(body.clusterId);
          mustRunIn.delete(body.clusterId);
          break;
        case 'clear':
          mustRunIn.delete(body.clusterId);
          mustNotRunIn.delete(body.clusterId);
          break;
      }
      const pins = {
        ...(mustRunIn.size ? { mustRunIn: [...mustRunIn].sort() } : {}),
        ...(mustNotRunIn.size ? { mustNotRunIn: [...mustNotRunIn].sort() } : {}),
      };
      const rows = await returning<JobRaw>(
        m,
        `update jobs set pins = $2::jsonb, updated_at = now() where id = $1 returning *`,
        [id, JSON.stringify(pins)],
      );
      await this.audit.record(
        {
          actor,
          action: `job.${body.mode}`,
          targetType: 'job',
          targetId: id,
          before: { pins: before.pins },
          after: { pins, clusterId: body.clusterId },
          reason: body.reason ?? null,
        },
        m,
      );
      const job = jobView(rows[0]!);
      if (!body.replan) return { job, planRequest: null };
      const planRequestId = await this.scheduling.requestPlan(
        {
          trigger: 'override',
          requestedBy: actor,
          reason: body.reason ?? `${body.mode} job ${id} on ${body.clusterId}`,
        },
        m,
      );
      return { job, planRequest: { id: planRequestId } };
    });
  }
}
