import type { BatchJobInput, ClusterInput, InteractiveJobInput, JobInput } from '#gridshift/placement';
import { busyShareAt, type ClusterSpec, type JobSpec } from './files.js';

// Pure conversion of fleet and job specs into placement-engine inputs on a slot grid. Used by the
// backtest and the demo, so both size demand, capacity and penalties the same way.

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const SECONDS_PER_HOUR = 3600;
const HOURS_PER_DAY = 24;
/** GPU-hours below this are treated as done (float noise from summing committed work). */
const DONE_EPS_GPU_HOURS = 1e-6;

/**
 * Cost of one unserved GPU-hour per tier, in the fleet's currency (the planner's defaults). Far above the energy
 * cost of a GPU-hour (1.25 kWh at even 1,000 /MWh is 1.25), so work is left unserved only when it cannot run
 * anywhere — except `best-effort`, which yields to price spikes above 4,000 /MWh (5 ÷ 1.25 kWh per GPU-hour).
 */
export const DEFAULT_TIER_PENALTIES_PER_GPU_HOUR: Readonly<Record<string, number>> = {
  critical: 1000,
  standard: 100,
  batch: 20,
  'best-effort': 5,
};

/** Penalty of a tier that has none in the table (the planner's `defaultPenaltyPerGpuHour`). */
export const FALLBACK_PENALTY_PER_GPU_HOUR = 100;

/** Equally spaced slots (ISO-8601 UTC starts) the placement problem is solved on. */
export interface SlotGrid {
  slotStartsUtc: readonly string[];
  slotMinutes: number;
}

/** Demand shape of each `demandTrace.file`: tokens per hour for hours 0..23 of a UTC day, before `scale`. */
export type TraceProfiles = ReadonlyMap<string, readonly number[]>;

/** GPU-hours needed to produce `tokens` at `tokensPerSecondPerGpu`: tokens ÷ (rate × 3600). */
export function gpuHoursForTokens(tokens: number, tokensPerSecondPerGpu: number): number {
  return tokens / (tokensPerSecondPerGpu * SECONDS_PER_HOUR);
}

/** GPUs of a cluster free for gridshift at a UTC instant: total − round(total × busy share of that hour). */
export function schedulableGpusAt(
  cluster: Pick<ClusterSpec, 'gpuTotal' | 'peakBusyShare' | 'troughBusyShare' | 'timeZone'>,
  utcMs: number,
): number {
  return cluster.gpuTotal - Math.round(cluster.gpuTotal * busyShareAt(cluster, utcMs));
}

/**
 * The throughput a job's demand is sized with and the clusters it may run on: only clusters whose GPU model
 * the job declares a rate for; when those mix models, the slowest rate (so demand is never under-sized).
 * With no usable cluster the fastest declared rate sizes the (then unservable) demand and `clusterIds` is empty.
 */
export function jobThroughput(
  job: Pick<JobSpec, 'tokensPerSecondPerGpu'>,
  clusters: readonly Pick<ClusterSpec, 'id' | 'gpuModel'>[],
): { tokensPerSecondPerGpu: number; clusterIds: string[]; mixedModels: boolean } {
  const rates = new Map(Object.entries(job.tokensPerSecondPerGpu));
  const usable = clusters.filter((c) => rates.has(c.gpuModel));
  if (usable.length === 0) {
    return { tokensPerSecondPerGpu: Math.max(...rates.values()), clusterIds: [], mixedModels: false };
  }
  const models = new Set(usable.map((c) => c.gpuModel));
  const slowest = Math.min(...[...models].map((m) => rates.get(m) ?? Number.POSITIVE_INFINITY));
  return {
    tokensPerSecondPerGpu: slowest,
    clusterIds: usable.map((c) => c.id),
    mixedModels: models.size > 1,
  };
}

/**
 * Tokens per hour an interactive job asks for in UTC hour-of-day `hour` (0..23): its steady `tokensPerHour`,
 * or trace window `hour` × `scale`; 0 outside its daily service hours [windowStartHour, deadlineHour) when set
 * (taken modulo 24, so 20 → 30 means 20:00–06:00).
 */
export function interactiveTokensPerHour(job: JobSpec, hour: number, traces: TraceProfiles): number {
  if (job.windowStartHour !== undefined || job.deadlineHour !== undefined) {
    const start = job.windowStartHour ?? 0;
    const length = Math.min(HOURS_PER_DAY, (job.deadlineHour ?? HOURS_PER_DAY) - start);
    if ((((hour - start) % HOURS_PER_DAY) + HOURS_PER_DAY) % HOURS_PER_DAY >= length) return 0;
  }
  if (job.demandTrace !== undefined) {
    const profile = traces.get(job.demandTrace.file);
    if (profile === undefined) throw new RangeError(`no trace profile loaded for ${job.demandTrace.file}`);
    return (profile[hour % profile.length] ?? 0) * job.demandTrace.scale;
  }
  return job.tokensPerHour ?? 0;
}

/** What a `JobInput` stands for: an interactive job over the grid, or one day's instance of a batch job. */
export type JobInputMeta =
  | { inputId: string; jobId: string; kind: 'interactive'; tokensPerSecondPerGpu: number }
  | {
      inputId: string;
      jobId: string;
      kind: 'batch';
      tokensPerSecondPerGpu: number;
      /** UTC day the instance belongs to (`YYYY-MM-DD`): its window opens windowStartHour after that midnight. */
      day: string;
      windowStartMs: number;
      deadlineMs: number;
      /** The day's whole batch, GPU-hours. */
      instanceGpuHours: number;
      /** Not yet done before this grid (instanceGpuHours − doneGpuHours). */
      remainingGpuHours: number;
      /** Part of `remainingGpuHours` planned on this grid (less when the deadline is beyond the grid, pro rata). */
      plannedGpuHours: number;
    };

/** A finding about the job specs on this fleet (not an error: the job is still planned, as shortfall). */
export interface JobInputIssue {
  jobId: string;
  code: 'no-gpu-model' | 'mixed-gpu-models' | 'unknown-tier';
  message: string;
}

export interface BuiltJobInputs {
  jobs: JobInput[];
  /** Same order as `jobs`. */
  meta: JobInputMeta[];
  issues: JobInputIssue[];
}

export interface JobInputOptions {
  clusters: readonly ClusterSpec[];
  /** Needed when a job has `demandTrace`. */
  traces?: TraceProfiles;
  /** Penalty per unserved GPU-hour by tier; missing tiers use DEFAULT_TIER_PENALTIES_PER_GPU_HOUR. */
  tierPenaltiesPerGpuHour?: Readonly<Record<string, number>>;
  /** GPU-hours already done per batch instance id (rolling-horizon planning); default none. */
  doneGpuHours?: ReadonlyMap<string, number>;
}

/** Id of the batch instance of job `jobId` for UTC day `day` (`YYYY-MM-DD`). */
export function batchInstanceId(jobId: string, day: string): string {
  return `${jobId}@${day}`;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Placement jobs for `specs` on `grid`, jobs repeating daily (pure). GPU-hours = tokens ÷ (tokens/s per GPU
 * on the allowed clusters' GPU model × 3600). An interactive job is one input with per-slot demand from
 * `tokensPerHour` or its trace profile by UTC hour-of-day. A batch job is one input per UTC day whose window
 * [day + windowStartHour, day + deadlineHour) (defaults 0 and 24) overlaps the grid, id `job@day`, for the
 * work not yet done (`doneGpuHours`); a deadline past the grid's end plans the pro-rata share
 * remaining × (grid end − start) ÷ (deadline − start). Residency zones, origin and latency SLA pass through,
 * the tier becomes `penaltyPerGpuHour` (unknown tiers: FALLBACK_PENALTY_PER_GPU_HOUR, with an issue), `homeClusterId` the home baseline's cluster.
 */
export function toJobInputs(
  specs: readonly JobSpec[],
  grid: SlotGrid,
  opts: JobInputOptions,
): BuiltJobInputs {
  const slotMs = grid.slotMinutes * MS_PER_MINUTE;
  const slotHours = grid.slotMinutes / 60;
  const slotCount = grid.slotStartsUtc.length;
  const gridStartMs = Date.parse(grid.slotStartsUtc[0] ?? '');
  const gridEndMs = gridStartMs + slotCount * slotMs;
  const penalties = { ...DEFAULT_TIER_PENALTIES_PER_GPU_HOUR, ...opts.tierPenaltiesPerGpuHour };
  const clusterIds = new Set(opts.clusters.map((c) => c.id));
  const out: BuiltJobInputs = { jobs: [], meta: [], issues: [] };
  if (slotCount === 0 || !Number.isFinite(gridStartMs)) return out;

  for (const spec of specs) {
    const throughput = jobThroughput(spec, opts.clusters);
    if (throughput.clusterIds.length === 0) {
      out.issues.push({
        jobId: spec.id,
        code: 'no-gpu-model',
        message: `${spec.id} declares tokensPerSecondPerGpu for ${Object.keys(spec.tokensPerSecondPerGpu).join(', ')} but no cluster has that GPU model: it cannot run`,
      });
    } else if (throughput.mixedModels) {
      out.issues.push({
        jobId: spec.id,
        code: 'mixed-gpu-models',
        message: `${spec.id} may run on several GPU models; its demand is sized with the slowest rate (${throughput.tokensPerSecondPerGpu} tokens/s per GPU)`,
      });
    }
    let penaltyPerGpuHour = penalties[spec.tier];
    if (penaltyPerGpuHour === undefined) {
      penaltyPerGpuHour = FALLBACK_PENALTY_PER_GPU_HOUR;
      out.issues.push({
        jobId: spec.id,
        code: 'unknown-tier',
        message: `${spec.id}: tier ${spec.tier} has no penalty (known: ${Object.keys(penalties).join(', ')}); using ${FALLBACK_PENALTY_PER_GPU_HOUR} per unserved GPU-hour`,
      });
    }
    const rate = throughput.tokensPerSecondPerGpu;
    const common = {
      maxGpus: spec.maxGpus,
      allowedClusterIds: throughput.clusterIds,
      ...(spec.residency.length > 0 ? { residencyZones: [...spec.residency] } : {}),
      origin: spec.origin,
      ...(spec.latencySlaMs === undefined ? {} : { latencySlaMs: spec.latencySlaMs }),
      tier: spec.tier,
      penaltyPerGpuHour,
      tokensPerSecondPerGpu: rate,
      ...(spec.homeClusterId !== undefined && clusterIds.has(spec.homeClusterId)
        ? { homeClusterId: spec.homeClusterId }
        : {}),
    };

    if (spec.kind === 'interactive') {
      const demandGpuHours = grid.slotStartsUtc.map((start) => {
        const hour = new Date(start).getUTCHours();
        return gpuHoursForTokens(
          interactiveTokensPerHour(spec, hour, opts.traces ?? new Map()) * slotHours,
          rate,
        );
      });
      const job: InteractiveJobInput = { id: spec.id, kind: 'interactive', demandGpuHours, ...common };
      out.jobs.push(job);
      out.meta.push({ inputId: spec.id, jobId: spec.id, kind: 'interactive', tokensPerSecondPerGpu: rate });
      continue;
    }

    const windowStartHour = spec.windowStartHour ?? 0;
    const deadlineHour = spec.deadlineHour ?? HOURS_PER_DAY;
    const instanceGpuHours = gpuHoursForTokens(spec.totalTokens ?? 0, rate);
    const firstDayMs = Math.floor((gridStartMs - deadlineHour * MS_PER_HOUR) / MS_PER_DAY) * MS_PER_DAY;
    for (let dayMs = firstDayMs; dayMs + windowStartHour * MS_PER_HOUR < gridEndMs; dayMs += MS_PER_DAY) {
      const windowStartMs = dayMs + windowStartHour * MS_PER_HOUR;
      const deadlineMs = dayMs + deadlineHour * MS_PER_HOUR;
      if (deadlineMs <= gridStartMs) continue;
      const day = utcDay(dayMs);
      const inputId = batchInstanceId(spec.id, day);
      const remainingGpuHours = Math.max(0, instanceGpuHours - (opts.doneGpuHours?.get(inputId) ?? 0));
      if (remainingGpuHours <= DONE_EPS_GPU_HOURS) continue;
      const effectiveStartMs = Math.max(windowStartMs, gridStartMs);
      const share =
        deadlineMs > gridEndMs ? (gridEndMs - effectiveStartMs) / (deadlineMs - effectiveStartMs) : 1;
      const windowStartSlot = Math.min(slotCount, Math.ceil((effectiveStartMs - gridStartMs) / slotMs));
      const deadlineSlot = Math.max(
        windowStartSlot,
        Math.min(slotCount, Math.floor((Math.min(deadlineMs, gridEndMs) - gridStartMs) / slotMs)),
      );
      const plannedGpuHours = remainingGpuHours * share;
      const job: BatchJobInput = {
        id: inputId,
        kind: 'batch',
        totalGpuHours: plannedGpuHours,
        windowStartSlot,
        deadlineSlot,
        ...common,
      };
      out.jobs.push(job);
      out.meta.push({
        inputId,
        jobId: spec.id,
        kind: 'batch',
        tokensPerSecondPerGpu: rate,
        day,
        windowStartMs,
        deadlineMs,
        instanceGpuHours,
        remainingGpuHours,
        plannedGpuHours,
      });
    }
  }
  return out;
}

/** Price and carbon of one zone per grid slot, prices already in the fleet's currency per MWh. */
export interface ZoneSlots {
  pricePerMwh: readonly number[];
  /** gCO2/kWh per slot; null = unknown (not priced, not counted). Omit when the zone has no carbon data. */
  carbonGPerKwh?: readonly (number | null)[];
}

/**
 * Placement clusters for `clusters` on `grid` (pure): schedulable GPUs per slot from the daily busy shape
 * (`schedulableGpusAt` at each slot start), the zone's prices and carbon, and — when the cluster has a facility
 * `powerCapKw` — the power left for gridshift after the busy GPUs: cap − busy × kwPerGpu × PUE (≥ 0).
 * Throws RangeError when a cluster's zone has no series or a series does not match the grid.
 */
export function toClusterInputs(
  clusters: readonly ClusterSpec[],
  grid: SlotGrid,
  zones: ReadonlyMap<string, ZoneSlots>,
): ClusterInput[] {
  const slotCount = grid.slotStartsUtc.length;
  const startsMs = grid.slotStartsUtc.map((s) => Date.parse(s));
  return clusters.map((c) => {
    const zone = zones.get(c.zone);
    if (zone === undefined) throw new RangeError(`no prices for zone ${c.zone} (cluster ${c.id})`);
    if (
      zone.pricePerMwh.length !== slotCount ||
      (zone.carbonGPerKwh && zone.carbonGPerKwh.length !== slotCount)
    )
      throw new RangeError(`zone ${c.zone} series do not have one entry per slot (${slotCount})`);
    const schedulableGpus = startsMs.map((ms) => schedulableGpusAt(c, ms));
    const cap = c.powerCapKw;
    return {
      id: c.id,
      zone: c.zone,
      region: c.region,
      gpuModel: c.gpuModel,
      schedulableGpus,
      kwPerGpu: c.kwPerGpu,
      pue: c.pue,
      ...(cap === undefined || cap === null
        ? {}
        : {
            powerCapKw: schedulableGpus.map((free) =>
              Math.max(0, cap - (c.gpuTotal - free) * c.kwPerGpu * c.pue),
            ),
          }),
      pricePerMwh: [...zone.pricePerMwh],
      ...(zone.carbonGPerKwh ? { carbonGPerKwh: [...zone.carbonGPerKwh] } : {}),
      latencyMsByOrigin: { ...c.latencyMsByOrigin },
    };
  });
}

/** `count` hourly-or-finer slot starts from `fromMs` (ISO-8601 UTC), `slotMinutes` apart. */
export function slotGrid(fromMs: number, count: number, slotMinutes = 60): SlotGrid {
  const slotMs = slotMinutes * MS_PER_MINUTE;
  return {
    slotMinutes,
    slotStartsUtc: Array.from({ length: count }, (_, t) => new Date(fromMs + t * slotMs).toISOString()),
  };
}
