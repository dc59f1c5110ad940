import { cellCost } from './cell-cost.js';
import type { JobKind, PlacementProblem } from './model.js';

/** Why a cluster is not allowed for a job. Checked in this order; the first failing rule is reported. */
export type ExclusionReason = 'not-allowed' | 'residency' | 'latency' | 'pinned';
export const EXCLUSION_REASONS: readonly ExclusionReason[] = [
  'not-allowed',
  'residency',
  'latency',
  'pinned',
];

/** Why GPU-hours of a job were not served. */
export type ShortfallReason =
  ExclusionReason | 'deadline' | 'parallelism' | 'capacity' | 'grid-event' | 'price' | 'rounding';

/** A cluster with per-slot effective capacity and cost per GPU-hour. Internal. */
export interface NormCluster {
  id: string;
  index: number;
  /** kWh drawn from the grid per GPU-hour: kwPerGpu × PUE. */
  energyKwhPerGpuHour: number;
  /** LP capacity per slot: min(schedulable GPUs, power cap / (kW per GPU × PUE)) × Δt. */
  capGpuHours: Float64Array;
  /** Whole GPUs per slot for rounding (floor of the effective GPU count). */
  capGpus: Int32Array;
  /** 1 where the power cap, not the GPU count, sets the capacity; 2 when that cap is a grid event's. */
  powerLimited: Uint8Array;
  /** Objective cost of one GPU-hour: energy + priced carbon, base currency. */
  costPerGpuHour: Float64Array;
  energyCostPerGpuHour: Float64Array;
  /** Tonnes CO2 per GPU-hour (0 where carbon is unknown). */
  carbonTonnesPerGpuHour: Float64Array;
}

/** A job with its allowed clusters, window and servable demand resolved. Internal. */
export interface NormJob {
  index: number;
  id: string;
  kind: JobKind;
  maxGpus: number;
  /** maxGpus × Δt: GPU-hours the job can use in one slot. */
  maxGpuHoursPerSlot: number;
  penaltyPerGpuHour: number;
  /** Allowed cluster indices in preference order (allowedClusterIds order, else problem order). */
  allowed: number[];
  /** Canonical key of the allowed set (sorted indices). */
  allowedKey: string;
  /** Per cluster: 0 = allowed, else 1 + index into EXCLUSION_REASONS. */
  exclusion: Uint8Array;
  windowStart: number;
  /** Exclusive. */
  windowEnd: number;
  /** Requested GPU-hours (all slots). */
  demandGpuHours: number;
  /** Batch: GPU-hours that could be served at all = min(demand, maxGpus·Δt·window) (0 if nowhere allowed). */
  servableGpuHours: number;
  /** Interactive: requested and servable (≤ maxGpus·Δt, 0 if nowhere allowed) GPU-hours per slot. */
  demandBySlot: Float64Array | null;
  servableBySlot: Float64Array | null;
  /** Demand that no schedule can serve, and why. */
  structuralShortfall: { reason: ShortfallReason; gpuHours: number }[];
  /** Previous schedule of this job: cell (r·T + t) → GPU-hours. */
  previous: Map<number, number> | null;
  tokensPerSecondPerGpu: number | null;
  /** Home cluster for the home baseline, -1 when nothing is allowed. */
  homeCluster: number;
}

export interface NormalizedProblem {
  problem: PlacementProblem;
  slotCount: number;
  slotHours: number;
  clusters: NormCluster[];
  jobs: NormJob[];
  stabilityCostPerGpuHour: number;
  /** True when some cell cost depends on the job (stability), which rules out the flow path. */
  hasJobSpecificCosts: boolean;
}

const EPS_GPUS = 1e-9;

function normalizeClusters(problem: PlacementProblem, slotCount: number, slotHours: number): NormCluster[] {
  const carbonPrice = problem.carbonPricePerTonne ?? 0;
  return problem.clusters.map((cluster, index) => {
    const energyKwhPerGpuHour = cluster.kwPerGpu * cluster.pue;
    const capGpuHours = new Float64Array(slotCount);
    const capGpus = new Int32Array(slotCount);
    const powerLimited = new Uint8Array(slotCount);
    const costPerGpuHour = new Float64Array(slotCount);
    const energyCostPerGpuHour = new Float64Array(slotCount);
    const carbonTonnesPerGpuHour = new Float64Array(slotCount);
    for (let t = 0; t < slotCount; t++) {
      let gpus = cluster.schedulableGpus[t] ?? 0;
      const capKw = cluster.powerCapKw?.[t];
      if (capKw !== undefined && capKw !== null) {
        const powerGpus = capKw / energyKwhPerGpuHour;
        if (powerGpus < gpus) {
          gpus = powerGpus;
          powerLimited[t] = cluster.gridEventCap?.[t] === true ? 2 : 1;
        }
      }
      capGpuHours[t] = gpus * slotHours;
      capGpus[t] = Math.floor(gpus + EPS_GPUS);
      const cost = cellCost(cluster, t, carbonPrice);
      energyCostPerGpuHour[t] = cost.energyCostPerGpuHour;
      carbonTonnesPerGpuHour[t] = cost.carbonTonnesPerGpuHour;
      costPerGpuHour[t] = cost.costPerGpuHour;
    }
    return {
      id: cluster.id,
      index,
      energyKwhPerGpuHour,
      capGpuHours,
      capGpus,
      powerLimited,
      costPerGpuHour,
      energyCostPerGpuHour,
      carbonTonnesPerGpuHour,
    };
  });
}

function previousByJob(problem: PlacementProblem, clusterIndex: Map<string, number>, slotHours: number) {
  const byJob = new Map<string, Map<number, number>>();
  const stability = problem.stability;
  if (stability === undefined || stability.costPerGpuHourMoved <= 0) return byJob;
  const slotByMs = new Map<number, number>();
  problem.slotStartsUtc.forEach((start, t) => slotByMs.set(Date.parse(start), t));
  const slotCount = problem.slotStartsUtc.length;
  for (const p of stability.previous) {
    const r = clusterIndex.get(p.clusterId);
    const t = slotByMs.get(Date.parse(p.slotStartUtc));
    // Slots outside this horizon and unknown clusters are ignored (rolling horizon).
    const gpuHours = p.gpuHours ?? p.gpus * slotHours;
    if (r === undefined || t === undefined || !(gpuHours > 0)) continue;
    let cells = byJob.get(p.jobId);
    if (!cells) byJob.set(p.jobId, (cells = new Map<number, number>()));
    const cell = r * slotCount + t;
    cells.set(cell, (cells.get(cell) ?? 0) + gpuHours);
  }
  return byJob;
}

/** Resolves rules into allowed sets, effective capacities, cell costs and servable demand. Pure. */
export function normalizeProblem(problem: PlacementProblem): NormalizedProblem {
  const slotCount = problem.slotStartsUtc.length;
  const slotHours = problem.slotMinutes / 60;
  const clusters = normalizeClusters(problem, slotCount, slotHours);
  const clusterIndex = new Map<string, number>();
  problem.clusters.forEach((c, r) => clusterIndex.set(c.id, r));
  const clusterCount = clusters.length;
  const previous = previousByJob(problem, clusterIndex, slotHours);
  const stabilityCostPerGpuHour = previous.size > 0 ? (problem.stability?.costPerGpuHourMoved ?? 0) : 0;

  const codeOf = (reason: ExclusionReason) => 1 + EXCLUSION_REASONS.indexOf(reason);
  const NOT_ALLOWED = codeOf('not-allowed');
  const RESIDENCY = codeOf('residency');
  const LATENCY = codeOf('latency');
  const PINNED = codeOf('pinned');
  const clusterIds = problem.clusters.map((c) => c.id);
  const zones = problem.clusters.map((c) => c.zone);
  const regions = problem.clusters.map((c) => c.region);
  const latencies = problem.clusters.map((c) => c.latencyMsByOrigin);
  const allIndices = clusters.map((c) => c.index);

  // Plain loops, no per-job closures: this runs for every job of a fleet.
  const jobs: NormJob[] = problem.jobs.map((job, index) => {
    const exclusion = new Uint8Array(clusterCount);
    let order: number[];
    if (job.allowedClusterIds !== undefined) {
      exclusion.fill(NOT_ALLOWED);
      order = [];
      for (const id of job.allowedClusterIds) {
        const r = clusterIndex.get(id);
        if (r !== undefined && exclusion[r] !== 0) {
          exclusion[r] = 0;
          order.push(r);
        }
      }
    } else {
      order = allIndices.slice();
    }
    let emptyReason: ShortfallReason | null =
      clusterCount === 0 ? 'capacity' : order.length === 0 ? 'not-allowed' : null;
    const residencyZones = job.residencyZones;
    const residencyRegions = job.residencyRegions;
    const origin = job.origin;
    const sla = job.latencySlaMs;
    const mustRunIn = job.pins?.mustRunIn;
    const mustNotRunIn = job.pins?.mustNotRunIn;
    // Rules in order; a cluster's reason is the first rule it fails, the job's empty reason the rule
    // that removed its last cluster.
    const stages: [number, boolean][] = [
      [RESIDENCY, residencyZones !== undefined || residencyRegions !== undefined],
      [LATENCY, sla !== undefined && origin !== undefined],
      [PINNED, mustRunIn !== undefined || mustNotRunIn !== undefined],
    ];
    for (const [code, active] of stages) {
      if (!active || order.length === 0) continue;
      const kept: number[] = [];
      for (const r of order) {
        let ok: boolean;
        if (code === RESIDENCY) {
          const region = regions[r];
          ok =
            (residencyZones === undefined || residencyZones.includes(zones[r] ?? '')) &&
            (residencyRegions === undefined || (region !== undefined && residencyRegions.includes(region)));
        } else if (code === LATENCY) {
          const ms = latencies[r]?.[origin ?? ''];
          ok = ms !== undefined && ms <= (sla ?? Infinity);
        } else {
          const id = clusterIds[r] ?? '';
          ok = (mustRunIn === undefined || mustRunIn.includes(id)) && !(mustNotRunIn?.includes(id) ?? false);
        }
        if (ok) kept.push(r);
        else exclusion[r] = code;
      }
      if (kept.length === 0) emptyReason = EXCLUSION_REASONS[code - 1] ?? 'not-allowed';
      order = kept;
    }
    const allowed = order;
    const allowedKey = [...allowed].sort((a, b) => a - b).join(',');
    const home = job.homeClusterId !== undefined ? clusterIndex.get(job.homeClusterId) : undefined;
    const homeCluster = home !== undefined && allowed.includes(home) ? home : (allowed[0] ?? -1);
    const maxGpuHoursPerSlot = job.maxGpus * slotHours;
    const penaltyPerGpuHour = job.penaltyPerGpuHour ?? problem.tierPenaltiesPerGpuHour?.[job.tier ?? ''] ?? 0;
    const structuralShortfall: NormJob['structuralShortfall'] = [];
    let windowStart = 0;
    let windowEnd = slotCount;
    let demand = 0;
    let servable = 0;
    let demandBySlot: Float64Array | null = null;
    let servableBySlot: Float64Array | null = null;
    if (job.kind === 'interactive') {
      demandBySlot = new Float64Array(slotCount);
      servableBySlot = new Float64Array(slotCount);
      let parallelism = 0;
      for (let t = 0; t < slotCount; t++) {
        const d = job.demandGpuHours[t] ?? 0;
        demandBySlot[t] = d;
        demand += d;
        const s = d < maxGpuHoursPerSlot ? d : maxGpuHoursPerSlot;
        parallelism += d - s;
        servableBySlot[t] = emptyReason === null ? s : 0;
      }
      if (emptyReason !== null) {
        if (demand > 0) structuralShortfall.push({ reason: emptyReason, gpuHours: demand });
      } else if (parallelism > 0) {
        structuralShortfall.push({ reason: 'parallelism', gpuHours: parallelism });
      }
    } else {
      windowStart = job.windowStartSlot ?? 0;
      windowEnd = job.deadlineSlot ?? slotCount;
      demand = job.totalGpuHours;
      servable = Math.min(demand, maxGpuHoursPerSlot * Math.max(0, windowEnd - windowStart));
      if (emptyReason !== null) {
        servable = 0;
        if (demand > 0) structuralShortfall.push({ reason: emptyReason, gpuHours: demand });
      } else if (demand > servable) {
        // Even with maxGpus in every slot of the window the job cannot finish by its deadline.
        structuralShortfall.push({ reason: 'deadline', gpuHours: demand - servable });
      }
    }
    // One literal (no spreads): the same hidden class for every job, cheap to build at fleet size.
    return {
      index,
      id: job.id,
      kind: job.kind,
      maxGpus: job.maxGpus,
      maxGpuHoursPerSlot,
      penaltyPerGpuHour,
      allowed,
      allowedKey,
      exclusion,
      windowStart,
      windowEnd,
      demandGpuHours: demand,
      servableGpuHours: servable,
      demandBySlot,
      servableBySlot,
      structuralShortfall,
      previous: previous.get(job.id) ?? null,
      tokensPerSecondPerGpu: job.tokensPerSecondPerGpu ?? null,
      homeCluster,
    };
  });

  return {
    problem,
    slotCount,
    slotHours,
    clusters,
    jobs,
    stabilityCostPerGpuHour,
    hasJobSpecificCosts: stabilityCostPerGpuHour > 0,
  };
}
