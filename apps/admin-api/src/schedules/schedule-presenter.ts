/**
 * How a schedule is shown: the immutable part of the detail response (costs recomputed from placements ×
 * snapshot prices, savings against the stored baselines, the cluster × slot grid) and placement items. Pure.
 */
import { savingsAgainst } from '#gridshift/placement';
import type { StoredPlacementRow } from '#gridshift/persistence';
import {
  comparedFigures,
  costPerGpuHour,
  finiteNumberOrNull,
  recordOrNull,
  type SchedulePricing,
} from '#gridshift/scheduling';
import type { ScheduleFactsView } from './schedule-facts.cache.js';
import type { ScheduleDetail } from './schedules.schemas.js';

const sameMoney = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/** Cells as a clusters × slots grid aligned with the horizon's slot starts (zeros where nothing runs). */
function gridOf(view: ScheduleFactsView): ScheduleDetail['grid'] {
  const slotMs = view.facts.slotMinutes * 60_000;
  const starts = new Set<number>();
  for (let t = view.facts.horizonStart.getTime(); t < view.facts.horizonEnd.getTime(); t += slotMs)
    starts.add(t);
  for (const c of view.cells) starts.add(c.slotStartMs);
  const slots = [...starts].sort((a, b) => a - b);
  const index = new Map(slots.map((t, i) => [t, i]));
  const rows = new Map<
    string,
    { clusterId: string; gpus: number[]; gpuHours: number[]; jobs: number[]; cost: number[] }
  >();
  for (const c of view.cells) {
    let row = rows.get(c.clusterId);
    if (!row) {
      const zeros = () => slots.map(() => 0);
      row = { clusterId: c.clusterId, gpus: zeros(), gpuHours: zeros(), jobs: zeros(), cost: zeros() };
      rows.set(c.clusterId, row);
    }
    const i = index.get(c.slotStartMs)!;
    row.gpus[i] = c.gpus;
    row.gpuHours[i] = c.gpuHours;
    row.jobs[i] = c.jobs;
    row.cost[i] = c.cost;
  }
  return {
    slotStarts: slots.map((t) => new Date(t).toISOString()),
    clusters: [...rows.values()].sort((a, b) => a.clusterId.localeCompare(b.clusterId)),
  };
}

/** The part of a schedule's detail that never changes (serialised once per schedule by the caller). */
export function immutableDetail(view: ScheduleFactsView) {
  const { facts } = view;
  const t = facts.totals;
  const penaltyCost = finiteNumberOrNull(t.penaltyCost) ?? 0;
  const stabilityCost = finiteNumberOrNull(t.stabilityCost) ?? 0;
  const totalCost = view.totals.cost + penaltyCost + stabilityCost;
  const storedTotalCost = finiteNumberOrNull(t.totalCost);
  const baselines = {
    home: recordOrNull(facts.baselines.home),
    greedy: recordOrNull(facts.baselines.greedy),
  };
  // The schedule's side of every comparison: energy + carbon recomputed from its placements, its stored
  // penalty cost, and the GPU-hours its placements serve.
  const schedule = {
    energyCost: view.totals.energyCost,
    carbonCost: view.totals.carbonCost,
    penaltyCost,
    servedGpuHours: view.totals.gpuHours,
  };
  const unservedGpuHours = finiteNumberOrNull(t.unservedGpuHours);
  const savingsVs = (baseline: Record<string, unknown> | null) => {
    const figures = comparedFigures(baseline);
    if (figures === null) return null;
    const saving = savingsAgainst(figures, schedule);
    return {
      ...saving,
      baselineCost: figures.energyCost + figures.carbonCost + figures.penaltyCost,
      cost: schedule.energyCost + schedule.carbonCost + schedule.penaltyCost,
      baselineUnservedGpuHours: finiteNumberOrNull(baseline?.unservedGpuHours),
      unservedGpuHours,
    };
  };
  return {
    inputHash: facts.inputHash,
    leaderEpoch: facts.leaderEpoch,
    objective: facts.objective,
    solverStats: facts.solverStats,
    costs: {
      currency: view.currency,
      gpuHours: view.totals.gpuHours,
      energyMwh: view.totals.energyMwh,
      energyCost: view.totals.energyCost,
      carbonCost: view.totals.carbonCost,
      penaltyCost,
      stabilityCost,
      totalCost,
      storedTotalCost,
      matchesStoredTotals: storedTotalCost !== null && sameMoney(storedTotalCost, totalCost),
      unpricedCells: view.unpricedCells,
    },
    baselines,
    computedSavings: { vsHome: savingsVs(baselines.home), vsGreedy: savingsVs(baselines.greedy) },
    byCluster: [...view.byCluster.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([clusterId, f]) => ({
        clusterId,
        gpuHours: f.gpuHours,
        energyMwh: f.energyMwh,
        energyCost: f.energyCost,
        cost: f.cost,
      })),
    grid: gridOf(view),
    assumptions: facts.assumptions,
  };
}

/** A placement as the API shows it, with its cost at the snapshot prices (null when unpriced). */
export interface PlacementItem {
  jobId: string;
  clusterId: string;
  slotStart: string;
  gpus: number;
  gpuHours: number;
  cost: number | null;
}

export function placementItem(pricing: SchedulePricing | null, p: StoredPlacementRow): PlacementItem {
  const price = costPerGpuHour(pricing, p.clusterId, p.slotStart.getTime());
  return {
    jobId: p.jobId,
    clusterId: p.clusterId,
    slotStart: p.slotStart.toISOString(),
    gpus: p.gpus,
    gpuHours: p.gpuHours,
    cost: price === undefined ? null : p.gpuHours * price,
  };
}
