/**
 * Repricing of a stored schedule: the cost of one GPU-hour in each cluster and slot from the prices the planner
 * used (its input snapshot), and the cost of its placement cells at those prices. Pure: no IO. The arithmetic is
 * libs/placement's `cellCost` (the one place a cell's cost is computed); this module only reads the snapshot into
 * its arguments.
 */
import { cellCost } from '#gridshift/placement';
import type { CellTotalsRow } from '#gridshift/persistence';
import { finiteNumberOrNull } from './json-values.js';

export interface ClusterPricing {
  kwhPerGpuHour: number;
  /** Per slot: energy cost of one GPU-hour, currency. */
  energyCostPerGpuHour: number[];
  /** Per slot: carbon cost of one GPU-hour at the snapshot's carbon price, currency. */
  carbonCostPerGpuHour: number[];
}

export interface SchedulePricing {
  currency: string | null;
  carbonPricePerTonne: number;
  /** Slot start (epoch ms) → slot index. */
  slotIndex: Map<number, number>;
  clusters: Map<string, ClusterPricing>;
}

/** The pricing part of a placement problem, as stored in a schedule's input snapshot. */
export interface SnapshotPricingInput {
  currency?: unknown;
  carbonPricePerTonne?: unknown;
  slotStartsUtc?: unknown;
  clusters?: unknown;
}

/** Builds pricing from a snapshot's problem; null when it lacks slots or clusters with prices. */
export function pricingFromProblem(input: SnapshotPricingInput | null | undefined): SchedulePricing | null {
  if (!input || !Array.isArray(input.slotStartsUtc) || !Array.isArray(input.clusters)) return null;
  const slotIndex = new Map<number, number>();
  input.slotStartsUtc.forEach((s, i) => {
    const ms = typeof s === 'string' ? Date.parse(s) : NaN;
    if (Number.isFinite(ms)) slotIndex.set(ms, i);
  });
  const carbonPricePerTonne = finiteNumberOrNull(input.carbonPricePerTonne) ?? 0;
  const clusters = new Map<string, ClusterPricing>();
  for (const raw of input.clusters as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const c = raw as Record<string, unknown>;
    const kwPerGpu = finiteNumberOrNull(c.kwPerGpu);
    const pue = finiteNumberOrNull(c.pue);
    if (typeof c.id !== 'string' || kwPerGpu === null || pue === null || !Array.isArray(c.pricePerMwh))
      continue;
    // A missing or non-numeric price counts 0, an unknown carbon intensity counts 0 (as in the planner).
    const cluster = {
      kwPerGpu,
      pue,
      pricePerMwh: (c.pricePerMwh as unknown[]).map((p) => finiteNumberOrNull(p) ?? 0),
      carbonGPerKwh: Array.isArray(c.carbonGPerKwh)
        ? (c.carbonGPerKwh as unknown[]).map(finiteNumberOrNull)
        : [],
    };
    const slots = cluster.pricePerMwh.map((_p, t) => cellCost(cluster, t, carbonPricePerTonne));
    clusters.set(c.id, {
      kwhPerGpuHour: cellCost(cluster, 0).kwhPerGpuHour,
      energyCostPerGpuHour: slots.map((s) => s.energyCostPerGpuHour),
      carbonCostPerGpuHour: slots.map((s) => carbonPricePerTonne * s.carbonTonnesPerGpuHour),
    });
  }
  if (clusters.size === 0) return null;
  return {
    currency: typeof input.currency === 'string' ? input.currency : null,
    carbonPricePerTonne,
    slotIndex,
    clusters,
  };
}

export interface CellPrice {
  kwhPerGpuHour: number;
  energyCostPerGpuHour: number;
  carbonCostPerGpuHour: number;
}

/** The price of one GPU-hour in a cluster and slot, or undefined when the snapshot has none. */
export function cellPrice(
  pricing: SchedulePricing | null,
  clusterId: string,
  slotStartMs: number,
): CellPrice | undefined {
  if (!pricing) return undefined;
  const cluster = pricing.clusters.get(clusterId);
  const t = pricing.slotIndex.get(slotStartMs);
  if (!cluster || t === undefined) return undefined;
  const energy = cluster.energyCostPerGpuHour[t];
  if (energy === undefined) return undefined;
  return {
    kwhPerGpuHour: cluster.kwhPerGpuHour,
    energyCostPerGpuHour: energy,
    carbonCostPerGpuHour: cluster.carbonCostPerGpuHour[t] ?? 0,
  };
}

const KWH_PER_MWH = 1000;

/** GPU-hours of one schedule in one cluster and slot (summed over jobs), as stored. */
export type CellAggregate = CellTotalsRow;

export interface CostFigures {
  gpuHours: number;
  energyMwh: number;
  energyCost: number;
  carbonCost: number;
  /** energyCost + carbonCost. */
  cost: number;
}

export interface CostedCell extends CellAggregate {
  energyMwh: number;
  energyCost: number;
  carbonCost: number;
  cost: number;
  priced: boolean;
}

/** All figures 0. */
export const zeroCostFigures = (): CostFigures => ({
  gpuHours: 0,
  energyMwh: 0,
  energyCost: 0,
  carbonCost: 0,
  cost: 0,
});
/** Adds `c` into `sum`. */
export const addCostFigures = (sum: CostFigures, c: CostFigures) => {
  sum.gpuHours += c.gpuHours;
  sum.energyMwh += c.energyMwh;
  sum.energyCost += c.energyCost;
  sum.carbonCost += c.carbonCost;
  sum.cost += c.cost;
};

/** Costs every cell with the schedule's own prices; cells without a price count as unpriced (cost 0). */
export function costCells(
  cells: readonly CellAggregate[],
  pricing: SchedulePricing | null,
): { cells: CostedCell[]; byCluster: Map<string, CostFigures>; totals: CostFigures; unpricedCells: number } {
  const byCluster = new Map<string, CostFigures>();
  const totals = zeroCostFigures();
  let unpricedCells = 0;
  const costed = cells.map((cell) => {
    const price = cellPrice(pricing, cell.clusterId, cell.slotStartMs);
    if (!price) unpricedCells += 1;
    const energyCost = price ? cell.gpuHours * price.energyCostPerGpuHour : 0;
    const carbonCost = price ? cell.gpuHours * price.carbonCostPerGpuHour : 0;
    const out: CostedCell = {
      ...cell,
      energyMwh: price ? (cell.gpuHours * price.kwhPerGpuHour) / KWH_PER_MWH : 0,
      energyCost,
      carbonCost,
      cost: energyCost + carbonCost,
      priced: price !== undefined,
    };
    let cluster = byCluster.get(cell.clusterId);
    if (!cluster) byCluster.set(cell.clusterId, (cluster = zeroCostFigures()));
    addCostFigures(cluster, out);
    addCostFigures(totals, out);
    return out;
  });
  return { cells: costed, byCluster, totals, unpricedCells };
}

/** Energy + carbon cost of one GPU-hour in a cell at the schedule's snapshot prices; undefined when unpriced. */
export function costPerGpuHour(
  pricing: SchedulePricing | null,
  clusterId: string,
  slotStartMs: number,
): number | undefined {
  const price = cellPrice(pricing, clusterId, slotStartMs);
  return price ? price.energyCostPerGpuHour + price.carbonCostPerGpuHour : undefined;
}
