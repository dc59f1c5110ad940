import { EntryCollector, toJobMaps, type JobSchedule } from './account.js';
import type { JobKind } from './model.js';
import type { NormalizedProblem, NormJob } from './normalize.js';

/**
 * Exact class aggregation (README "Aggregation").
 *
 * Interactive jobs with the same allowed set and penalty form one class: per slot, demands add up and
 * any split of the class's cell usage in proportion to each job's demand in that slot is valid.
 *
 * Batch jobs with the same allowed set, window and penalty are interchangeable except for their
 * ratio ρ_j = d_j / (m_j·Δt) (slots at full parallelism). The GPU-hours a job can put into a set T of
 * window slots are bounded by f_j(T) = m_j·Δt·min(ρ_j, |T|); on whole |T| this equals the sum of two
 * "pseudo-jobs" with integer ratios ⌊ρ⌋ and ⌈ρ⌉ and parallelism weights (⌈ρ⌉−ρ)·m_j and (ρ−⌊ρ⌋)·m_j.
 * Pseudo-jobs with the same integer ratio n are proportional, so they aggregate into one sub-class with
 * demand n·M·Δt and parallelism M·Δt (M = Σ weights), and split back pro rata to weight. Because the
 * feasible usage sets are polymatroids and Minkowski sums of polymatroids add their rank functions, the
 * aggregated LP has the same optimum as the job-level LP, and the split is job-feasible.
 */
export interface PlacementClass {
  index: number;
  kind: JobKind;
  /** Sorted allowed cluster indices. */
  allowed: number[];
  windowStart: number;
  windowEnd: number;
  penaltyPerGpuHour: number;
  /** Batch: total GPU-hours of the class (Σ pseudo-job demand). */
  demandGpuHours: number;
  /** Batch: M·Δt, max GPU-hours per slot; Infinity when it cannot bind (ratio ≤ 1). */
  parallelGpuHoursPerSlot: number;
  /** Interactive: servable GPU-hours per slot summed over members. */
  demandBySlot: Float64Array | null;
  /** Member job indices and, for batch, their pseudo-job weights (GPUs). */
  members: number[];
  weights: number[];
  /** Singleton class of a job with a previous schedule: cell → GPU-hours. */
  previous: Map<number, number> | null;
}

/** Class-level solution: GPU-hours per (class, cell) and unserved GPU-hours. */
export interface ClassFlows {
  /** Per class: cells (r·T + t) and GPU-hours, parallel arrays. */
  cells: number[][];
  gpuHours: number[][];
  /** Batch: unserved GPU-hours of the class; interactive: per slot. */
  unserved: number[];
  unservedBySlot: (Float64Array | null)[];
}

const RATIO_EPS = 1e-12;

interface ClassDraft extends PlacementClass {
  key: string;
}

function newClass(key: string, job: NormJob, index: number, slotCount: number): ClassDraft {
  return {
    key,
    index,
    kind: job.kind,
    allowed: job.allowedKey === '' ? [] : job.allowedKey.split(',').map(Number),
    windowStart: job.windowStart,
    windowEnd: job.windowEnd,
    penaltyPerGpuHour: job.penaltyPerGpuHour,
    demandGpuHours: 0,
    parallelGpuHoursPerSlot: 0,
    demandBySlot: job.kind === 'interactive' ? new Float64Array(slotCount) : null,
    members: [],
    weights: [],
    previous: job.previous,
  };
}

/** Pseudo-jobs of a batch job: (integer ratio n ≥ 1, parallelism weight in GPUs). */
function pseudoJobs(job: NormJob): [number, number][] {
  const ratio = job.servableGpuHours / job.maxGpuHoursPerSlot;
  const rounded = Math.round(ratio);
  const list: [number, number][] =
    Math.abs(ratio - rounded) <= RATIO_EPS * Math.max(1, ratio)
      ? [[rounded, job.maxGpus]]
      : [
          [Math.floor(ratio), (Math.ceil(ratio) - ratio) * job.maxGpus],
          [Math.ceil(ratio), (ratio - Math.floor(ratio)) * job.maxGpus],
        ];
  return list.filter(([n, weight]) => n > 0 && weight > 0);
}

/** Groups jobs into exact classes (`aggregate = false` gives one class per job). Pure. */
export function aggregateJobs(
  norm: NormalizedProblem,
  aggregate = true,
  include: (job: NormJob) => boolean = () => true,
): PlacementClass[] {
  const byKey = new Map<string, ClassDraft>();
  const classes: ClassDraft[] = [];
  const slotHours = norm.slotHours;
  const get = (key: string, job: NormJob): ClassDraft => {
    let cls = byKey.get(key);
    if (!cls) {
      cls = newClass(key, job, classes.length, norm.slotCount);
      byKey.set(key, cls);
      classes.push(cls);
    }
    return cls;
  };
  // Batch jobs are grouped by allowed set, window and penalty first; a group is pseudo-split only
  // when that yields fewer classes than jobs.
  const batchGroups = new Map<string, NormJob[]>();
  for (const job of norm.jobs) {
    if (job.allowed.length === 0 || !include(job)) continue;
    const single = !aggregate || job.previous !== null;
    const prefix = single ? `j${job.index}` : `${job.allowedKey}|${job.penaltyPerGpuHour}`;
    if (job.kind === 'interactive') {
      const servable = job.servableBySlot;
      if (!servable || !servable.some((d) => d > 0)) continue;
      const cls = get(`i|${prefix}`, job);
      cls.members.push(job.index);
      cls.weights.push(1);
      const demand = cls.demandBySlot;
      if (demand) for (let t = 0; t < servable.length; t++) demand[t] = (demand[t] ?? 0) + (servable[t] ?? 0);
      continue;
    }
    if (!(job.servableGpuHours > 0)) continue;
    const key = `b|${prefix}|${job.windowStart}-${job.windowEnd}`;
    let group = batchGroups.get(key);
    if (!group) batchGroups.set(key, (group = []));
    group.push(job);
  }
  for (const [key, group] of batchGroups) {
    const pseudo = group.map((job) => pseudoJobs(job));
    const ratios = new Set<number>();
    for (const list of pseudo) for (const [n] of list) ratios.add(n);
    if (group.length === 1 || ratios.size >= group.length) {
      for (const job of group) {
        const cls = get(`${key}|j${job.index}`, job);
        cls.members.push(job.index);
        cls.weights.push(job.maxGpus);
        cls.demandGpuHours = job.servableGpuHours;
        cls.parallelGpuHoursPerSlot =
          job.servableGpuHours <= job.maxGpuHoursPerSlot ? Infinity : job.maxGpuHoursPerSlot;
      }
      continue;
    }
    group.forEach((job, k) => {
      for (const [n, weight] of pseudo[k] ?? []) {
        const cls = get(`${key}|${n}`, job);
        cls.members.push(job.index);
        cls.weights.push(weight);
        cls.demandGpuHours += n * weight * slotHours;
        // n ≤ 1: the class can never exceed M·Δt in a slot, so the parallelism row is redundant.
        cls.parallelGpuHoursPerSlot =
          n <= 1 ? Infinity : (cls.parallelGpuHoursPerSlot || 0) + weight * slotHours;
      }
    });
  }
  return classes;
}

/** The same classes with interactive demand re-summed from `norm`'s members (e.g. rounding's whole-GPU jobs). Pure. */
export function withMemberDemand(norm: NormalizedProblem, classes: PlacementClass[]): PlacementClass[] {
  return classes.map((cls) => {
    if (!cls.demandBySlot) return cls;
    const demandBySlot = new Float64Array(cls.demandBySlot.length);
    for (const j of cls.members) {
      const servable = norm.jobs[j]?.servableBySlot;
      if (servable)
        for (let t = 0; t < demandBySlot.length; t++) demandBySlot[t] = demandBySlot[t]! + (servable[t] ?? 0);
    }
    return { ...cls, demandBySlot };
  });
}

/**
 * Splits class flows back to jobs exactly: cell → GPU-hours per job. Pure.
 *
 * Per slot, each job's share of the class's GPU-hours is fixed (batch: weight / M; interactive: its
 * servable demand / the class's), which keeps every job-level row of the LP. Within a slot the shares
 * are laid onto the class's cells north-west-corner style, so a job uses as few clusters as possible
 * (cost is unchanged: the class's total per cell is the LP's).
 */
export function splitToJobs(
  norm: NormalizedProblem,
  classes: PlacementClass[],
  flows: ClassFlows,
): Map<number, number>[] {
  return toJobMaps(splitToSchedule(norm, classes, flows));
}

/** `splitToJobs` as a flat `JobSchedule` (no map per job). Pure. */
export function splitToSchedule(
  norm: NormalizedProblem,
  classes: PlacementClass[],
  flows: ClassFlows,
): JobSchedule {
  const T = norm.slotCount;
  const jobCount = norm.jobs.length;
  // Every member takes a share of each slot the class uses (≤ min(T, its cells)), plus one more entry per cell
  // where a share spans two cells: what the collector is sized for.
  let entries = 0;
  for (const cls of classes) {
    const cellCount = flows.cells[cls.index]?.length ?? 0;
    entries += cls.members.length * Math.min(T, cellCount) + cellCount;
  }
  const out = new EntryCollector(jobCount, entries);
  // Scratch for grouping a class's entries by slot (slots in order of first appearance, entries in
  // flow order within a slot) without a map and arrays per class.
  const perSlot = new Int32Array(T);
  const slotStart = new Int32Array(T);
  const slotOrder = new Int32Array(T);
  let entryOrder = new Int32Array(64);
  for (const cls of classes) {
    const cells = flows.cells[cls.index] ?? [];
    const amounts = flows.gpuHours[cls.index] ?? [];
    if (cells.length === 0) continue;
    if (entryOrder.length < cells.length) entryOrder = new Int32Array(cells.length * 2);
    let slotsUsed = 0;
    for (const cell of cells) {
      const t = cell % T;
      if (perSlot[t] === 0) slotOrder[slotsUsed++] = t;
      perSlot[t] = perSlot[t]! + 1;
    }
    let offset = 0;
    for (let s = 0; s < slotsUsed; s++) {
      const t = slotOrder[s]!;
      slotStart[t] = offset;
      offset += perSlot[t]!;
      perSlot[t] = 0;
    }
    for (let e = 0; e < cells.length; e++) {
      const t = cells[e]! % T;
      entryOrder[slotStart[t]! + perSlot[t]!] = e;
      perSlot[t] = perSlot[t]! + 1;
    }
    let weightTotal = 0;
    for (const w of cls.weights) weightTotal += w;
    for (let s = 0; s < slotsUsed; s++) {
      const t = slotOrder[s]!;
      const first = slotStart[t]!;
      const last = first + perSlot[t]! - 1;
      perSlot[t] = 0;
      let slotTotal = 0;
      for (let k = first; k <= last; k++) slotTotal += amounts[entryOrder[k]!] ?? 0;
      const classDemand = cls.demandBySlot?.[t] ?? 0;
      const tiny = slotTotal * 1e-14;
      let e = first;
      let cellLeft = amounts[entryOrder[e]!] ?? 0;
      for (let k = 0; k < cls.members.length; k++) {
        const target = cls.members[k] ?? -1;
        if (!(target >= 0 && target < jobCount)) continue;
        let share: number;
        if (cls.kind === 'batch') share = (cls.weights[k] ?? 0) / weightTotal;
        else {
          const servable = norm.jobs[cls.members[k] ?? -1]?.servableBySlot?.[t] ?? 0;
          share = classDemand > 0 ? servable / classDemand : 0;
        }
        let need = share * slotTotal;
        while (need > tiny) {
          if (cellLeft <= tiny && e < last) {
            e++;
            cellLeft = amounts[entryOrder[e]!] ?? 0;
            continue;
          }
          // The last cell absorbs float dust so that nothing is lost.
          const take = e === last ? need : Math.min(need, cellLeft);
          const cell = cells[entryOrder[e]!] ?? 0;
          out.add(target, cell, take);
          need -= take;
          cellLeft -= take;
        }
      }
    }
  }
  return out.schedule();
}
