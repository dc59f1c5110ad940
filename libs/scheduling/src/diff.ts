/**
 * How two schedules differ — the one place schedules are compared. Pure: no IO.
 * - `diffSchedules`: per job and cluster over each schedule's whole horizon, with the stored cost totals.
 * - `diffWindow` + `summarizeMoves` + `priceDiffSides`: per (job, cluster, slot) over the slots both horizons
 *   cover, both sides priced with one set of prices (the admin API's diff view).
 */
import type { ChangedCellRow } from '#gridshift/persistence';
import type { CostedCell, SchedulePricing } from './repricing.js';
import { costPerGpuHour } from './repricing.js';
import type { SchedulePlacement } from './round.js';

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

/** One (job, cluster, slot) whose GPU-hours differ between the base (published) and the candidate schedule. */
export type ChangedCell = ChangedCellRow;

export interface JobMove {
  jobId: string;
  /** GPU-hours the base had in cells where the candidate has less (work moved away or dropped). */
  movedGpuHours: number;
  /** GPU-hours the candidate adds in cells where the base had less. */
  addedGpuHours: number;
  /** Σ (after − before) × cost per GPU-hour of the cell. */
  costDelta: number;
  clusters: { clusterId: string; removedGpuHours: number; addedGpuHours: number }[];
}

/**
 * Which jobs move where. `price(cluster, slot)` is the cost of one GPU-hour used for both sides (the
 * candidate's prices), so the delta isolates the effect of the moves.
 */
export function summarizeMoves(
  changed: readonly ChangedCell[],
  price: (clusterId: string, slotStartMs: number) => number | undefined,
): { jobs: JobMove[]; movedGpuHours: number; addedGpuHours: number; unpricedCells: number } {
  const jobs = new Map<string, JobMove & { byCluster: Map<string, { removed: number; added: number }> }>();
  let moved = 0;
  let added = 0;
  let unpricedCells = 0;
  for (const c of changed) {
    let job = jobs.get(c.jobId);
    if (!job) {
      job = {
        jobId: c.jobId,
        movedGpuHours: 0,
        addedGpuHours: 0,
        costDelta: 0,
        clusters: [],
        byCluster: new Map(),
      };
      jobs.set(c.jobId, job);
    }
    const removed = Math.max(0, c.beforeGpuHours - c.afterGpuHours);
    const gained = Math.max(0, c.afterGpuHours - c.beforeGpuHours);
    job.movedGpuHours += removed;
    job.addedGpuHours += gained;
    moved += removed;
    added += gained;
    const p = price(c.clusterId, c.slotStartMs);
    if (p === undefined) unpricedCells += 1;
    else job.costDelta += (c.afterGpuHours - c.beforeGpuHours) * p;
    let cluster = job.byCluster.get(c.clusterId);
    if (!cluster) job.byCluster.set(c.clusterId, (cluster = { removed: 0, added: 0 }));
    cluster.removed += removed;
    cluster.added += gained;
  }
  const list = [...jobs.values()].map(({ byCluster, ...job }) => ({
    ...job,
    clusters: [...byCluster.entries()]
      .map(([clusterId, v]) => ({ clusterId, removedGpuHours: v.removed, addedGpuHours: v.added }))
      .sort((a, b) => a.clusterId.localeCompare(b.clusterId)),
  }));
  // Biggest moves first; ties by id so pages are stable.
  list.sort(
    (a, b) =>
      b.movedGpuHours + b.addedGpuHours - (a.movedGpuHours + a.addedGpuHours) ||
      a.jobId.localeCompare(b.jobId),
  );
  return { jobs: list, movedGpuHours: moved, addedGpuHours: added, unpricedCells };
}

/** The slots both schedules cover: [fromMs, toMs), empty when toMs ≤ fromMs; without a base, the candidate's. */
export function diffWindow(
  candidate: { horizonStartMs: number; horizonEndMs: number },
  base: { horizonStartMs: number; horizonEndMs: number } | undefined,
): { fromMs: number; toMs: number } {
  return {
    fromMs: Math.max(candidate.horizonStartMs, base?.horizonStartMs ?? -Infinity),
    toMs: Math.min(candidate.horizonEndMs, base?.horizonEndMs ?? Infinity),
  };
}

/**
 * One price for both sides of a diff: the candidate's snapshot price of a cell; a cell only the base has a
 * price for falls back to the base's.
 */
export function diffPrice(
  candidate: SchedulePricing | null,
  base: SchedulePricing | null,
): (clusterId: string, slotStartMs: number) => number | undefined {
  return (clusterId, slotMs) =>
    costPerGpuHour(candidate, clusterId, slotMs) ?? costPerGpuHour(base, clusterId, slotMs);
}

/** GPU-hours and cost of each side's cells inside the window, and how many of those cells had no price. */
export function priceDiffSides(
  base: readonly CostedCell[] | undefined,
  candidate: readonly CostedCell[],
  window: { fromMs: number; toMs: number },
  price: (clusterId: string, slotStartMs: number) => number | undefined,
): {
  before: { gpuHours: number; cost: number };
  after: { gpuHours: number; cost: number };
  unpricedCells: number;
} {
  let unpricedCells = 0;
  const sideCost = (cells: readonly CostedCell[]) => {
    let gpuHours = 0;
    let cost = 0;
    for (const c of cells) {
      if (c.slotStartMs < window.fromMs || c.slotStartMs >= window.toMs) continue;
      gpuHours += c.gpuHours;
      const p = price(c.clusterId, c.slotStartMs);
      if (p === undefined) unpricedCells += 1;
      else cost += c.gpuHours * p;
    }
    return { gpuHours, cost };
  };
  const before = base ? sideCost(base) : { gpuHours: 0, cost: 0 };
  const after = sideCost(candidate);
  return { before, after, unpricedCells };
}
