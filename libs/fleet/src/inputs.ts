import {
  buildPlacementProblem,
  DEFAULT_PENALTY_PER_GPU_HOUR,
  DEFAULT_TIER_PENALTIES_PER_GPU_HOUR,
  jobThroughput,
  type FleetCluster,
  type FleetJob,
  type PlacementProblem,
} from '#gridshift/placement';
import { busyShareAt, type ClusterSpec, type JobSpec } from './files.js';

// Pure conversion of fleet and job files into the planner's fleet model (`FleetCluster`, `FleetJob`) on a slot
// grid; the placement problem itself is built by libs/placement's `buildPlacementProblem`, the conversion the
// planner uses too. Used by the backtest and the demo.

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const SECONDS_PER_HOUR = 3600;
const HOURS_PER_DAY = 24;
/** GPU-hours below this are treated as done (float noise from summing committed work). */
const DONE_EPS_GPU_HOURS = 1e-6;

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

/** What an input job of the problem stands for: an interactive job over the grid, or one release of a batch job. */
export type JobInputMeta =
  | { inputId: string; jobId: string; kind: 'interactive'; tokensPerSecondPerGpu: number }
  | {
      inputId: string;
      jobId: string;
      kind: 'batch';
      tokensPerSecondPerGpu: number;
      /** UTC day the instance belongs to (`YYYY-MM-DD`). */
      day: string;
      windowStartMs: number;
      deadlineMs: number;
      /** The release's whole batch, GPU-hours. */
      instanceGpuHours: number;
      /** Not yet done before this grid (instanceGpuHours − doneGpuHours). */
      remainingGpuHours: number;
    };

/** A finding about the job specs on this fleet (not an error: the job is still planned, as shortfall). */
export interface JobInputIssue {
  jobId: string;
  code: 'no-gpu-model' | 'mixed-gpu-models' | 'unknown-tier';
  message: string;
}

export interface FleetJobs {
  jobs: FleetJob[];
  /** Same order as `jobs`. */
  meta: JobInputMeta[];
  issues: JobInputIssue[];
}

export interface FleetJobOptions {
  clusters: readonly ClusterSpec[];
  /** Needed when a job has `demandTrace`. */
  traces?: TraceProfiles;
  /** Penalty per unserved GPU-hour by tier; missing tiers use DEFAULT_TIER_PENALTIES_PER_GPU_HOUR. */
  tierPenaltiesPerGpuHour?: Readonly<Record<string, number>>;
  /** GPU-hours already done per batch instance id (rolling-horizon planning); default none. */
  doneGpuHours?: ReadonlyMap<string, number>;
  /** No work after this instant (epoch ms): no batch release at or after it, no interactive demand from it. */
  workUntilMs?: number;
}

/**
 * Id of a batch release of job `jobId`: `job@YYYY-MM-DD` for a daily job (its day), `job@YYYY-MM-DDTHH` (the
 * release's UTC hour) when it is released several times a day.
 */
export function batchInstanceId(jobId: string, releaseMs: number, daily: boolean): string {
  const iso = new Date(releaseMs).toISOString();
  return `${jobId}@${daily ? iso.slice(0, 10) : iso.slice(0, 13)}`;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The jobs of `specs` as the planner registers them, for `grid` (pure). An interactive job is one job with
 * `tokensPerHour` (or its trace's `scale`) × a 24-hour UTC profile (the trace's windows, 0 outside its daily
 * service hours). A batch job is one job per release whose window overlaps the grid — released each UTC day
 * at windowStartHour (or every `releaseEveryHours` from there), window [release, release + deadlineHour −
 * windowStartHour) — for the tokens not yet done (`doneGpuHours` × the job's rate).
 */
export function toFleetJobs(specs: readonly JobSpec[], grid: SlotGrid, opts: FleetJobOptions): FleetJobs {
  const slotCount = grid.slotStartsUtc.length;
  const gridStartMs = Date.parse(grid.slotStartsUtc[0] ?? '');
  const gridEndMs = gridStartMs + slotCount * grid.slotMinutes * MS_PER_MINUTE;
  const penalties = { ...DEFAULT_TIER_PENALTIES_PER_GPU_HOUR, ...opts.tierPenaltiesPerGpuHour };
  const clusterIds = new Set(opts.clusters.map((c) => c.id));
  const out: FleetJobs = { jobs: [], meta: [], issues: [] };
  if (slotCount === 0 || !Number.isFinite(gridStartMs)) return out;

  for (const spec of specs) {
    const throughput = jobThroughput(spec, opts.clusters);
    const rate = throughput?.tokensPerSecondPerGpu ?? Math.max(...Object.values(spec.tokensPerSecondPerGpu));
    if (throughput === null || throughput.allowedClusterIds.length === 0) {
      out.issues.push({
        jobId: spec.id,
        code: 'no-gpu-model',
        message: `${spec.id} declares tokensPerSecondPerGpu for ${Object.keys(spec.tokensPerSecondPerGpu).join(', ')} but no cluster has that GPU model: it cannot run`,
      });
    } else if (throughput.mixed) {
      out.issues.push({
        jobId: spec.id,
        code: 'mixed-gpu-models',
        message: `${spec.id} may run on several GPU models; its demand is sized with the slowest rate (${rate} tokens/s per GPU)`,
      });
    }
    if (penalties[spec.tier] === undefined) {
      out.issues.push({
        jobId: spec.id,
        code: 'unknown-tier',
        message: `${spec.id}: tier ${spec.tier} has no penalty (known: ${Object.keys(penalties).join(', ')}); using ${DEFAULT_PENALTY_PER_GPU_HOUR} per unserved GPU-hour`,
      });
    }
    const common = {
      tokensPerSecondPerGpu: { ...spec.tokensPerSecondPerGpu },
      origin: spec.origin,
      latencySlaMs: spec.latencySlaMs ?? null,
      residency: [...spec.residency],
      tier: spec.tier,
      maxGpus: spec.maxGpus,
      pins: {},
      homeClusterId:
        spec.homeClusterId !== undefined && clusterIds.has(spec.homeClusterId) ? spec.homeClusterId : null,
    };

    if (spec.kind === 'interactive') {
      const traced = spec.demandTrace !== undefined;
      const tokensPerHour = traced ? spec.demandTrace!.scale : (spec.tokensPerHour ?? 0);
      const scale = tokensPerHour === 0 ? 1 : tokensPerHour;
      const demandProfile = Array.from(
        { length: HOURS_PER_DAY },
        (_, hour) => interactiveTokensPerHour(spec, hour, opts.traces ?? new Map()) / scale,
      );
      out.jobs.push({
        id: spec.id,
        kind: 'interactive',
        tokensPerHour,
        demandProfile,
        totalTokens: null,
        windowStartUtc: null,
        deadlineUtc: opts.workUntilMs === undefined ? null : new Date(opts.workUntilMs).toISOString(),
        ...common,
      });
      out.meta.push({ inputId: spec.id, jobId: spec.id, kind: 'interactive', tokensPerSecondPerGpu: rate });
      continue;
    }

    const windowStartHour = spec.windowStartHour ?? 0;
    const windowHours = (spec.deadlineHour ?? HOURS_PER_DAY) - windowStartHour;
    const every = spec.releaseEveryHours ?? HOURS_PER_DAY;
    const daily = every === HOURS_PER_DAY;
    const instanceGpuHours = gpuHoursForTokens(spec.totalTokens ?? 0, rate);
    const lastReleaseHour = windowStartHour + HOURS_PER_DAY - every;
    const firstDayMs =
      Math.floor((gridStartMs - (lastReleaseHour + windowHours) * MS_PER_HOUR) / MS_PER_DAY) * MS_PER_DAY;
    for (let dayMs = firstDayMs; dayMs + windowStartHour * MS_PER_HOUR < gridEndMs; dayMs += MS_PER_DAY) {
      for (let hour = windowStartHour; hour <= lastReleaseHour; hour += every) {
        const windowStartMs = dayMs + hour * MS_PER_HOUR;
        const deadlineMs = windowStartMs + windowHours * MS_PER_HOUR;
        if (deadlineMs <= gridStartMs || windowStartMs >= gridEndMs) continue;
        if (opts.workUntilMs !== undefined && windowStartMs >= opts.workUntilMs) continue;
        const inputId = batchInstanceId(spec.id, daily ? dayMs : windowStartMs, daily);
        const remainingGpuHours = Math.max(0, instanceGpuHours - (opts.doneGpuHours?.get(inputId) ?? 0));
        if (remainingGpuHours <= DONE_EPS_GPU_HOURS) continue;
        out.jobs.push({
          id: inputId,
          kind: 'batch',
          tokensPerHour: null,
          demandProfile: null,
          totalTokens: remainingGpuHours * rate * SECONDS_PER_HOUR,
          windowStartUtc: new Date(windowStartMs).toISOString(),
          deadlineUtc: new Date(deadlineMs).toISOString(),
          ...common,
        });
        out.meta.push({
          inputId,
          jobId: spec.id,
          kind: 'batch',
          tokensPerSecondPerGpu: rate,
          day: utcDay(dayMs),
          windowStartMs,
          deadlineMs,
          instanceGpuHours,
          remainingGpuHours,
        });
      }
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
 * The fleet's clusters on `grid` (pure): schedulable GPUs per slot from the daily busy shape
 * (`schedulableGpusAt` at each slot start) and — when the cluster has a facility `powerCapKw` — the power left
 * for gridshift after the busy GPUs per slot: cap − busy × kwPerGpu × PUE (≥ 0).
 */
export function toFleetClusters(clusters: readonly ClusterSpec[], grid: SlotGrid): FleetCluster[] {
  const startsMs = grid.slotStartsUtc.map((s) => Date.parse(s));
  return clusters.map((c) => {
    const schedulableGpus = startsMs.map((ms) => schedulableGpusAt(c, ms));
    const cap = c.powerCapKw;
    return {
      id: c.id,
      zone: c.zone,
      region: c.region,
      gpuModel: c.gpuModel,
      kwPerGpu: c.kwPerGpu,
      pue: c.pue,
      powerCapKw:
        cap === undefined || cap === null
          ? null
          : schedulableGpus.map((free) => Math.max(0, cap - (c.gpuTotal - free) * c.kwPerGpu * c.pue)),
      latencyMsByOrigin: { ...c.latencyMsByOrigin },
      schedulableGpus,
    };
  });
}

export interface FleetProblemOptions extends FleetJobOptions {
  /** Price and carbon per zone on the grid, prices in `currency`. */
  zones: ReadonlyMap<string, ZoneSlots>;
  currency: string;
  carbonPricePerTonne?: number;
}

/** The placement problem of a fleet file and a job file on `grid`, and what each problem job stands for. */
export interface BuiltFleetProblem {
  problem: PlacementProblem;
  /** Per problem job, in the problem's job order. */
  meta: JobInputMeta[];
  issues: JobInputIssue[];
}

/**
 * Builds the placement problem of fleet and job specs on `grid` with libs/placement's `buildPlacementProblem`
 * (the planner's conversion): `toFleetClusters` + `toFleetJobs` + the zones' prices and carbon. Throws
 * RangeError when a cluster's zone has no series or a series does not match the grid. Pure.
 */
export function buildFleetProblem(
  clusters: readonly ClusterSpec[],
  specs: readonly JobSpec[],
  grid: SlotGrid,
  opts: Omit<FleetProblemOptions, 'clusters'>,
): BuiltFleetProblem {
  const slotCount = grid.slotStartsUtc.length;
  for (const c of clusters) {
    const zone = opts.zones.get(c.zone);
    if (zone === undefined) throw new RangeError(`no prices for zone ${c.zone} (cluster ${c.id})`);
    if (
      zone.pricePerMwh.length !== slotCount ||
      (zone.carbonGPerKwh && zone.carbonGPerKwh.length !== slotCount)
    )
      throw new RangeError(`zone ${c.zone} series do not have one entry per slot (${slotCount})`);
  }
  const fleetJobs = toFleetJobs(specs, grid, { ...opts, clusters });
  const { problem } = buildPlacementProblem({
    horizonStartUtc: grid.slotStartsUtc[0] ?? new Date(0).toISOString(),
    slotMinutes: grid.slotMinutes,
    slotStartsUtc: grid.slotStartsUtc,
    clusters: toFleetClusters(clusters, grid),
    zones: [...opts.zones].map(([zone, z]) => ({
      zone,
      pricePerMwh: z.pricePerMwh,
      carbonGPerKwh: z.carbonGPerKwh ?? z.pricePerMwh.map(() => null),
    })),
    jobs: fleetJobs.jobs,
    settings: {
      currency: opts.currency,
      tierPenaltiesPerGpuHour: { ...DEFAULT_TIER_PENALTIES_PER_GPU_HOUR, ...opts.tierPenaltiesPerGpuHour },
      defaultPenaltyPerGpuHour: DEFAULT_PENALTY_PER_GPU_HOUR,
      carbonPricePerTonne: opts.carbonPricePerTonne ?? 0,
      stabilityCostPerGpuHour: 0,
      missingPricePerMwh: 0,
    },
  });
  // The builder keeps every job that has a rate and a demand; fleet jobs always have both.
  const metaById = new Map(fleetJobs.meta.map((m) => [m.inputId, m]));
  const meta = problem.jobs.map((j) => metaById.get(j.id)!);
  return { problem, meta, issues: fleetJobs.issues };
}

/** `count` hourly-or-finer slot starts from `fromMs` (ISO-8601 UTC), `slotMinutes` apart. */
export function slotGrid(fromMs: number, count: number, slotMinutes = 60): SlotGrid {
  const slotMs = slotMinutes * MS_PER_MINUTE;
  return {
    slotMinutes,
    slotStartsUtc: Array.from({ length: count }, (_, t) => new Date(fromMs + t * slotMs).toISOString()),
  };
}
