import type { JobFlows } from './account.js';
import type { NormalizedProblem, NormJob } from './normalize.js';

/** Returns, per job, its allowed in-window cells sorted by cost (cached per allowed set and window). */
export function sortedCellsByCost(norm: NormalizedProblem): (job: NormJob) => Int32Array {
  const T = norm.slotCount;
  const cache = new Map<string, Int32Array>();
  return (job) => {
    const key = `${job.allowedKey}|${job.windowStart}|${job.windowEnd}`;
    let cells = cache.get(key);
    if (!cells) {
      const list: number[] = [];
      for (const r of job.allowed) for (let t = job.windowStart; t < job.windowEnd; t++) list.push(r * T + t);
      const cost = (cell: number) => norm.clusters[Math.floor(cell / T)]?.costPerGpuHour[cell % T] ?? 0;
      list.sort((a, b) => cost(a) - cost(b) || a - b);
      cells = Int32Array.from(list);
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
 * Home baseline — what happens without gridshift: jobs in input order, each in its home cluster
 * (`homeClusterId`, else its first allowed cluster), batch work at the earliest slots of its window at
 * up to maxGpus, interactive demand in its own slot; whatever does not fit there is unserved. Pure.
 */
export function homeBaseline(norm: NormalizedProblem): JobFlows {
  const T = norm.slotCount;
  const left = capacityLeft(norm);
  return norm.jobs.map((job) => {
    const flows = new Map<number, number>();
    const r = job.homeCluster;
    if (r < 0) return flows;
    if (job.kind === 'interactive') {
      const servable = job.servableBySlot;
      for (let t = 0; t < T && servable; t++) {
        const cell = r * T + t;
        const amount = Math.min(servable[t] ?? 0, left[cell] ?? 0);
        if (amount > EPS) {
          flows.set(cell, amount);
          left[cell] = (left[cell] ?? 0) - amount;
        }
      }
      return flows;
    }
    let remaining = job.servableGpuHours;
    for (let t = job.windowStart; t < job.windowEnd && remaining > EPS; t++) {
      const cell = r * T + t;
      const amount = Math.min(remaining, job.maxGpuHoursPerSlot, left[cell] ?? 0);
      if (amount > EPS) {
        flows.set(cell, amount);
        left[cell] = (left[cell] ?? 0) - amount;
        remaining -= amount;
      }
    }
    return flows;
  });
}

function flexibility(job: NormJob): number {
  return job.allowed.length * (job.kind === 'batch' ? job.windowEnd - job.windowStart : 1);
}

/**
 * Greedy baseline (and the fallback schedule): least-flexible job first (fewest allowed cells, then
 * highest penalty), each filling its cheapest allowed cells first, never where a cell costs more than
 * leaving the work unserved. Respects capacity, windows and maxGpus. Pure.
 */
export function greedyBaseline(norm: NormalizedProblem): JobFlows {
  const T = norm.slotCount;
  const left = capacityLeft(norm);
  const flows: JobFlows = norm.jobs.map(() => new Map<number, number>());
  const order = norm.jobs
    .filter((job) => job.allowed.length > 0)
    .sort(
      (a, b) =>
        flexibility(a) - flexibility(b) || b.penaltyPerGpuHour - a.penaltyPerGpuHour || a.index - b.index,
    );
  const cellsFor = sortedCellsByCost(norm);
  const usedInSlot = new Float64Array(T);
  const cellCost = new Float64Array(left.length);
  norm.clusters.forEach((cluster, r) => cellCost.set(cluster.costPerGpuHour, r * T));
  for (const job of order) {
    const target = flows[job.index];
    if (!target) continue;
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
        target.set(cell, amount);
        left[cell] = room - amount;
        usedInSlot[t] = used + amount;
        remaining -= amount;
      }
    }
  }
  return flows;
}
