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

/**
 * Share of the schedule's served GPU-hours a baseline may serve less and still be compared (0.1 %). In that case
 * the baseline's missing work is costed at its own average energy + carbon cost per GPU-hour (and penalties are
 * left out on both sides), so both sides pay for the same work; beyond it the comparison is refused.
 */
export const SAME_WORK_TOLERANCE = 1e-3;
/** Float noise below which two GPU-hour totals are the same work. */
const SAME_WORK_EPS = 1e-9;

type Comparable = Pick<ScheduleTotals, 'energyCost' | 'carbonCost' | 'penaltyCost' | 'servedGpuHours'>;

/**
 * Savings of `schedule` against `baseline` (see `Savings`). When the baseline serves at least the schedule's
 * work: amount = baseline − schedule on energy + carbon + penalty cost. When it serves less by at most
 * `SAME_WORK_TOLERANCE`: amount = baseline energy + carbon × (schedule's served ÷ baseline's served) − the
 * schedule's energy + carbon. Beyond: not comparable, amount and pct null. pct is of the baseline's energy +
 * carbon cost. Pure; used by the engine, the planner, the admin API and the backtest.
 */
export function savingsAgainst(baseline: Comparable, schedule: Comparable): Savings {
  const served = schedule.servedGpuHours;
  const gap = served - baseline.servedGpuHours;
  const scale = Math.max(1, Math.abs(served));
  const comparable = gap <= SAME_WORK_TOLERANCE * scale;
  const base = { comparable, baselineServedGpuHours: baseline.servedGpuHours, servedGpuHours: served };
  if (!comparable) return { amount: null, pct: null, ...base };
  const energy = (t: Comparable) => t.energyCost + t.carbonCost;
  const baselineEnergy = energy(baseline);
  const amount =
    gap <= SAME_WORK_EPS * scale
      ? baselineEnergy + baseline.penaltyCost - energy(schedule) - schedule.penaltyCost
      : (baseline.servedGpuHours > 0 ? (baselineEnergy * served) / baseline.servedGpuHours : 0) -
        energy(schedule);
  return { amount, pct: baselineEnergy === 0 ? null : (amount / Math.abs(baselineEnergy)) * 100, ...base };
}
