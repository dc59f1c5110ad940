// The home and greedy baselines on whole GPUs: the counterfactuals a whole-GPU schedule is compared with.
import { homePreferences, sortedCellsByCost } from './baselines.js';
import type { NormalizedProblem, NormJob } from './normalize.js';
import { EntryCollector } from './account.js';
import { wholeGpuSchedule, type RoundedSchedule } from './round.js';
import { claimOrder } from './tie-break.js';

const FRACTION_EPS = 1e-9;

/**
 * Whole-GPU bookkeeping shared by both baselines. Each baseline claims a (job, cell) at most once, so a claim is
 * simply ⌈work / Δt⌉ new GPUs: free GPUs of the cell (⌊GPUs⌋ after the power cap, minus those held) and of the
 * job in that slot (maxGpus minus those it holds) bound it.
 */
class WholeGpus {
  readonly T: number;
  readonly hours: number;
  readonly used: Int32Array;
  readonly cap: Int32Array;
  readonly jobSlotGpus: Float64Array;
  /** Claims as (job, cell, GPUs, GPU-hours of work). */
  readonly claims: EntryCollector;
  private job: NormJob | null = null;

  constructor(readonly norm: NormalizedProblem) {
    this.T = norm.slotCount;
    this.hours = norm.slotHours;
    this.cap = new Int32Array(norm.clusters.length * this.T);
    norm.clusters.forEach((cluster, r) => this.cap.set(cluster.capGpus, r * this.T));
    this.used = new Int32Array(this.cap.length);
    this.jobSlotGpus = new Float64Array(this.T);
    this.claims = new EntryCollector(norm.jobs.length, 4 * norm.jobs.length);
  }

  /** Starts claiming for `job` (its GPUs per slot start at 0). */
  begin(job: NormJob): void {
    this.job = job;
    this.jobSlotGpus.fill(0);
  }

  /** Places up to `want` GPU-hours of the current job in `cell` on new whole GPUs; returns what it placed. */
  claim(cell: number, want: number): number {
    const job = this.job;
    const hours = this.hours;
    if (!job || !(want > FRACTION_EPS * hours)) return 0;
    const t = cell % this.T;
    const free = Math.min(
      (this.cap[cell] ?? 0) - (this.used[cell] ?? 0),
      Math.floor(job.maxGpus - (this.jobSlotGpus[t] ?? 0) + FRACTION_EPS),
    );
    if (!(free > 0)) return 0;
    const take = Math.min(want, free * hours);
    const gpus = Math.ceil(take / hours - FRACTION_EPS);
    this.used[cell] = (this.used[cell] ?? 0) + gpus;
    this.jobSlotGpus[t] = (this.jobSlotGpus[t] ?? 0) + gpus;
    this.claims.add(job.index, cell, gpus, take);
    return take;
  }

  schedule(): RoundedSchedule {
    return { ...wholeGpuSchedule(this.claims), lostGpuHours: new Float64Array(this.norm.jobs.length) };
  }
}

/**
 * `homeBaseline` on whole GPUs (what operators run: a job holds whole GPUs in a cluster): the same order
 * (interactive first, then batch, each in input order) and the same cluster preference (home, then the other
 * allowed clusters by latency from the job's origin, no prices), but every (job, cluster, slot) holds whole
 * GPUs — two jobs never share one, and a cell offers ⌊GPUs⌋ after its power cap. Work is counted as done
 * (GPU-hours ≤ GPUs × Δt), as in the rounded schedule. Unserved only where no allowed cluster has a whole GPU
 * free. Pure.
 */
export function homeBaselineWholeGpus(norm: NormalizedProblem): RoundedSchedule {
  const T = norm.slotCount;
  const state = new WholeGpus(norm);
  const order = [
    ...norm.jobs.filter((job) => job.kind === 'interactive'),
    ...norm.jobs.filter((job) => job.kind === 'batch'),
  ];
  const preferenceOf = homePreferences(norm);
  const fill = (clusters: readonly number[], t: number, want: number): number => {
    let placed = 0;
    for (const r of clusters) placed += state.claim(r * T + t, want - placed);
    return placed;
  };
  for (const job of order) {
    const clusters = preferenceOf(job);
    if (clusters.length === 0) continue;
    state.begin(job);
    if (job.kind === 'interactive') {
      const servable = job.servableBySlot;
      for (let t = 0; t < T && servable; t++) fill(clusters, t, servable[t] ?? 0);
      continue;
    }
    let remaining = job.servableGpuHours;
    for (let t = job.windowStart; t < job.windowEnd && remaining > 0; t++) {
      remaining -= fill(clusters, t, Math.min(remaining, job.maxGpuHoursPerSlot));
    }
  }
  return state.schedule();
}

/**
 * `greedyBaseline` on whole GPUs: jobs in `claimOrder` (least flexible first), each filling its cheapest allowed
 * cells first and never where a cell costs more than leaving the work unserved; every (job, cluster, slot)
 * holds whole GPUs as in `homeBaselineWholeGpus`. Pure.
 */
export function greedyBaselineWholeGpus(norm: NormalizedProblem): RoundedSchedule {
  const T = norm.slotCount;
  const state = new WholeGpus(norm);
  const cellsFor = sortedCellsByCost(norm);
  const cellCost = new Float64Array(state.cap.length);
  norm.clusters.forEach((cluster, r) => cellCost.set(cluster.costPerGpuHour, r * T));
  const placedInSlot = new Float64Array(T);
  for (const job of claimOrder(norm.jobs)) {
    state.begin(job);
    placedInSlot.fill(0);
    const servable = job.servableBySlot;
    let remaining = job.kind === 'batch' ? job.servableGpuHours : 0;
    if (servable) for (const d of servable) remaining += d;
    for (const cell of cellsFor(job)) {
      if (!(remaining > FRACTION_EPS)) break;
      if ((cellCost[cell] ?? 0) >= job.penaltyPerGpuHour) break;
      const t = cell % T;
      const want = servable ? (servable[t] ?? 0) - (placedInSlot[t] ?? 0) : remaining;
      const placed = state.claim(cell, Math.min(want, remaining));
      placedInSlot[t] = (placedInSlot[t] ?? 0) + placed;
      remaining -= placed;
    }
  }
  return state.schedule();
}

/**
 * Everything `homeBaselineWholeGpus` reads, as one array of numbers: the slot count and length, each cell's
 * whole-GPU capacity, and per job (in order) its index, kind, maxGpus, its servable work (per slot for an
 * interactive job; total, window and per-slot limit for a batch job) and its cluster preference list (which
 * stands for the home cluster, the allowed set, the origin and the latencies it is computed from). Lengths
 * precede every variable part, so two problems have equal keys exactly when the baseline reads equal inputs.
 * No price, penalty or cost is in it: the home baseline uses none. Pure.
 */
export function homeBaselineKey(norm: NormalizedProblem): Float64Array {
  const T = norm.slotCount;
  const preferenceOf = homePreferences(norm);
  const preferences = norm.jobs.map((job) => preferenceOf(job));
  let size = 4 + norm.clusters.length * T;
  norm.jobs.forEach((job, j) => {
    size += 4 + (job.kind === 'interactive' ? T : 4) + preferences[j]!.length;
  });
  const key = new Float64Array(size);
  let k = 0;
  key[k++] = T;
  key[k++] = norm.slotHours;
  key[k++] = norm.clusters.length;
  key[k++] = norm.jobs.length;
  for (const cluster of norm.clusters) {
    key.set(cluster.capGpus, k);
    k += T;
  }
  norm.jobs.forEach((job, j) => {
    key[k++] = job.index;
    key[k++] = job.maxGpus;
    if (job.kind === 'interactive') {
      const servable = job.servableBySlot;
      key[k++] = servable ? 1 : 2; // interactive with / without per-slot work (then it places nothing)
      if (servable) key.set(servable.subarray(0, T), k);
      k += T;
    } else {
      key[k++] = 3;
      key[k++] = job.servableGpuHours;
      key[k++] = job.windowStart;
      key[k++] = job.windowEnd;
      key[k++] = job.maxGpuHoursPerSlot;
    }
    const preference = preferences[j]!;
    key[k++] = preference.length;
    for (const r of preference) key[k++] = r;
  });
  return key;
}

/** Bitwise equality of two keys (−0 ≠ 0, and equal NaNs are equal: the exact inputs, not their values). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function copyOf(schedule: RoundedSchedule): RoundedSchedule {
  const { entries, lostGpuHours } = schedule;
  const start = entries.start.slice();
  const cell = entries.cell.slice();
  const work = entries.work.slice();
  return {
    entries: { start, cell, gpus: entries.gpus.slice(), work },
    work: { start, cell, value: work },
    lostGpuHours: lostGpuHours.slice(),
  };
}

/**
 * A memo of the last `homeBaselineWholeGpus` for a caller that solves one fleet again and again (the planner:
 * a re-plan on new prices changes nothing the home baseline reads). Keyed by `homeBaselineKey` compared bit for
 * bit, so a hit is exactly what computing it again would give; any change of capacity, jobs, windows, demand,
 * pins or latencies misses. Hits return a copy (the caller may keep or change it). One entry; pure (no IO).
 * The greedy baseline has no such memo: it reads every cell's cost (its order and its cut-off at the penalty),
 * and jobs share cells in claim order, so a price change anywhere may change any job's claims.
 */
export class HomeBaselineMemo {
  private key: Float64Array | null = null;
  private schedule: RoundedSchedule | null = null;
  hits = 0;
  misses = 0;

  get(norm: NormalizedProblem): RoundedSchedule {
    const key = homeBaselineKey(norm);
    if (this.key !== null && this.schedule !== null && sameBits(key, this.key)) {
      this.hits++;
      return copyOf(this.schedule);
    }
    this.misses++;
    const schedule = homeBaselineWholeGpus(norm);
    this.key = key;
    this.schedule = copyOf(schedule);
    return schedule;
  }
}
