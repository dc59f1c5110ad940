// The home and greedy baselines on whole GPUs: the counterfactuals a whole-GPU schedule is compared with.
import { homePreference } from './baselines.js';
import type { NormalizedProblem } from './normalize.js';
import { Rounding, type RoundedSchedule } from './round.js';
import { claimOrder } from './tie-break.js';

/**
 * `homeBaseline` on whole GPUs (what operators run: a job holds whole GPUs in a cluster): the same order
 * (interactive first, then batch, each in input order) and the same cluster preference (home, then the other
 * allowed clusters by latency from the job's origin, no prices), but every (job, cluster, slot) holds whole
 * GPUs — the job's own spare GPU time in a cell is used before it takes another GPU, two jobs never share one,
 * and a cell offers ⌊GPUs⌋ after its power cap. Work is counted as done (GPU-hours ≤ GPUs × Δt), as in the
 * rounded schedule. Unserved only where no allowed cluster has a whole GPU free. Pure.
 */
export function homeBaselineWholeGpus(norm: NormalizedProblem): RoundedSchedule {
  const T = norm.slotCount;
  const state = new Rounding(norm, norm.jobs.length);
  const order = [
    ...norm.jobs.filter((job) => job.kind === 'interactive'),
    ...norm.jobs.filter((job) => job.kind === 'batch'),
  ];
  for (const job of order) {
    const j = job.index;
    const clusters = homePreference(norm, job);
    if (clusters.length === 0) continue;
    const fill = (t: number, want: number): number => {
      let placed = 0;
      for (const r of clusters) placed += state.claim(j, r * T + t, want - placed);
      return placed;
    };
    if (job.kind === 'interactive') {
      const servable = job.servableBySlot;
      for (let t = 0; t < T && servable; t++) fill(t, servable[t] ?? 0);
      continue;
    }
    let remaining = job.servableGpuHours;
    for (let t = job.windowStart; t < job.windowEnd && remaining > 0; t++) {
      remaining -= fill(t, Math.min(remaining, job.maxGpuHoursPerSlot));
    }
  }
  return { ...state.toSchedule(), lostGpuHours: new Float64Array(norm.jobs.length) };
}

/**
 * `greedyBaseline` on whole GPUs: jobs in `claimOrder` (least flexible first), each filling its cheapest allowed
 * cells first and never where a cell costs more than leaving the work unserved; every (job, cluster, slot)
 * holds whole GPUs as in `homeBaselineWholeGpus`. Pure.
 */
export function greedyBaselineWholeGpus(norm: NormalizedProblem): RoundedSchedule {
  const T = norm.slotCount;
  const state = new Rounding(norm, norm.jobs.length);
  const placedInSlot = new Float64Array(T);
  for (const job of claimOrder(norm.jobs)) {
    const j = job.index;
    placedInSlot.fill(0);
    const servable = job.servableBySlot;
    let remaining = job.kind === 'batch' ? job.servableGpuHours : 0;
    if (servable) for (const d of servable) remaining += d;
    for (const cell of state.cellsFor(job)) {
      if (!(remaining > 0)) break;
      if (state.cost(cell) >= job.penaltyPerGpuHour) break;
      const t = cell % T;
      const want = servable ? (servable[t] ?? 0) - (placedInSlot[t] ?? 0) : remaining;
      const placed = state.claim(j, cell, Math.min(want, remaining));
      placedInSlot[t] = (placedInSlot[t] ?? 0) + placed;
      remaining -= placed;
    }
  }
  return { ...state.toSchedule(), lostGpuHours: new Float64Array(norm.jobs.length) };
}
