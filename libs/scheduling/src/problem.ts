import type { ClusterInput, JobInput, PlacementProblem, PreviousPlacement } from '#gridshift/placement';
import type { Assumption, AssumptionCode } from './assumptions.js';
import type { PlanningInputs, PlanningJob } from './inputs.js';

const MS_PER_MINUTE = 60_000;
const SECONDS_PER_HOUR = 3600;
/** At most this many job ids are listed in one assumption (the count is always given). */
const MAX_LISTED_JOBS = 50;

/** The placement problem of one plan and what building it had to assume. */
export interface BuiltProblem {
  problem: PlacementProblem;
  assumptions: Assumption[];
}

export interface BuildProblemOptions {
  /** Placements of the schedule in force, for the stability term (used when its cost is > 0). */
  previous?: PreviousPlacement[];
}

/**
 * Phase 2 — turns resolved inputs into a `PlacementProblem` (pure). Demand in GPU-hours is
 * tokens ÷ (tokens/s per GPU × 3600) with the job's throughput on the allowed clusters' GPU model (the
 * slowest one when allowed clusters mix models). A job may only go to clusters whose GPU model it declares
 * a throughput for; residency, latency SLA, tier penalty and operator pins (`mustRunIn` / `mustNotRunIn`)
 * are passed through. Interactive demand is tokensPerHour × hour-of-day profile (UTC) within
 * [windowStart, deadline); batch demand beyond the horizon is planned pro rata.
 */
export function buildProblem(inputs: PlanningInputs, options: BuildProblemOptions = {}): BuiltProblem {
  const { settings } = inputs;
  const slotMs = inputs.slotMinutes * MS_PER_MINUTE;
  const slotHours = inputs.slotMinutes / 60;
  const slotCount = inputs.slotStartsUtc.length;
  const horizonStartMs = Date.parse(inputs.horizonStartUtc);
  const horizonEndMs = horizonStartMs + slotCount * slotMs;
  const zoneSeries = new Map(inputs.zones.map((z) => [z.zone, z]));

  const clusters: ClusterInput[] = inputs.clusters.map((c) => {
    const zone = zoneSeries.get(c.zone);
    const hasCarbon = zone?.carbonGPerKwh.some((v) => v !== null) ?? false;
    return {
      id: c.id,
      zone: c.zone,
      region: c.region,
      gpuModel: c.gpuModel,
      schedulableGpus: [...c.schedulableGpus],
      kwPerGpu: c.kwPerGpu,
      pue: c.pue,
      ...(c.powerCapKw === null ? {} : { powerCapKw: c.schedulableGpus.map(() => c.powerCapKw) }),
      pricePerMwh: zone ? [...zone.pricePerMwh] : c.schedulableGpus.map(() => settings.missingPricePerMwh),
      ...(hasCarbon && zone ? { carbonGPerKwh: [...zone.carbonGPerKwh] } : {}),
      latencyMsByOrigin: { ...c.latencyMsByOrigin },
    };
  });
  const clusterIds = new Set(clusters.map((c) => c.id));

  const flagged = new Map<AssumptionCode, string[]>();
  const flag = (code: AssumptionCode, jobId: string) => {
    const list = flagged.get(code);
    if (list) list.push(jobId);
    else flagged.set(code, [jobId]);
  };

  const jobs: JobInput[] = [];
  for (const job of inputs.jobs) {
    const throughput = jobThroughput(job, inputs.clusters);
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
      const demandGpuHours = inputs.slotStartsUtc.map((start, t) => {
        const from = horizonStartMs + t * slotMs;
        const inside =
          Math.max(0, Math.min(from + slotMs, deadlineMs) - Math.max(from, windowStartMs)) / slotMs;
        if (inside <= 0) return 0;
        const hour = new Date(start).getUTCHours();
        const shape = job.demandProfile?.[hour] ?? 1;
        return job.tokensPerHour! * Math.max(0, shape) * slotHours * inside * gpuHoursPerToken;
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
    slotStartsUtc: [...inputs.slotStartsUtc],
    slotMinutes: inputs.slotMinutes,
    currency: settings.currency,
    clusters,
    jobs,
    carbonPricePerTonne: settings.carbonPricePerTonne,
    tierPenaltiesPerGpuHour: { ...settings.tierPenaltiesPerGpuHour },
  };
  if (settings.stabilityCostPerGpuHour > 0 && options.previous && options.previous.length > 0) {
    const slots = new Set(inputs.slotStartsUtc);
    const jobIds = new Set(jobs.map((j) => j.id));
    const previous = options.previous.filter(
      (p) => slots.has(p.slotStartUtc) && clusterIds.has(p.clusterId) && jobIds.has(p.jobId),
    );
    if (previous.length > 0) {
      problem.stability = { previous, costPerGpuHourMoved: settings.stabilityCostPerGpuHour };
    }
  }
  return { problem, assumptions: jobAssumptions(flagged) };
}

/** The throughput a job's demand is computed with, and the clusters whose GPU model it can use. */
export function jobThroughput(
  job: Pick<PlanningJob, 'tokensPerSecondPerGpu'>,
  clusters: { id: string; gpuModel: string }[],
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

function pinsOf(job: PlanningJob, clusterIds: Set<string>): { pins?: JobInput['pins'] } {
  const pins: NonNullable<JobInput['pins']> = {};
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

const JOB_MESSAGES: Partial<Record<AssumptionCode, (n: number) => string>> = {
  'demand-missing': (n) => `${n} active job(s) have no token demand or throughput and were left out`,
  'gpu-throughput-missing': (n) =>
    `${n} job(s) declare no throughput for any active cluster's GPU model and cannot be placed`,
  'gpu-throughput-mixed': (n) =>
    `${n} job(s) may run on several GPU models; their demand uses the slowest model's throughput`,
  'batch-prorated': (n) =>
    `${n} batch job(s) have a deadline beyond the horizon; only their pro-rata share is planned now`,
};

function jobAssumptions(flagged: Map<AssumptionCode, string[]>): Assumption[] {
  return [...flagged].map(([code, ids]) => ({
    code,
    message: JOB_MESSAGES[code]?.(ids.length) ?? code,
    jobIds: ids.slice(0, MAX_LISTED_JOBS),
    details: { jobCount: ids.length },
  }));
}
