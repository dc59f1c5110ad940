import type { JobSchedule } from './account.js';
import type { PlacementProblem } from './model.js';
import {
  EXCLUSION_REASONS,
  normalizeProblem,
  type ExclusionReason,
  type NormalizedProblem,
  type NormJob,
  type ShortfallReason,
} from './normalize.js';
import type { BlockReason, CheaperCell, JobExplanation, JobOutcome, JobResult } from './result.js';
import type { RoundedSchedule } from './round.js';

const MAX_CHEAPER_CELLS = 3;

function relTol(value: number): number {
  return 1e-9 * Math.max(1, Math.abs(value));
}

function formatGpuHours(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

function formatCost(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(2) : v.toPrecision(3);
}

function slotRange(first: number, last: number): string {
  return first === last ? `slot ${first}` : `slots ${first}–${last}`;
}

interface Context {
  norm: NormalizedProblem;
  cellUsed: Float64Array;
  /** 0 = room, 1 = full (GPUs), 2 = full (power cap), 3 = full (a grid event's power cap). */
  cellFull: Uint8Array;
  cellsByCost: Int32Array;
  heuristic: boolean;
  /** Scratch of `explainJob`: 1 for clusters already listed as cheaper. */
  clustersListed: Uint8Array;
  /** Scratch of `explainJob`: per slot, the most expensive cost the job pays there. */
  slotMarginal: Float64Array;
}

/**
 * `full(cell, r, t)` says whether a cell has no room left; by default (the LP's flows) when its GPU-hours reach
 * the LP capacity.
 */
function buildContext(
  norm: NormalizedProblem,
  flows: JobSchedule | null,
  heuristic: boolean,
  full?: (cell: number, r: number, t: number) => boolean,
): Context {
  const T = norm.slotCount;
  const cellCount = norm.clusters.length * T;
  const cellUsed = new Float64Array(cellCount);
  if (flows) for (let k = 0; k < flows.cell.length; k++) cellUsed[flows.cell[k]!]! += flows.value[k]!;
  const cellFull = new Uint8Array(cellCount);
  const order: number[] = [];
  norm.clusters.forEach((cluster, r) => {
    for (let t = 0; t < T; t++) {
      const cell = r * T + t;
      const cap = cluster.capGpuHours[t] ?? 0;
      const isFull = full ? full(cell, r, t) : (cellUsed[cell] ?? 0) >= cap - relTol(cap);
      if (isFull) cellFull[cell] = 1 + (cluster.powerLimited[t] ?? 0);
      order.push(cell);
    }
  });
  const cost = (cell: number) => norm.clusters[Math.floor(cell / T)]?.costPerGpuHour[cell % T] ?? 0;
  order.sort((a, b) => cost(a) - cost(b) || a - b);
  return {
    norm,
    cellUsed,
    cellFull,
    cellsByCost: Int32Array.from(order),
    heuristic,
    clustersListed: new Uint8Array(norm.clusters.length),
    slotMarginal: new Float64Array(T),
  };
}

/** Why the LP left `job` unserved in `slots`: room only above the penalty, only beyond maxGpus, or none. */
function residualReason(ctx: Context, job: NormJob, slots: number[], slotUse: Float64Array): ShortfallReason {
  const T = ctx.norm.slotCount;
  let roomAtPrice = false;
  let roomBeyondParallelism = false;
  let gridEventFull = false;
  for (const t of slots) {
    const atMax = (slotUse[t] ?? 0) >= job.maxGpuHoursPerSlot - relTol(job.maxGpuHoursPerSlot);
    for (const r of job.allowed) {
      const cell = r * T + t;
      const cluster = ctx.norm.clusters[r];
      if (
        cluster?.powerLimited[t] === 2 &&
        (ctx.cellFull[cell] === 3 || !((cluster.capGpuHours[t] ?? 0) > 0))
      )
        gridEventFull = true;
      if (!cluster || !((cluster.capGpuHours[t] ?? 0) > 0) || ctx.cellFull[cell]) continue;
      if (atMax) roomBeyondParallelism = true;
      else if ((cluster.costPerGpuHour[t] ?? 0) >= job.penaltyPerGpuHour) roomAtPrice = true;
    }
  }
  if (roomAtPrice) return 'price';
  if (roomBeyondParallelism) return 'parallelism';
  // No room in any allowed cell, and a grid event's cap closed at least one of them.
  return gridEventFull ? 'grid-event' : 'capacity';
}

function blockReason(
  ctx: Context,
  job: NormJob,
  cell: number,
  slotUse: Float64Array,
  slotMarginal: Float64Array,
): BlockReason | null {
  const T = ctx.norm.slotCount;
  const r = Math.floor(cell / T);
  const t = cell % T;
  const excluded = job.exclusion[r] ?? 0;
  if (excluded > 0) return EXCLUSION_REASONS[excluded - 1] ?? 'not-allowed';
  if (t < job.windowStart) return 'window';
  if (t >= job.windowEnd) return 'deadline';
  const full = ctx.cellFull[cell] ?? 0;
  const cap = ctx.norm.clusters[r]?.capGpuHours[t] ?? 0;
  if (full >= 2) return 'power-cap';
  if (full === 1 || !(cap > 0)) return 'capacity';
  // maxGpus only blocks when no work of that slot sits in a dearer cell it could swap with.
  const cost = ctx.norm.clusters[r]?.costPerGpuHour[t] ?? 0;
  const atMax = (slotUse[t] ?? 0) >= job.maxGpuHoursPerSlot - relTol(job.maxGpuHoursPerSlot);
  if (atMax && !((slotMarginal[t] ?? -Infinity) > cost + relTol(cost))) return 'parallelism';
  if (ctx.heuristic) return 'heuristic';
  if (job.previous && ctx.norm.stabilityCostPerGpuHour > 0) return 'stability';
  return null;
}

/** The cells of one job and their GPU-hours: `cell[k]`, `value[k]` for k in `from .. to`. */
interface JobEntries {
  cell: ArrayLike<number>;
  value: ArrayLike<number>;
  from: number;
  to: number;
}

function explainJob(
  ctx: Context,
  job: NormJob,
  entries: JobEntries,
  slotUse: Float64Array,
  unservedBySlot: Float64Array | null,
  residual: number,
  currency: string,
): JobExplanation {
  const { norm } = ctx;
  const T = norm.slotCount;
  const byCluster = new Map<number, { gpuHours: number; first: number; last: number }>();
  // Per slot: the most expensive cost the job pays there (interactive demand cannot move between slots).
  const slotMarginal = ctx.slotMarginal.fill(-Infinity);
  let marginal = -Infinity;
  for (let k = entries.from; k < entries.to; k++) {
    const cell = entries.cell[k]!;
    const v = entries.value[k]!;
    if (!(v > 0)) continue;
    const r = Math.floor(cell / T);
    const t = cell % T;
    const entry = byCluster.get(r) ?? { gpuHours: 0, first: t, last: t };
    entry.gpuHours += v;
    entry.first = Math.min(entry.first, t);
    entry.last = Math.max(entry.last, t);
    byCluster.set(r, entry);
    const cost = norm.clusters[r]?.costPerGpuHour[t] ?? 0;
    slotMarginal[t] = Math.max(slotMarginal[t] ?? -Infinity, cost);
    marginal = Math.max(marginal, cost);
  }
  if (job.allowed.length === 0 && job.demandGpuHours > 0) {
    // Nowhere allowed: every GPU-hour pays the penalty.
    marginal = job.penaltyPerGpuHour;
    for (let t = 0; t < T; t++) {
      if (job.kind === 'batch' || (job.demandBySlot?.[t] ?? 0) > 0) slotMarginal[t] = job.penaltyPerGpuHour;
    }
  } else if (unservedBySlot) {
    for (let t = 0; t < T; t++) {
      if ((unservedBySlot[t] ?? 0) > relTol(job.maxGpuHoursPerSlot)) {
        slotMarginal[t] = Math.max(slotMarginal[t] ?? -Infinity, job.penaltyPerGpuHour);
        marginal = Math.max(marginal, job.penaltyPerGpuHour);
      }
    }
  } else if (residual > relTol(job.servableGpuHours)) {
    marginal = Math.max(marginal, job.penaltyPerGpuHour);
  }
  const cheaperCells: CheaperCell[] = [];
  const clustersListed = ctx.clustersListed;
  clustersListed.fill(0);
  if (Number.isFinite(marginal)) {
    for (const cell of ctx.cellsByCost) {
      const r = Math.floor(cell / T);
      const t = cell % T;
      if (clustersListed[r] === 1) continue;
      const cost = norm.clusters[r]?.costPerGpuHour[t] ?? 0;
      if (cost >= marginal - relTol(marginal)) break;
      if (job.kind === 'interactive' && !(cost < (slotMarginal[t] ?? -Infinity) - relTol(marginal))) continue;
      const reason = blockReason(ctx, job, cell, slotUse, slotMarginal);
      if (reason === null) continue;
      clustersListed[r] = 1;
      cheaperCells.push({
        clusterId: norm.clusters[r]?.id ?? '',
        slotIndex: t,
        slotStartUtc: norm.problem.slotStartsUtc[t] ?? '',
        costPerGpuHour: cost,
        blockedBy: reason,
      });
      if (cheaperCells.length >= MAX_CHEAPER_CELLS) break;
    }
  }
  const clusters = [...byCluster.entries()]
    .sort((a, b) => b[1].gpuHours - a[1].gpuHours)
    .map(([r, e]) => ({
      clusterId: norm.clusters[r]?.id ?? '',
      gpuHours: e.gpuHours,
      firstSlot: e.first,
      lastSlot: e.last,
    }));
  let served = 0;
  for (const c of clusters) served += c.gpuHours;
  let summary: string;
  if (job.allowed.length === 0) {
    summary = `Not placed: no allowed cluster (${job.structuralShortfall[0]?.reason ?? 'not-allowed'}).`;
  } else if (clusters.length === 0) {
    summary = `Nothing placed of ${formatGpuHours(job.demandGpuHours)} GPU-h.`;
  } else {
    const where = clusters
      .slice(0, 3)
      .map((c) => `${c.clusterId} (${slotRange(c.firstSlot, c.lastSlot)})`)
      .join(', ');
    summary = `Placed ${formatGpuHours(served)} of ${formatGpuHours(job.demandGpuHours)} GPU-h in ${where}${clusters.length > 3 ? ', …' : ''}.`;
  }
  if (Number.isFinite(marginal)) summary += ` Marginal cost ${formatCost(marginal)} ${currency}/GPU-h.`;
  if (cheaperCells.length > 0) {
    summary +=
      ' Cheaper: ' +
      cheaperCells.map((c) => `${c.clusterId} slot ${c.slotIndex} (${c.blockedBy})`).join(', ') +
      '.';
  }
  return {
    summary,
    clusters,
    marginalCostPerGpuHour: Number.isFinite(marginal) ? marginal : null,
    cheaperCells,
  };
}

/**
 * Servable work a schedule leaves unserved (beyond float noise): per slot for interactive jobs (`unservedBySlot`,
 * null when no slot is short), in total for batch jobs (`unservedBySlot` null). `servedBySlot` / `served` are the
 * job's GPU-hours in the schedule. None for a job with no allowed cluster (its shortfall is structural).
 */
function unservedWork(
  job: NormJob,
  T: number,
  servedBySlot: Float64Array,
  served: number,
): { residual: number; unservedBySlot: Float64Array | null } {
  if (job.allowed.length === 0) return { residual: 0, unservedBySlot: null };
  if (job.kind !== 'interactive') {
    const residual = job.servableGpuHours - served;
    return { residual: residual > relTol(job.servableGpuHours) ? residual : 0, unservedBySlot: null };
  }
  // Allocated only when some slot is short (most jobs are served in full).
  let unservedBySlot: Float64Array | null = null;
  let residual = 0;
  for (let t = 0; t < T; t++) {
    const left = (job.servableBySlot?.[t] ?? 0) - (servedBySlot[t] ?? 0);
    if (left > relTol(job.maxGpuHoursPerSlot)) {
      unservedBySlot ??= new Float64Array(T);
      unservedBySlot[t] = left;
      residual += left;
    }
  }
  return { residual, unservedBySlot };
}

/** A job's outcome from the GPU-hours it is served. */
function outcomeOf(job: NormJob, served: number): JobOutcome {
  const shortfall = Math.max(0, job.demandGpuHours - served);
  if (shortfall <= relTol(job.demandGpuHours)) return 'placed';
  return served > relTol(job.demandGpuHours) ? 'partially-placed' : 'unplaceable';
}

/** Per-job outcome, shortfall by reason, exclusions and (optionally) explanation. Pure. */
export function describeJobs(
  norm: NormalizedProblem,
  flows: JobSchedule,
  rounded: RoundedSchedule,
  opts: { explain: boolean; heuristic: boolean },
): JobResult[] {
  const T = norm.slotCount;
  const ctx = buildContext(norm, flows, opts.heuristic);
  const slotUse = new Float64Array(T);
  const currency = norm.problem.currency;
  // Jobs with the same rules share (frozen) cluster lists: fleets have few distinct allowed sets.
  const clusterLists = new Map<
    string,
    { allowed: JobResult['allowedClusterIds']; excluded: JobResult['excludedClusters'] }
  >();
  const charKeys = norm.clusters.length < 0x10000;
  const listsFor = (job: NormJob) => {
    // Exclusion codes and cluster indices as char codes: a short key without joining per job.
    const key = charKeys
      ? `${String.fromCharCode(...job.exclusion)}|${String.fromCharCode(...job.allowed)}`
      : `${job.exclusion.join('')}|${job.allowed.join(',')}`;
    let lists = clusterLists.get(key);
    if (!lists) {
      const excluded: { clusterId: string; reason: ExclusionReason }[] = [];
      job.exclusion.forEach((code, r) => {
        const reason = EXCLUSION_REASONS[code - 1];
        if (code > 0 && reason)
          excluded.push(Object.freeze({ clusterId: norm.clusters[r]?.id ?? '', reason }));
      });
      lists = {
        allowed: Object.freeze(job.allowed.map((r) => norm.clusters[r]?.id ?? '')),
        excluded: Object.freeze(excluded),
      };
      clusterLists.set(key, lists);
    }
    return lists;
  };
  return norm.jobs.map((job) => {
    const entries: JobEntries = {
      cell: flows.cell,
      value: flows.value,
      from: flows.start[job.index]!,
      to: flows.start[job.index + 1]!,
    };
    slotUse.fill(0);
    let lpServed = 0;
    for (let k = entries.from; k < entries.to; k++) {
      const v = flows.value[k]!;
      slotUse[flows.cell[k]! % T]! += v;
      lpServed += v;
    }
    let served = 0;
    const work = rounded.work;
    for (let k = work.start[job.index]!; k < work.start[job.index + 1]!; k++) served += work.value[k]!;

    // Structural shortfall first; then what the LP left unserved (its reasons, capped at what is still
    // unserved after rounding — the rounding re-solve may serve a job more than the LP did); the rest
    // is rounding.
    // Maps only for jobs with a shortfall (most jobs are served in full).
    let reasons = null as Map<ShortfallReason, number> | null;
    const add = (reason: ShortfallReason, gpuHours: number) => {
      if (!(gpuHours > 0)) return;
      reasons ??= new Map();
      reasons.set(reason, (reasons.get(reason) ?? 0) + gpuHours);
    };
    let structural = 0;
    for (const s of job.structuralShortfall) {
      add(s.reason, s.gpuHours);
      structural += s.gpuHours;
    }
    let lpReasons = null as Map<ShortfallReason, number> | null;
    const addLp = (reason: ShortfallReason, gpuHours: number) => {
      if (!(gpuHours > 0)) return;
      lpReasons ??= new Map();
      lpReasons.set(reason, (lpReasons.get(reason) ?? 0) + gpuHours);
    };
    const { residual, unservedBySlot } = unservedWork(job, T, slotUse, lpServed);
    if (unservedBySlot) {
      for (let t = 0; t < T; t++) {
        const left = unservedBySlot[t] ?? 0;
        if (left > 0) addLp(residualReason(ctx, job, [t], slotUse), left);
      }
    } else if (residual > 0) {
      const slots: number[] = [];
      for (let t = job.windowStart; t < job.windowEnd; t++) slots.push(t);
      addLp(residualReason(ctx, job, slots, slotUse), residual);
    }
    const shortfall = Math.max(0, job.demandGpuHours - served);
    const beyondStructural = Math.max(0, shortfall - structural);
    const lpScale = residual > beyondStructural ? beyondStructural / residual : 1;
    if (lpReasons) for (const [reason, gpuHours] of lpReasons) add(reason, gpuHours * lpScale);
    const rounding = beyondStructural - residual * lpScale;
    if (rounding > relTol(job.demandGpuHours)) add('rounding', rounding);

    const outcome = outcomeOf(job, served);
    const lists = listsFor(job);
    const result: JobResult = {
      jobId: job.id,
      kind: job.kind,
      outcome,
      demandGpuHours: job.demandGpuHours,
      lpServedGpuHours: lpServed,
      servedGpuHours: served,
      shortfall: {
        gpuHours: shortfall,
        reasons: reasons ? [...reasons.entries()].map(([reason, gpuHours]) => ({ reason, gpuHours })) : [],
      },
      allowedClusterIds: lists.allowed,
      excludedClusters: lists.excluded,
    };
    if (opts.explain)
      result.explanation = explainJob(ctx, job, entries, slotUse, unservedBySlot, residual, currency);
    return result;
  });
}

/** A placement as a schedule stores it: whole GPUs of a job in a cluster and slot, and the GPU-hours of work on them. */
export interface StoredPlacement {
  jobId: string;
  clusterId: string;
  slotStartUtc: string;
  gpus: number;
  gpuHours: number;
}

/** Whole GPUs a stored schedule uses in one cluster and slot, all jobs together. */
export interface StoredCellUse {
  clusterId: string;
  slotStartUtc: string;
  gpus: number;
}

/** The explanation of one job of a stored schedule, with its outcome and the clusters its rules exclude. */
export interface StoredJobExplanation extends JobExplanation {
  outcome: JobResult['outcome'];
  excludedClusters: { clusterId: string; reason: ExclusionReason }[];
}

/**
 * Explanations of a stored (whole-GPU) schedule, computed on request instead of stored per job: where a job went
 * and why not somewhere cheaper, read off the schedule on `problem` (its input snapshot). The same rules as the
 * solver's own explanations (`describeJobs`), applied to the stored schedule rather than to the LP optimum before
 * rounding: a cell is full when its whole GPUs are all used (`cells`, the schedule's GPUs per cluster and slot),
 * a job is at its parallelism limit when it holds `maxGpus` in a slot, and what rounding left unserved counts as
 * unserved. Normalises the problem once; the returned function explains one job from its own stored placements
 * (null when the problem has no such job). Pure.
 */
export function storedScheduleExplainer(
  problem: PlacementProblem,
  cells: readonly StoredCellUse[],
  opts: { heuristic: boolean },
): (jobId: string, placements: readonly StoredPlacement[]) => StoredJobExplanation | null {
  const norm = normalizeProblem(problem);
  const T = norm.slotCount;
  const clusterIndex = new Map(norm.clusters.map((c, r) => [c.id, r]));
  const slotIndex = new Map(norm.problem.slotStartsUtc.map((start, t) => [Date.parse(start), t]));
  const cellOf = (clusterId: string, slotStartUtc: string): number | undefined => {
    const r = clusterIndex.get(clusterId);
    const t = slotIndex.get(Date.parse(slotStartUtc));
    return r === undefined || t === undefined ? undefined : r * T + t;
  };
  const jobIndex = new Map(norm.jobs.map((job) => [job.id, job.index]));
  const gpusInCell = new Float64Array(norm.clusters.length * T);
  for (const c of cells) {
    const cell = cellOf(c.clusterId, c.slotStartUtc);
    // Cells outside the problem (unknown cluster or slot) cannot be explained against it.
    if (cell !== undefined) gpusInCell[cell] = (gpusInCell[cell] ?? 0) + c.gpus;
  }
  const ctx = buildContext(
    norm,
    null,
    opts.heuristic,
    (cell, r, t) => (gpusInCell[cell] ?? 0) >= (norm.clusters[r]?.capGpus[t] ?? 0),
  );
  const slotUse = new Float64Array(T);
  const servedBySlot = new Float64Array(T);
  return (jobId, placements) => {
    const j = jobIndex.get(jobId);
    const job = j === undefined ? undefined : norm.jobs[j];
    if (!job) return null;
    // Occupancy (whole GPUs × slot hours, against maxGpus) and served work per slot.
    const work = new Map<number, number>();
    slotUse.fill(0);
    servedBySlot.fill(0);
    let served = 0;
    for (const p of placements) {
      const cell = p.jobId === jobId ? cellOf(p.clusterId, p.slotStartUtc) : undefined;
      if (cell === undefined) continue;
      const t = cell % T;
      work.set(cell, (work.get(cell) ?? 0) + p.gpuHours);
      slotUse[t] = (slotUse[t] ?? 0) + p.gpus * norm.slotHours;
      servedBySlot[t] = (servedBySlot[t] ?? 0) + p.gpuHours;
      served += p.gpuHours;
    }
    const { residual, unservedBySlot } = unservedWork(job, T, servedBySlot, served);
    const outcome = outcomeOf(job, served);
    const excludedClusters: StoredJobExplanation['excludedClusters'] = [];
    job.exclusion.forEach((code, r) => {
      const reason = EXCLUSION_REASONS[code - 1];
      if (code > 0 && reason) excludedClusters.push({ clusterId: norm.clusters[r]?.id ?? '', reason });
    });
    const entries: JobEntries = { cell: [...work.keys()], value: [...work.values()], from: 0, to: work.size };
    return {
      ...explainJob(ctx, job, entries, slotUse, unservedBySlot, residual, norm.problem.currency),
      outcome,
      excludedClusters,
    };
  };
}
