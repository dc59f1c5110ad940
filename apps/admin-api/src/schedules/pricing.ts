/**
 * Cost of one GPU-hour in each cluster and slot of a schedule, from the prices the planner used (its input
 * snapshot). Pure: no IO. The arithmetic is libs/placement's `cellCost` (the one place a cell's cost is
 * computed); this module only reads the snapshot into its arguments.
 */
import { cellCost } from '#gridshift/placement';

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

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Builds pricing from a snapshot's problem; null when it lacks slots or clusters with prices. */
export function pricingFromProblem(input: SnapshotPricingInput | null | undefined): SchedulePricing | null {
  if (!input || !Array.isArray(input.slotStartsUtc) || !Array.isArray(input.clusters)) return null;
  const slotIndex = new Map<number, number>();
  input.slotStartsUtc.forEach((s, i) => {
    const ms = typeof s === 'string' ? Date.parse(s) : NaN;
    if (Number.isFinite(ms)) slotIndex.set(ms, i);
  });
  const carbonPricePerTonne = num(input.carbonPricePerTonne) ?? 0;
  const clusters = new Map<string, ClusterPricing>();
  for (const raw of input.clusters as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const c = raw as Record<string, unknown>;
    const kwPerGpu = num(c.kwPerGpu);
    const pue = num(c.pue);
    if (typeof c.id !== 'string' || kwPerGpu === null || pue === null || !Array.isArray(c.pricePerMwh))
      continue;
    // A missing or non-numeric price counts 0, an unknown carbon intensity counts 0 (as in the planner).
    const cluster = {
      kwPerGpu,
      pue,
      pricePerMwh: (c.pricePerMwh as unknown[]).map((p) => num(p) ?? 0),
      carbonGPerKwh: Array.isArray(c.carbonGPerKwh) ? (c.carbonGPerKwh as unknown[]).map(num) : [],
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
