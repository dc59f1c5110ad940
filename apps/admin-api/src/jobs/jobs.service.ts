import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditRepository, FleetRepository, type JobRecord, JobRepository } from '#gridshift/persistence';
import { ConflictError, NotFoundError, ValidationError } from '../http/errors.js';
import { parseInput } from '../http/zod.js';
import { SCHEDULING, type SchedulingPort } from '../schedules/scheduling.port.js';
import { CreateJobBody, type JobView, type PinBody, type UpdateJobBody } from './jobs.schemas.js';

const jobView = (r: JobRecord): JobView => ({
  ...r,
  windowStart: r.windowStart?.toISOString() ?? null,
  deadline: r.deadline?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
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
  private readonly jobs: JobRepository;

  constructor(
    private readonly db: DataSource,
    @Inject(SCHEDULING) private readonly scheduling: SchedulingPort,
  ) {
    this.audit = new AuditRepository(db);
    this.jobs = new JobRepository(db);
  }

  /** A page of jobs ordered by id (keyset cursor = last id). */
  async list(filter: {
    status?: string;
    kind?: string;
    tier?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const rows = await this.jobs.page({
      status: filter.status,
      kind: filter.kind,
      tier: filter.tier,
      afterId: filter.cursor,
      limit: filter.limit + 1,
    });
    const items = rows.slice(0, filter.limit).map(jobView);
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** One job; NotFoundError when unknown. */
  async get(id: string, manager: DataSource | EntityManager = this.db, lock = false): Promise<JobView> {
    const row = await new JobRepository(manager).find(id, { lock });
    if (!row) throw new NotFoundError('job', id, { name: 'id', in: 'path' });
    return jobView(row);
  }

  private async write(m: EntityManager, id: string, job: CreateJobBody, insert: boolean): Promise<JobView> {
    if (job.homeClusterId) {
      if (!(await new FleetRepository(m).clusterExists(job.homeClusterId)))
        throw new ValidationError([
          {
            field: 'homeClusterId',
            in: 'body',
            message: `unknown cluster ${JSON.stringify(job.homeClusterId)}`,
          },
        ]);
    }
    const interactive = job.kind === 'interactive';
    const fields = {
      name: job.name,
      model: job.model,
      kind: job.kind,
      tokensPerSecondPerGpu: job.tokensPerSecondPerGpu,
      tokensPerHour: interactive ? job.tokensPerHour : null,
      demandProfile: interactive && job.demandProfile ? job.demandProfile : null,
      totalTokens: interactive ? null : job.totalTokens,
      windowStart: interactive ? null : job.windowStart,
      deadline: interactive ? null : job.deadline,
      origin: job.origin,
      latencySlaMs: job.latencySlaMs,
      residency: job.residency,
      tier: job.tier,
      maxGpus: job.maxGpus,
      pins: job.pins,
      homeClusterId: job.homeClusterId,
    };
    const jobs = new JobRepository(m);
    const row = insert ? await jobs.insert(id, fields) : await jobs.update(id, fields);
    if (!row) throw new ConflictError(`job ${JSON.stringify(id)} already exists`, { name: 'id', in: 'body' });
    return jobView(row);
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
      const after = jobView(await new JobRepository(m).setStatus(id, status));
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
      await new JobRepository(m).delete(id);
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
      if (!(await new FleetRepository(m).clusterExists(body.clusterId)))
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
      const pinned = await new JobRepository(m).setPins(id, pins);
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
      const job = jobView(pinned);
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
