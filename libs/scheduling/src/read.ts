import type { DataSource, EntityManager } from 'typeorm';
import type { ScheduleStatus } from '#gridshift/persistence';
import type { PreviousSchedule } from './account.js';
import { ScheduleNotFoundError } from './errors.js';
import type { SchedulePlacement } from './round.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Db = DataSource | EntityManager;

/** A stored schedule as the API shows it; `placements` only when asked for. */
export interface ScheduleView {
  id: string;
  version: number | null;
  kind: 'plan' | 'what-if';
  status: ScheduleStatus;
  trigger: string;
  leaderEpoch: number;
  horizonStartUtc: string;
  horizonEndUtc: string;
  slotMinutes: number;
  inputHash: string;
  /** Only with `{ snapshot: true }` (it can be megabytes). */
  inputSnapshot?: unknown;
  solverStats: Record<string, unknown>;
  totals: Record<string, unknown> & { totalCost: number; energyCost: number; servedGpuHours: number };
  baselines: Record<string, unknown>;
  savings: Record<string, unknown>;
  assumptions: unknown[];
  shortfalls: unknown[];
  explanations?: unknown[];
  objective: number;
  supersedesVersion: number | null;
  approval: unknown;
  approvedAt: string | null;
  approvedBy: string | null;
  publishedAt: string | null;
  rejectedAt: string | null;
  rejectedBy: string | null;
  rejectedReason: string | null;
  createdAt: string;
  placements?: SchedulePlacement[];
}

interface ScheduleDbRow {
  id: string;
  version: number | null;
  kind: 'plan' | 'what-if';
  status: ScheduleStatus;
  trigger: string;
  leader_epoch: string;
  horizon_start: Date;
  horizon_end: Date;
  slot_minutes: number;
  input_hash: string;
  input_snapshot?: unknown;
  solver_stats: Record<string, unknown>;
  totals: ScheduleView['totals'];
  baselines: Record<string, unknown>;
  savings: Record<string, unknown>;
  assumptions: unknown[];
  shortfalls: unknown[];
  explanations?: unknown[];
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
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Options of `loadSchedule`; placements and explanations are on by default, the snapshot off. */
export interface LoadScheduleOptions {
  placements?: boolean;
  explanations?: boolean;
  snapshot?: boolean;
}

/** One schedule with its placements (ordered by cluster, slot, job); throws ScheduleNotFoundError. */
export async function loadSchedule(
  db: Db,
  scheduleId: string,
  options: LoadScheduleOptions = {},
): Promise<ScheduleView> {
  if (!UUID.test(scheduleId)) throw new ScheduleNotFoundError(scheduleId);
  const columns = [
    'id, version, kind, status, trigger, leader_epoch::text as leader_epoch, horizon_start, horizon_end',
    'slot_minutes, input_hash, solver_stats, totals, baselines, savings, assumptions, shortfalls, objective',
    'supersedes_version, approval, approved_at, approved_by, published_at, rejected_at, rejected_by',
    'rejected_reason, created_at',
    ...(options.explanations === false ? [] : ['explanations']),
    ...(options.snapshot ? ['input_snapshot'] : []),
  ].join(', ');
  const rows = await db.query<ScheduleDbRow[]>(`select ${columns} from schedules where id = $1`, [
    scheduleId,
  ]);
  const r = rows[0];
  if (!r) throw new ScheduleNotFoundError(scheduleId);
  const view: ScheduleView = {
    id: r.id,
    version: r.version,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    leaderEpoch: Number(r.leader_epoch),
    horizonStartUtc: r.horizon_start.toISOString(),
    horizonEndUtc: r.horizon_end.toISOString(),
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
    approvedAt: iso(r.approved_at),
    approvedBy: r.approved_by,
    publishedAt: iso(r.published_at),
    rejectedAt: iso(r.rejected_at),
    rejectedBy: r.rejected_by,
    rejectedReason: r.rejected_reason,
    createdAt: r.created_at.toISOString(),
  };
  if (r.explanations !== undefined) view.explanations = r.explanations;
  if (r.input_snapshot !== undefined) view.inputSnapshot = r.input_snapshot;
  if (options.placements !== false) view.placements = await loadPlacements(db, scheduleId);
  return view;
}

/** The placements of a schedule, ordered by cluster, slot and job. */
export async function loadPlacements(db: Db, scheduleId: string): Promise<SchedulePlacement[]> {
  const rows = await db.query<
    { job_id: string; cluster_id: string; slot_start: Date; gpus: number; gpu_hours: number }[]
  >(
    `select job_id, cluster_id, slot_start, gpus, gpu_hours from placements where schedule_id = $1
     order by cluster_id, slot_start, job_id`,
    [scheduleId],
  );
  return rows.map((r) => ({
    jobId: r.job_id,
    clusterId: r.cluster_id,
    slotStartUtc: r.slot_start.toISOString(),
    gpus: r.gpus,
    gpuHours: r.gpu_hours,
  }));
}

/** The plan in force: the newest approved or published version (null when none). */
export async function loadScheduleInForce(db: Db): Promise<PreviousSchedule | null> {
  const head = await loadScheduleInForceHead(db);
  return head && { ...head, placements: await loadPlacements(db, head.id) };
}

/** The plan in force without its placements (one row read; null when none). */
export async function loadScheduleInForceHead(db: Db): Promise<Omit<PreviousSchedule, 'placements'> | null> {
  const rows = await db.query<
    {
      id: string;
      version: number;
      horizon_start: Date;
      horizon_end: Date;
      totals: PreviousSchedule['totals'];
    }[]
  >(
    `select id, version, horizon_start, horizon_end, totals from schedules
     where kind = 'plan' and status in ('approved','published') order by version desc limit 1`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    version: r.version,
    horizonStartUtc: r.horizon_start.toISOString(),
    horizonEndUtc: r.horizon_end.toISOString(),
    totals: r.totals,
  };
}

/** The published schedule (the one data centers run now), or null. */
export async function publishedScheduleId(db: Db): Promise<string | null> {
  const rows = await db.query<{ id: string }[]>(
    `select id from schedules where kind = 'plan' and status = 'published' order by version desc limit 1`,
  );
  return rows[0]?.id ?? null;
}

/** The comparable part of a schedule for `diffSchedules`. */
export interface DiffableSchedule {
  id: string;
  version: number | null;
  totals: { totalCost: number; energyCost: number; carbonCost?: number; servedGpuHours?: number };
  placements: Pick<SchedulePlacement, 'jobId' | 'clusterId' | 'slotStartUtc' | 'gpus' | 'gpuHours'>[];
}

/** How one job's GPU-hours per cluster differ between two schedules. */
export interface JobDiff {
  jobId: string;
  fromGpuHours: number;
  toGpuHours: number;
  /** Per cluster where the job's GPU-hours changed: from, to, to − from. */
  clusters: { clusterId: string; fromGpuHours: number; toGpuHours: number; deltaGpuHours: number }[];
  /** Clusters the job left entirely / newly uses. */
  leftClusters: string[];
  newClusters: string[];
}

export interface ScheduleDiff {
  from: { id: string; version: number | null };
  to: { id: string; version: number | null };
  /** Jobs whose GPU-hours per cluster changed, sorted by job id. */
  jobs: JobDiff[];
  /** Per cluster: GPU-hours in each schedule and the change, sorted by cluster id. */
  clusters: { clusterId: string; fromGpuHours: number; toGpuHours: number; deltaGpuHours: number }[];
  /** Σ over job × cluster of max(0, from − to): GPU-hours that left where `from` had them. */
  movedGpuHours: number;
  fromGpuHours: number;
  toGpuHours: number;
  /** to − from. */
  cost: { from: number; to: number; delta: number };
  energyCost: { from: number; to: number; delta: number };
}

/**
 * Which jobs move where between schedule `from` and `to` (pure). GPU-hours are summed per job × cluster
 * over each schedule's whole horizon (placements' `gpuHours`); costs are the stored totals.
 */
export function diffSchedules(from: DiffableSchedule, to: DiffableSchedule): ScheduleDiff {
  const sum = (s: DiffableSchedule) => {
    const byJob = new Map<string, Map<string, number>>();
    const byCluster = new Map<string, number>();
    let total = 0;
    for (const p of s.placements) {
      let clusters = byJob.get(p.jobId);
      if (!clusters) byJob.set(p.jobId, (clusters = new Map<string, number>()));
      clusters.set(p.clusterId, (clusters.get(p.clusterId) ?? 0) + p.gpuHours);
      byCluster.set(p.clusterId, (byCluster.get(p.clusterId) ?? 0) + p.gpuHours);
      total += p.gpuHours;
    }
    return { byJob, byCluster, total };
  };
  const a = sum(from);
  const b = sum(to);
  const EPS = 1e-9;
  let moved = 0;
  const jobs: JobDiff[] = [];
  for (const jobId of [...new Set([...a.byJob.keys(), ...b.byJob.keys()])].sort()) {
    const before = a.byJob.get(jobId) ?? new Map<string, number>();
    const after = b.byJob.get(jobId) ?? new Map<string, number>();
    const clusters: JobDiff['clusters'] = [];
    let fromTotal = 0;
    let toTotal = 0;
    for (const clusterId of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const x = before.get(clusterId) ?? 0;
      const y = after.get(clusterId) ?? 0;
      fromTotal += x;
      toTotal += y;
      moved += Math.max(0, x - y);
      if (Math.abs(y - x) > EPS)
        clusters.push({ clusterId, fromGpuHours: x, toGpuHours: y, deltaGpuHours: y - x });
    }
    if (clusters.length === 0) continue;
    jobs.push({
      jobId,
      fromGpuHours: fromTotal,
      toGpuHours: toTotal,
      clusters,
      leftClusters: clusters.filter((c) => c.toGpuHours <= EPS).map((c) => c.clusterId),
      newClusters: clusters.filter((c) => c.fromGpuHours <= EPS).map((c) => c.clusterId),
    });
  }
  const clusters = [...new Set([...a.byCluster.keys(), ...b.byCluster.keys()])].sort().map((clusterId) => {
    const x = a.byCluster.get(clusterId) ?? 0;
    const y = b.byCluster.get(clusterId) ?? 0;
    return { clusterId, fromGpuHours: x, toGpuHours: y, deltaGpuHours: y - x };
  });
  return {
    from: { id: from.id, version: from.version },
    to: { id: to.id, version: to.version },
    jobs,
    clusters,
    movedGpuHours: moved,
    fromGpuHours: a.total,
    toGpuHours: b.total,
    cost: {
      from: from.totals.totalCost,
      to: to.totals.totalCost,
      delta: to.totals.totalCost - from.totals.totalCost,
    },
    energyCost: {
      from: from.totals.energyCost,
      to: to.totals.energyCost,
      delta: to.totals.energyCost - from.totals.energyCost,
    },
  };
}
