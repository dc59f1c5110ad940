import type { JobFlows } from './account.js';
import type { NormalizedProblem, NormJob } from './normalize.js';

/**
 * The order in which work claims cells: least flexible first (fewest allowed cells: allowed clusters × window
 * slots, 1 slot for interactive work), then the highest penalty, then input order. The greedy baseline fills
 * cells in this order; the optimum's tie-break (`orderTies`) splits equally cheap schedules by it.
 */
export function claimOrder(jobs: readonly NormJob[]): NormJob[] {
  const flexibility = (job: NormJob) =>
    job.allowed.length * (job.kind === 'batch' ? job.windowEnd - job.windowStart : 1);
  return jobs
    .filter((job) => job.allowed.length > 0)
    .sort(
      (a, b) =>
        flexibility(a) - flexibility(b) || b.penaltyPerGpuHour - a.penaltyPerGpuHour || a.index - b.index,
    );
}

/** Below this a job's GPU-hours in a cell count as none (float noise of moved work). */
const EPS_GPU_HOURS = 1e-9;

/**
 * A deterministic tie-break among schedules of equal cost (pure; returns new flows). When a cell's cost per
 * GPU-hour is the same for every job, the LP fixes how much work each cell does and how much each job does in
 * each slot, but not which job does it where: swapping two jobs' work between two clusters of a slot, both
 * allowed for both, costs the same. The LP's pick among those is arbitrary, so a job's (and a day's) share of
 * the cost would be too. This rule fixes it: slot by slot, jobs in `claimOrder` (the greedy baseline's order)
 * each move their work to the cheapest of their allowed clusters as far as the jobs after them in the order
 * can make room, along a chain of jobs each moving to another of its own allowed clusters. Every cell keeps its
 * GPU-hours and every job its GPU-hours per slot, so capacity, power caps, windows, maxGpus and the total cost
 * are unchanged. With job-specific cell costs (stability) the flows are returned as they are.
 */
export function orderTies(norm: NormalizedProblem, flows: JobFlows): JobFlows {
  if (norm.hasJobSpecificCosts) return flows;
  const T = norm.slotCount;
  const R = norm.clusters.length;
  const out: JobFlows = flows.map((cells) => new Map(cells));
  const rank = new Int32Array(norm.jobs.length).fill(-1);
  claimOrder(norm.jobs).forEach((job, i) => (rank[job.index] = i));
  const jobsInSlot: number[][] = Array.from({ length: T }, () => []);
  out.forEach((cells, j) => {
    if (rank[j]! < 0) return;
    const slots = new Set<number>();
    for (const [cell, gpuHours] of cells) if (gpuHours > EPS_GPU_HOURS) slots.add(cell % T);
    for (const t of slots) jobsInSlot[t]!.push(j);
  });
  // Per slot: arcs[u·R + v] = how many jobs after the current one could move work from cluster u to v.
  const arcs = new Int32Array(R * R);
  const next = new Int32Array(R);
  const queue = new Int32Array(R);
  for (let t = 0; t < T; t++) {
    const js = jobsInSlot[t]!;
    if (js.length < 2) continue;
    js.sort((a, b) => rank[a]! - rank[b]!);
    const cost = (r: number) => norm.clusters[r]?.costPerGpuHour[t] ?? 0;
    const allowed = js.map((j) => norm.jobs[j]!.allowed);
    const work = js.map((j, p) => {
      const row = new Float64Array(R);
      for (const r of allowed[p]!) row[r] = out[j]!.get(r * T + t) ?? 0;
      return row;
    });
    const count = (p: number, sign: number) => {
      const row = work[p]!;
      for (const u of allowed[p]!) {
        if (!(row[u]! > EPS_GPU_HOURS)) continue;
        for (const v of allowed[p]!) if (v !== u) arcs[u * R + v] = arcs[u * R + v]! + sign;
      }
    };
    arcs.fill(0);
    for (let p = 1; p < js.length; p++) count(p, 1);
    for (let p = 0; p < js.length - 1; p++) {
      if (p > 0) count(p, -1);
      const row = work[p]!;
      // Nothing to gain when all its work already sits in its cheapest clusters.
      let cheapest = Number.POSITIVE_INFINITY;
      for (const r of allowed[p]!) cheapest = Math.min(cheapest, cost(r));
      if (!allowed[p]!.some((r) => row[r]! > EPS_GPU_HOURS && cost(r) > cheapest)) continue;
      const byCost = [...allowed[p]!].sort((a, b) => cost(a) - cost(b) || a - b);
      for (let guard = 0; guard < 4 * R * js.length; guard++) {
        // The dearest cluster holding this job's work, and the cheapest cluster that can pass room to it.
        let moved = false;
        for (let i = byCost.length - 1; i > 0 && !moved; i--) {
          const dear = byCost[i]!;
          if (!(row[dear]! > EPS_GPU_HOURS)) continue;
          // Breadth-first backwards from `dear`: next[u] = the cluster u's room moves on to.
          next.fill(-1);
          next[dear] = dear;
          let head = 0;
          let tail = 0;
          queue[tail++] = dear;
          while (head < tail) {
            const v = queue[head++]!;
            for (let u = 0; u < R; u++) {
              if (next[u] !== -1 || !(arcs[u * R + v]! > 0)) continue;
              next[u] = v;
              queue[tail++] = u;
            }
          }
          const cheap = byCost.find((r) => r !== dear && next[r] !== -1 && cost(r) < cost(dear));
          if (cheap === undefined) continue;
          // The jobs along the chain cheap → … → dear and the GPU-hours they can pass.
          const hops: [number, number, number][] = [];
          let amount = row[dear]!;
          for (let u = cheap; u !== dear; u = next[u]!) {
            const v = next[u]!;
            let best = -1;
            for (let k = p + 1; k < js.length; k++) {
              if (!(work[k]![u]! > EPS_GPU_HOURS) || !allowed[k]!.includes(v)) continue;
              if (best < 0 || work[k]![u]! > work[best]![u]!) best = k;
            }
            if (best < 0) break;
            hops.push([best, u, v]);
            amount = Math.min(amount, work[best]![u]!);
          }
          if (hops.length === 0 || hops[hops.length - 1]![2] !== dear) continue;
          const touched = [...new Set(hops.map(([k]) => k))];
          for (const k of touched) count(k, -1);
          for (const [k, u, v] of hops) {
            work[k]![u] = work[k]![u]! - amount;
            work[k]![v] = work[k]![v]! + amount;
          }
          for (const k of touched) count(k, 1);
          row[dear] = row[dear]! - amount;
          row[cheap] = row[cheap]! + amount;
          moved = true;
        }
        if (!moved) break;
      }
    }
    js.forEach((j, p) => {
      const cells = out[j]!;
      for (const r of allowed[p]!) {
        const gpuHours = work[p]![r]!;
        if (gpuHours > EPS_GPU_HOURS) cells.set(r * T + t, gpuHours);
        else cells.delete(r * T + t);
      }
    });
  }
  return out;
}
