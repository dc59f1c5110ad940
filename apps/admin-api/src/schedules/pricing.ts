/**
 * Cost of one GPU-hour in each cluster and slot of a schedule, from the prices the planner used (its input
 * snapshot). Pure: no IO. Energy per GPU-hour = kW per GPU × PUE (kWh); cost = kWh × price / 1000;
 * carbon = kWh × gCO2/kWh / 10^6 tonnes, priced at the snapshot's carbon price per tonne — the same
 * arithmetic as libs/placement's accounting.
 */

const KWH_PER_MWH = 1000;
const G_PER_TONNE = 1e6;

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
    const kwh = kwPerGpu * pue;
    const carbon = Array.isArray(c.carbonGPerKwh) ? (c.carbonGPerKwh as unknown[]) : [];
    clusters.set(c.id, {
      kwhPerGpuHour: kwh,
      energyCostPerGpuHour: (c.pricePerMwh as unknown[]).map((p) => (kwh * (num(p) ?? 0)) / KWH_PER_MWH),
      carbonCostPerGpuHour: (c.pricePerMwh as unknown[]).map(
        (_p, t) => (carbonPricePerTonne * kwh * (num(carbon[t]) ?? 0)) / G_PER_TONNE,
      ),
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
