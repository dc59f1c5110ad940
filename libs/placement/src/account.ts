import type { NormalizedProblem } from './normalize.js';
import type { ScheduleTotals, Savings } from './result.js';

/** A job-level schedule: per job index, cell (r·T + t) → GPU-hours of work. */
export type JobFlows = Map<number, number>[];

const KWH_PER_MWH = 1000;
const SECONDS_PER_HOUR = 3600;

/** Energy, cost, carbon, penalties, stability and tokens of a job-level schedule. Pure. */
export function accountSchedule(norm: NormalizedProblem, flows: JobFlows): ScheduleTotals {
  const T = norm.slotCount;
  const carbonPrice = norm.problem.carbonPricePerTonne ?? 0;
  let energyKwh = 0;
  let energyCost = 0;
  let carbonTonnes = 0;
  let penaltyCost = 0;
  let served = 0;
  let unserved = 0;
  let moved = 0;
  let tokens = 0;
  let tokenCost = 0;
  let anyTokenRate = false;
  flows.forEach((cells, j) => {
    const job = norm.jobs[j];
    if (!job) return;
    let jobServed = 0;
    let jobCost = 0;
    for (const [cell, gpuHours] of cells) {
      const cluster = norm.clusters[Math.floor(cell / T)];
      if (!cluster) continue;
      const t = cell % T;
      jobServed += gpuHours;
      energyKwh += gpuHours * cluster.energyKwhPerGpuHour;
      const cost = gpuHours * (cluster.energyCostPerGpuHour[t] ?? 0);
      const tonnes = gpuHours * (cluster.carbonTonnesPerGpuHour[t] ?? 0);
      energyCost += cost;
      carbonTonnes += tonnes;
      jobCost += cost + carbonPrice * tonnes;
    }
    served += jobServed;
    const jobUnserved = Math.max(0, job.demandGpuHours - jobServed);
    unserved += jobUnserved;
    penaltyCost += jobUnserved * job.penaltyPerGpuHour;
    if (job.previous && norm.stabilityCostPerGpuHour > 0) {
      for (const [cell, prev] of job.previous) moved += Math.max(0, prev - (cells.get(cell) ?? 0));
    }
    if (job.tokensPerSecondPerGpu !== null) {
      anyTokenRate = true;
      tokens += jobServed * job.tokensPerSecondPerGpu * SECONDS_PER_HOUR;
      tokenCost += jobCost;
    }
  });
  const carbonCost = carbonPrice * carbonTonnes;
  const stabilityCost = moved * norm.stabilityCostPerGpuHour;
  const tokensMillions = anyTokenRate ? tokens / 1e6 : null;
  return {
    energyMwh: energyKwh / KWH_PER_MWH,
    energyCost,
    carbonTonnes,
    carbonCost,
    penaltyCost,
    stabilityCost,
    totalCost: energyCost + carbonCost + penaltyCost + stabilityCost,
    servedGpuHours: served,
    unservedGpuHours: unserved,
    movedGpuHours: moved,
    tokensMillions,
    costPerMillionTokens: tokensMillions !== null && tokensMillions > 0 ? tokenCost / tokensMillions : null,
  };
}

/** Relative tolerance on served GPU-hours below which two schedules count as serving the same work. */
const SAME_WORK_REL_TOLERANCE = 1e-6;

type Comparable = Pick<ScheduleTotals, 'energyCost' | 'carbonCost' | 'penaltyCost' | 'servedGpuHours'>;

/**
 * Savings of `schedule` against `baseline` (see `Savings`): amount = baseline − schedule on energy + carbon +
 * penalty cost, pct of the baseline's energy + carbon cost; null both when the baseline serves less work
 * (more than a relative 1e-6 of the schedule's GPU-hours less). Pure; used by the engine, the planner, the
 * admin API and the backtest.
 */
export function savingsAgainst(baseline: Comparable, schedule: Comparable): Savings {
  const comparable =
    baseline.servedGpuHours >=
    schedule.servedGpuHours - SAME_WORK_REL_TOLERANCE * Math.max(1, Math.abs(schedule.servedGpuHours));
  const base = {
    comparable,
    baselineServedGpuHours: baseline.servedGpuHours,
    servedGpuHours: schedule.servedGpuHours,
  };
  if (!comparable) return { amount: null, pct: null, ...base };
  const cost = (t: Comparable) => t.energyCost + t.carbonCost + t.penaltyCost;
  const amount = cost(baseline) - cost(schedule);
  const energy = Math.abs(baseline.energyCost + baseline.carbonCost);
  return { amount, pct: energy === 0 ? null : (amount / energy) * 100, ...base };
}
