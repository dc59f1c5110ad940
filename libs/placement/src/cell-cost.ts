import type { ClusterInput } from './model.js';

const KWH_PER_MWH = 1000;
const G_PER_TONNE = 1e6;

/** What one GPU-hour of work costs in a cluster and slot. The one place cell costs are computed. */
export interface CellCost {
  /** kWh drawn from the grid per GPU-hour: kW per GPU × PUE. */
  kwhPerGpuHour: number;
  /** Energy cost of a GPU-hour at the slot's price, problem currency. */
  energyCostPerGpuHour: number;
  /** Tonnes CO2 per GPU-hour at the slot's carbon intensity (0 where unknown). */
  carbonTonnesPerGpuHour: number;
  /** The objective's cost of a GPU-hour: energy + carbon price × tonnes. */
  costPerGpuHour: number;
}

/**
 * Cost of one GPU-hour in slot `t` of `cluster`: energy = kW per GPU × PUE × price ÷ 1000 (price per MWh),
 * carbon = kW per GPU × PUE × intensity ÷ 10⁶ tonnes (gCO2/kWh; unknown intensity counts 0), priced at
 * `carbonPricePerTonne`. Pure; used by the engine, the backtest and the admin API's repricing.
 */
export function cellCost(
  cluster: Pick<ClusterInput, 'kwPerGpu' | 'pue' | 'pricePerMwh' | 'carbonGPerKwh'>,
  t: number,
  carbonPricePerTonne = 0,
): CellCost {
  const kwhPerGpuHour = cluster.kwPerGpu * cluster.pue;
  const energyCostPerGpuHour = (kwhPerGpuHour * (cluster.pricePerMwh[t] ?? 0)) / KWH_PER_MWH;
  const carbon = cluster.carbonGPerKwh?.[t];
  const carbonTonnesPerGpuHour =
    carbon === undefined || carbon === null ? 0 : (kwhPerGpuHour * carbon) / G_PER_TONNE;
  return {
    kwhPerGpuHour,
    energyCostPerGpuHour,
    carbonTonnesPerGpuHour,
    costPerGpuHour: energyCostPerGpuHour + carbonPricePerTonne * carbonTonnesPerGpuHour,
  };
}
