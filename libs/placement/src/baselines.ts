import { EntryCollector, type JobSchedule } from './account.js';
import type { NormalizedProblem, NormJob } from './normalize.js';
import { claimOrder } from './tie-break.js';

/**
 * Returns, per job, its allowed in-window cells sorted by cost (ties by cell index). All cells are sorted once;
 * an allowed set filters them, a job's window filters that (same order), cached per allowed set and window.
 */
export function sortedCellsByCost(norm: NormalizedProblem): (job: NormJob) => Int32Array {
  const T = norm.slotCount;
  const R = norm.clusters.length;
  const byAllowed = new Map<string, Int32Array>();
  const cache = new Map<string, Int32Array>();
  // Every cell by (cost, cell) once; a set of allowed clusters keeps its cells in that order (the same
  // order as sorting them alone, as the order is total).
  let all: Int32Array | null = null;
  const everyCell = (): Int32Array => {
    if (all) return all;
    const cost = new Float64Array(R * T);
    norm.clusters.forEach((cluster, r) => {
      for (let t = 0; t < T; t++) cost[r * T + t] = cluster.costPerGpuHour[t] ?? 0;
    });
    const list = Array.from({ length: R * T }, (_v, cell) => cell);
    list.sort((a, b) => cost[a]! - cost[b]! || a - b);
    all = Int32Array.from(list);
    return all;
  };
  const allowedMark = new Uint8Array(R);
  return (job) => {
    const key = `${job.allowedKey}|${job.windowStart}|${job.windowEnd}`;
    let cells = cache.get(key);
    if (!cells) {
      let allowed = byAllowed.get(job.allowedKey);
      if (!allowed) {
        for (const r of job.allowed) allowedMark[r] = 1;
        allowed = everyCell().filter((cell) => allowedMark[Math.floor(cell / T)] === 1);
        for (const r of job.allowed) allowedMark[r] = 0;
        byAllowed.set(job.allowedKey, allowed);
      }
      if (job.windowStart <= 0 && job.windowEnd >= T) cells = allowed;
      else {
        const { windowStart, windowEnd } = job;
        cells = allowed.filter((cell) => {
          const t = cell % T;
          return t >= windowStart && t < windowEnd;
        });
      }
      cache.set(key, cells);
    }
    return cells;
  };
}

const EPS = 1e-12;

function capacityLeft(norm: NormalizedProblem): Float64Array {
  const T = norm.slotCount;
  const left = new Float64Array(norm.clusters.length * T);
  norm.clusters.forEach((cluster, r) => left.set(cluster.capGpuHours, r * T));
  return left;
}

/**
 * The clusters the home baseline tries for a job, in order: its home cluster (`homeClusterId`, else its first
 * allowed cluster), then its other allowed clusters by round-trip latency from the job's origin (unknown
 * latency last), ties in fleet order. Uses no price knowledge.
 */
export function homePreference(norm: NormalizedProblem, job: NormJob): number[] {
  if (job.homeCluster < 0) return [];
  const origin = norm.problem.jobs[job.index]?.origin;
  const latency = (r: number) =>
    (origin === undefined ? undefined : norm.problem.clusters[r]?.latencyMsByOrigin?.[origin]) ??
    Number.POSITIVE_INFINITY;
  const rest = job.allowed.filter((r) => r !== job.homeCluster);
  rest.sort((a, b) => latency(a) - latency(b) || a - b);
  return [job.homeCluster, ...rest];
}

/**
 * `homePreference` per job, computed once per (home cluster, origin, allowed set): fleets have few distinct
 * ones. The returned lists are shared; callers must not change them.
 */
export function homePreferences(norm: NormalizedProblem): (job: NormJob) => readonly number[] {
  const known = new Map<string, number[]>();
  return (job) => {
    const key = `${job.homeCluster}|${norm.problem.jobs[job.index]?.origin ?? ''}|${job.allowedKey}`;
    let list = known.get(key);
    if (!list) known.set(key, (list = homePreference(norm, job)));
    return list;
  };
}

/**
 * Home baseline — what operators do without gridshift, on the same problem (horizon, demand, windows,
 * capacity): interactive jobs first (they cannot wait), then batch jobs, each in input order. Each job goes to
 * its home cluster first; what does not fit there spills to its other allowed clusters in `homePreference`
 * order. Interactive demand is served in its own slot; batch work as early as possible in its window, at most
 * maxGpus per slot. Work is unserved only where no allowed cluster has room. Uses no prices. Pure.
 */
export function homeBaseline(norm: NormalizedProblem): JobSchedule {
  const T = norm.slotCount;
  const left = capacityLeft(norm);
  const flows = new EntryCollector(norm.jobs.length, 4 * norm.jobs.length);
  const order = [
    ...norm.jobs.filter((job) => job.kind === 'interactive'),
    ...norm.jobs.filter((job) => job.kind === 'batch'),
  ];
  const preferenceOf = homePreferences(norm);
  // Fills slot t of job j up to `want` GPU-hours across its preferred clusters; returns what it placed.
  const fill = (j: number, clusters: readonly number[], t: number, want: number): number => {
    let placed = 0;
    for (const r of clusters) {
      if (want - placed <= EPS) break;
      const cell = r * T + t;
      const amount = Math.min(want - placed, left[cell] ?? 0);
      if (amount > EPS) {
        flows.add(j, cell, amount);
        left[cell] = (left[cell] ?? 0) - amount;
        placed += amount;
      }
    }
    return placed;
  };
  for (const job of order) {
    const clusters = preferenceOf(job);
    if (clusters.length === 0) continue;
    if (job.kind === 'interactive') {
      const servable = job.servableBySlot;
      for (let t = 0; t < T && servable; t++) fill(job.index, clusters, t, servable[t] ?? 0);
      continue;
    }
    let remaining = job.servableGpuHours;
    for (let t = job.windowStart; t < job.windowEnd && remaining > EPS; t++) {
      remaining -= fill(job.index, clusters, t, Math.min(remaining, job.maxGpuHoursPerSlot));
    }
  }
  return flows.schedule();
}

/**
 * Greedy baseline (and the fallback schedule): jobs in `claimOrder` (least flexible first: fewest allowed
 * cells, then highest penalty), each filling its cheapest allowed cells first, never where a cell costs more than
 * leaving the work unserved. Respects capacity, windows and maxGpus. Pure.
 */
export function greedyBaseline(norm: NormalizedProblem): JobSchedule {
  const T = norm.slotCount;
  const left = capacityLeft(norm);
  const flows = new EntryCollector(norm.jobs.length, 4 * norm.jobs.length);
  const order = claimOrder(norm.jobs);
  const cellsFor = sortedCellsByCost(norm);
  const usedInSlot = new Float64Array(T);
  const cellCost = new Float64Array(left.length);
  norm.clusters.forEach((cluster, r) => cellCost.set(cluster.costPerGpuHour, r * T));
  for (const job of order) {
    const target = job.index;
    usedInSlot.fill(0);
    const servable = job.servableBySlot;
    let remaining = job.kind === 'batch' ? job.servableGpuHours : 0;
    if (servable) for (const d of servable) remaining += d;
    const cap = job.maxGpuHoursPerSlot;
    for (const cell of cellsFor(job)) {
      if (remaining <= EPS) break;
      if (cellCost[cell]! >= job.penaltyPerGpuHour) break;
      const room = left[cell]!;
      if (!(room > EPS)) continue;
      const t = cell % T;
      const used = usedInSlot[t]!;
      const want = servable ? servable[t]! - used : remaining;
      const amount = Math.min(want, cap - used, room);
      if (amount > EPS) {
        flows.add(target, cell, amount);
        left[cell] = room - amount;
        usedInSlot[t] = used + amount;
        remaining -= amount;
      }
    }
  }
  return flows.schedule();
}
