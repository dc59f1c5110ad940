import type { ClusterInput, JobInput, JobPins, PlacementProblem, PreviousPlacement } from './model.js';

// The one conversion from a fleet, its jobs and market data to a `PlacementProblem`. Pure. The planner (stored
// state), the what-ifs and the backtest (fleet and job files, historical prices) all build their problems here,
// so a backtest exercises exactly the production conversion.

const MS_PER_MINUTE = 60_000;
const SECONDS_PER_HOUR = 3600;

/**
 * Cost of one unserved GPU-hour per tier (base currency). Far above the energy cost of a GPU-hour (1.25 kWh at
 * even 1,000 /MWh is 1.25), so work is left unserved only when it cannot run anywhere — except `best-effort`,
 * which yields to price spikes above 4,000 /MWh (5 ÷ 1.25 kWh per GPU-hour).
 */
export const DEFAULT_TIER_PENALTIES_PER_GPU_HOUR: Readonly<Record<string, number>> = {
  critical: 1000,
  standard: 100,
  batch: 20,
  'best-effort': 5,
};

/** Penalty of a tier missing from the tier table. */
export const DEFAULT_PENALTY_PER_GPU_HOUR = 100;

/** A cluster of the fleet with its capacity forecast per slot. */
export interface FleetCluster {
  id: string;
  zone: string;
  region: string;
  gpuModel: string;
  kwPerGpu: number;
  pue: number;
  /** Facility power cap for gridshift, kW: one value for every slot, one per slot, or null (no cap). */
  powerCapKw: number | readonly (number | null)[] | null;
  /** True in slots whose power cap comes from a grid event (see ClusterInput.gridEventCap). */
  gridEventCap?: readonly boolean[];
  latencyMsByOrigin: Record<string, number>;
  /** GPUs free for gridshift per slot. */
  schedulableGpus: readonly number[];
}

/**
 * A job as operators register it: token demand and throughput per GPU model; absolute UTC window (batch) or
 * service window (interactive).
 */
export interface FleetJob {
  id: string;
  kind: 'interactive' | 'batch';
  /** Tokens per second one GPU sustains, per GPU model. */
  tokensPerSecondPerGpu: Record<string, number>;
  /** Interactive: tokens per hour (× `demandProfile` of the slot's UTC hour when set). */
  tokensPerHour: number | null;
  /** Interactive: 24 multipliers by UTC hour of day. */
  demandProfile: readonly number[] | null;
  /** Batch: tokens still to produce in the window. */
  totalTokens: number | null;
  windowStartUtc: string | null;
  deadlineUtc: string | null;
  origin: string;
  latencySlaMs: number | null;
  /** Allowed price zones; empty = anywhere. */
  residency: readonly string[];
  tier: string;
  maxGpus: number;
  pins: JobPins;
  /** Where the job runs without gridshift (home baseline); null = its first allowed cluster. */
  homeClusterId: string | null;
}

/** One zone's price (base currency per MWh) and carbon intensity (gCO2/kWh, null = unknown) per slot. */
export interface ZoneSeries {
  zone: string;
  pricePerMwh: readonly number[];
  carbonGPerKwh: readonly (number | null)[];
}

export interface ProblemSettings {
  currency: string;
  tierPenaltiesPerGpuHour: Readonly<Record<string, number>>;
  defaultPenaltyPerGpuHour: number;
  carbonPricePerTonne: number;
  stabilityCostPerGpuHour: number;
  /** Price of a slot of a zone without a series. */
  missingPricePerMwh: number;
}

export interface FleetProblemInput {
  horizonStartUtc: string;
  slotMinutes: number;
  slotStartsUtc: readonly string[];
  clusters: readonly FleetCluster[];
  zones: readonly ZoneSeries[];
  jobs: readonly FleetJob[];
  settings: ProblemSettings;
}

/** Findings about jobs while building (the planner turns them into assumptions, the backtest into notes). */
export type BuildIssueCode =
  'demand-missing' | 'gpu-throughput-missing' | 'gpu-throughput-mixed' | 'batch-prorated';

export interface FleetProblem {
  problem: PlacementProblem;
  /** Job ids per finding, in job order. */
  issues: Map<BuildIssueCode, string[]>;
}

export interface BuildPlacementProblemOptions {
  /** Placements of the schedule in force, for the stability term (used when its cost is > 0). */
  previous?: readonly PreviousPlacement[];
}

/**
 * Builds the placement problem of a fleet and its jobs over a slot grid (pure). Demand in GPU-hours is
 * tokens ÷ (tokens/s per GPU × 3600) with the job's throughput on the allowed clusters' GPU model (the slowest
 * one when allowed clusters mix models). A job may only go to clusters whose GPU model it declares a
 * throughput for; residency, latency SLA, tier penalty and operator pins are passed through. Interactive
 * demand is tokensPerHour × hour-of-day profile (UTC) within [windowStart, deadline); batch work whose deadline
 * lies beyond the horizon is planned pro rata: remaining × (horizon end − start) ÷ (deadline − start).
 */
export function buildPlacementProblem(
  input: FleetProblemInput,
  options: BuildPlacementProblemOptions = {},
): FleetProblem {
  const { settings } = input;
  const slotMs = input.slotMinutes * MS_PER_MINUTE;
  const slotHours = input.slotMinutes / 60;
  const slotCount = input.slotStartsUtc.length;
  const horizonStartMs = Date.parse(input.horizonStartUtc);
  const horizonEndMs = horizonStartMs + slotCount * slotMs;
  const zoneSeries = new Map(input.zones.map((z) => [z.zone, z]));

  const clusters: ClusterInput[] = input.clusters.map((c) => {
    const zone = zoneSeries.get(c.zone);
    const hasCarbon = zone?.carbonGPerKwh.some((v) => v !== null) ?? false;
    const cap = c.powerCapKw;
    return {
      id: c.id,
      zone: c.zone,
      region: c.region,
      gpuModel: c.gpuModel,
      schedulableGpus: [...c.schedulableGpus],
      kwPerGpu: c.kwPerGpu,
      pue: c.pue,
      ...(cap === null
        ? {}
        : { powerCapKw: typeof cap === 'number' ? c.schedulableGpus.map(() => cap) : [...cap] }),
      ...(c.gridEventCap?.some(Boolean) ? { gridEventCap: [...c.gridEventCap] } : {}),
      pricePerMwh: zone ? [...zone.pricePerMwh] : c.schedulableGpus.map(() => settings.missingPricePerMwh),
      ...(hasCarbon && zone ? { carbonGPerKwh: [...zone.carbonGPerKwh] } : {}),
      latencyMsByOrigin: { ...c.latencyMsByOrigin },
    };
  });
  const clusterIds = new Set(clusters.map((c) => c.id));

  const issues = new Map<BuildIssueCode, string[]>();
  const flag = (code: BuildIssueCode, jobId: string) => {
    const list = issues.get(code);
    if (list) list.push(jobId);
    else issues.set(code, [jobId]);
  };

  // Each slot's UTC hour (the demand profile's index), parsed once for all interactive jobs.
  const slotUtcHours = input.slotStartsUtc.map((start) => new Date(start).getUTCHours());
  const jobs: JobInput[] = [];
  for (const job of input.jobs) {
    const throughput = jobThroughput(job, input.clusters);
    if (throughput === null) {
      flag('demand-missing', job.id);
      continue;
    }
    if (throughput.allowedClusterIds.length === 0) flag('gpu-throughput-missing', job.id);
    if (throughput.mixed) flag('gpu-throughput-mixed', job.id);
    const gpuHoursPerToken = 1 / (throughput.tokensPerSecondPerGpu * SECONDS_PER_HOUR);
    const windowStartMs = job.windowStartUtc ? Date.parse(job.windowStartUtc) : Number.NEGATIVE_INFINITY;
    const deadlineMs = job.deadlineUtc ? Date.parse(job.deadlineUtc) : Number.POSITIVE_INFINITY;
    const common = {
      id: job.id,
      maxGpus: job.maxGpus,
      allowedClusterIds: throughput.allowedClusterIds,
      ...(job.residency.length > 0 ? { residencyZones: [...job.residency] } : {}),
      origin: job.origin,
      ...(job.latencySlaMs === null ? {} : { latencySlaMs: job.latencySlaMs }),
      ...(settings.tierPenaltiesPerGpuHour[job.tier] === undefined
        ? { penaltyPerGpuHour: settings.defaultPenaltyPerGpuHour }
        : { tier: job.tier }),
      ...pinsOf(job, clusterIds),
      tokensPerSecondPerGpu: throughput.tokensPerSecondPerGpu,
      ...(job.homeClusterId && throughput.allowedClusterIds.includes(job.homeClusterId)
        ? { homeClusterId: job.homeClusterId }
        : {}),
    };
    if (job.kind === 'interactive') {
      if (job.tokensPerHour === null) {
        flag('demand-missing', job.id);
        continue;
      }
      const tokensPerHour = job.tokensPerHour;
      const demandGpuHours = slotUtcHours.map((hour, t) => {
        const from = horizonStartMs + t * slotMs;
        const inside =
          Math.max(0, Math.min(from + slotMs, deadlineMs) - Math.max(from, windowStartMs)) / slotMs;
        if (inside <= 0) return 0;
        const shape = job.demandProfile?.[hour] ?? 1;
        return tokensPerHour * Math.max(0, shape) * slotHours * inside * gpuHoursPerToken;
      });
      jobs.push({ ...common, kind: 'interactive', demandGpuHours });
    } else {
      if (job.totalTokens === null) {
        flag('demand-missing', job.id);
        continue;
      }
      const effectiveStartMs = Math.max(windowStartMs, horizonStartMs);
      const windowStartSlot = clampSlot(Math.ceil((effectiveStartMs - horizonStartMs) / slotMs), slotCount);
      let share = 1;
      if (Number.isFinite(deadlineMs) && deadlineMs > horizonEndMs) {
        share = (horizonEndMs - effectiveStartMs) / (deadlineMs - effectiveStartMs);
        flag('batch-prorated', job.id);
      }
      const deadlineSlot = Math.max(
        windowStartSlot,
        clampSlot(Math.floor((Math.min(deadlineMs, horizonEndMs) - horizonStartMs) / slotMs), slotCount),
      );
      jobs.push({
        ...common,
        kind: 'batch',
        totalGpuHours: job.totalTokens * gpuHoursPerToken * Math.max(0, Math.min(1, share)),
        windowStartSlot,
        deadlineSlot,
      });
    }
  }

  const problem: PlacementProblem = {
    slotStartsUtc: [...input.slotStartsUtc],
    slotMinutes: input.slotMinutes,
    currency: settings.currency,
    clusters,
    jobs,
    carbonPricePerTonne: settings.carbonPricePerTonne,
    tierPenaltiesPerGpuHour: { ...settings.tierPenaltiesPerGpuHour },
  };
  if (settings.stabilityCostPerGpuHour > 0 && options.previous && options.previous.length > 0) {
    const slots = new Set(input.slotStartsUtc);
    const jobIds = new Set(jobs.map((j) => j.id));
    const previous = options.previous.filter(
      (p) => slots.has(p.slotStartUtc) && clusterIds.has(p.clusterId) && jobIds.has(p.jobId),
    );
    if (previous.length > 0) {
      problem.stability = { previous, costPerGpuHourMoved: settings.stabilityCostPerGpuHour };
    }
  }
  return { problem, issues };
}

/**
 * The throughput a job's demand is sized with, and the clusters whose GPU model it can use: only clusters
 * whose GPU model the job declares a (positive) rate for; when those mix models, the slowest rate (so demand
 * is never under-sized). With no usable cluster the fastest declared rate sizes the (then unservable) demand
 * and `allowedClusterIds` is empty; null when the job declares no usable rate at all.
 */
export function jobThroughput(
  job: Pick<FleetJob, 'tokensPerSecondPerGpu'>,
  clusters: readonly Pick<FleetCluster, 'id' | 'gpuModel'>[],
): { tokensPerSecondPerGpu: number; allowedClusterIds: string[]; mixed: boolean } | null {
  const rates = Object.entries(job.tokensPerSecondPerGpu).filter(([, v]) => Number.isFinite(v) && v > 0);
  if (rates.length === 0) return null;
  const rateOf = new Map(rates);
  const allowed = clusters.filter((c) => rateOf.has(c.gpuModel));
  if (allowed.length === 0) {
    // Nowhere to run; demand is still sized (with the fastest declared model) so the shortfall is visible.
    return { tokensPerSecondPerGpu: Math.max(...rateOf.values()), allowedClusterIds: [], mixed: false };
  }
  const models = new Set(allowed.map((c) => c.gpuModel));
  const slowest = Math.min(...[...models].map((m) => rateOf.get(m)!));
  return {
    tokensPerSecondPerGpu: slowest,
    allowedClusterIds: allowed.map((c) => c.id),
    mixed: models.size > 1,
  };
}

function pinsOf(job: FleetJob, clusterIds: Set<string>): { pins?: JobPins } {
  const pins: JobPins = {};
  // Pins naming clusters that are gone or inactive: a mustRunIn of only such clusters runs nowhere.
  if (job.pins.mustRunIn && job.pins.mustRunIn.length > 0) {
    pins.mustRunIn = job.pins.mustRunIn.filter((id) => clusterIds.has(id));
  }
  if (job.pins.mustNotRunIn && job.pins.mustNotRunIn.length > 0) {
    const kept = job.pins.mustNotRunIn.filter((id) => clusterIds.has(id));
    if (kept.length > 0) pins.mustNotRunIn = kept;
  }
  return pins.mustRunIn || pins.mustNotRunIn ? { pins } : {};
}

function clampSlot(slot: number, slotCount: number): number {
  return Math.max(0, Math.min(slotCount, slot));
}
