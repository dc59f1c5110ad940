import type { ClusterInput, JobInput, PlacementProblem } from './model.js';

/*
 * A second, deliberately separate reading of the raw input rules (allowed clusters, windows, effective
 * capacity, cell cost), used only by the schedule checker and the job-level reference LP. It shares no
 * code with normalize.ts so that a mistake there cannot hide itself in the checks.
 */

/** Whether `cluster` may host `job` under allowedClusterIds, residency, latency and pins. */
export function clusterAllowed(job: JobInput, cluster: ClusterInput): boolean {
  if (job.allowedClusterIds && !job.allowedClusterIds.includes(cluster.id)) return false;
  if (job.residencyZones && !job.residencyZones.includes(cluster.zone)) return false;
  if (
    job.residencyRegions &&
    (cluster.region === undefined || !job.residencyRegions.includes(cluster.region))
  ) {
    return false;
  }
  if (job.latencySlaMs !== undefined && job.origin !== undefined) {
    const ms = cluster.latencyMsByOrigin?.[job.origin];
    if (ms === undefined || ms > job.latencySlaMs) return false;
  }
  if (job.pins?.mustRunIn && !job.pins.mustRunIn.includes(cluster.id)) return false;
  if (job.pins?.mustNotRunIn?.includes(cluster.id)) return false;
  return true;
}

/** Slots [from, to) in which `job` may run. */
export function jobWindow(job: JobInput, slotCount: number): { from: number; to: number } {
  if (job.kind === 'interactive') return { from: 0, to: slotCount };
  return { from: job.windowStartSlot ?? 0, to: job.deadlineSlot ?? slotCount };
}

/** GPUs usable in a slot: schedulable GPUs, lowered by the power cap (cap kW / (kW per GPU × PUE)). */
export function usableGpus(cluster: ClusterInput, t: number): number {
  const gpus = cluster.schedulableGpus[t] ?? 0;
  const capKw = cluster.powerCapKw?.[t];
  if (capKw === undefined || capKw === null) return gpus;
  return Math.min(gpus, capKw / (cluster.kwPerGpu * cluster.pue));
}

/** kWh per GPU-hour at the meter. */
export function kwhPerGpuHour(cluster: ClusterInput): number {
  return cluster.kwPerGpu * cluster.pue;
}

/** Energy cost + carbon cost of one GPU-hour in the cell. */
export function cellCostPerGpuHour(problem: PlacementProblem, cluster: ClusterInput, t: number): number {
  const kwh = kwhPerGpuHour(cluster);
  const carbon = cluster.carbonGPerKwh?.[t] ?? 0;
  return (
    (kwh * (cluster.pricePerMwh[t] ?? 0)) / 1000 + ((problem.carbonPricePerTonne ?? 0) * kwh * carbon) / 1e6
  );
}

/** Penalty per unserved GPU-hour of `job`. */
export function jobPenalty(problem: PlacementProblem, job: JobInput): number {
  return job.penaltyPerGpuHour ?? problem.tierPenaltiesPerGpuHour?.[job.tier ?? ''] ?? 0;
}

/** Total GPU-hours requested by `job`. */
export function jobDemand(job: JobInput): number {
  if (job.kind === 'batch') return job.totalGpuHours;
  return job.demandGpuHours.reduce((a, b) => a + b, 0);
}

/** Previous GPU-hours per job id and "clusterId|slot", within the horizon. Empty without a stability cost. */
export function previousGpuHours(problem: PlacementProblem): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const stability = problem.stability;
  if (!stability || !(stability.costPerGpuHourMoved > 0)) return out;
  const hours = problem.slotMinutes / 60;
  const clusterIds = new Set(problem.clusters.map((c) => c.id));
  const slotOf = new Map(problem.slotStartsUtc.map((s, t) => [Date.parse(s), t]));
  for (const p of stability.previous) {
    const t = slotOf.get(Date.parse(p.slotStartUtc)) ?? -1;
    const gpuHours = p.gpuHours ?? p.gpus * hours;
    if (t < 0 || !clusterIds.has(p.clusterId) || !(gpuHours > 0)) continue;
    let cells = out.get(p.jobId);
    if (!cells) out.set(p.jobId, (cells = new Map<string, number>()));
    const key = `${p.clusterId}|${t}`;
    cells.set(key, (cells.get(key) ?? 0) + gpuHours);
  }
  return out;
}
