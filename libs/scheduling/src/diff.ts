/**
 * How two schedules differ — the one place schedules are compared. Pure: no IO.
 * `diffWindow` + `summarizeMoves` + `priceDiffSides`: per (job, cluster, slot) over the slots both horizons
 * cover (the changed cells come from PlacementCellRepository.changedCells), both sides priced with one set of
 * prices. The admin API's diff view and the planner's tests use it.
 */
import type { ChangedCellRow } from '#gridshift/persistence';
import type { CostedCell, SchedulePricing } from './repricing.js';
import { costPerGpuHour } from './repricing.js';

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
