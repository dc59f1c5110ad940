/**
 * Input model of the placement problem (see README "Model" and DESIGN.md "The placement problem").
 *
 * Units are in the names: GPU-hours (`gpuHours`), kW, currency per MWh, gCO2 per kWh, UTC slot starts.
 * A slot is `slotMinutes` long; `Δt = slotMinutes / 60` hours. A cluster with `g` schedulable GPUs
 * offers `g · Δt` GPU-hours in a slot.
 */

/** A data-center cluster (region) with per-slot capacity and prices. Arrays have one entry per slot. */
export interface ClusterInput {
  id: string;
  /** Bidding zone of the electricity price (e.g. `DE-LU`). Used by `residencyZones`. */
  zone: string;
  /** Cloud/legal region (e.g. `eu-central`). Used by `residencyRegions`. */
  region?: string;
  gpuModel?: string;
  /** GPUs free for gridshift in each slot (a forecast for future slots). */
  schedulableGpus: number[];
  /** IT power of one busy GPU incl. its share of the server, kW. */
  kwPerGpu: number;
  /** Power usage effectiveness (facility kW / IT kW), ≥ 1. */
  pue: number;
  /** Facility power cap per slot in kW (IT × PUE), `null` = no cap in that slot. */
  powerCapKw?: (number | null)[];
  /**
   * True in slots whose `powerCapKw` comes from a grid (demand-response) event: work it leaves unserved is
   * reported with the shortfall reason `grid-event` instead of `capacity`.
   */
  gridEventCap?: boolean[];
  /** Zone price per slot in the problem's base currency per MWh (may be negative). */
  pricePerMwh: number[];
  /** Grid carbon intensity per slot, gCO2/kWh; `null` = unknown (not priced, not counted). */
  carbonGPerKwh?: (number | null)[];
  /** Round-trip latency from a request origin (e.g. `eu-west-users`) to this cluster, ms. */
  latencyMsByOrigin?: Record<string, number>;
}

/** Operator pins: restrict a job to, or keep it out of, named clusters. */
export interface JobPins {
  mustRunIn?: string[];
  mustNotRunIn?: string[];
}

interface JobInputBase {
  id: string;
  /** Max GPUs the job may use at once (across all clusters) in any slot. */
  maxGpus: number;
  /**
   * Clusters the caller already found allowed (residency ∩ latency). Optional: the raw rules below are
   * applied on top, so the engine can say which rule excluded a cluster.
   */
  allowedClusterIds?: string[];
  /** Residency: cluster `zone` must be one of these (unset = any). */
  residencyZones?: string[];
  /** Residency: cluster `region` must be one of these (unset = any). */
  residencyRegions?: string[];
  /** Where requests come from; looked up in each cluster's `latencyMsByOrigin`. */
  origin?: string;
  /** Max acceptable latency from `origin`, ms. A cluster without a measurement for `origin` is excluded. */
  latencySlaMs?: number;
  /** Priority tier, priced by `PlacementProblem.tierPenaltiesPerGpuHour` unless `penaltyPerGpuHour` is set. */
  tier?: string;
  /** Cost of one unserved GPU-hour in the base currency (wins over `tier`). */
  penaltyPerGpuHour?: number;
  pins?: JobPins;
  /** Throughput of one GPU for this job's model, tokens/s; enables cost per million tokens. */
  tokensPerSecondPerGpu?: number;
  /** Cluster the job runs in without gridshift (home baseline); default = first allowed cluster. */
  homeClusterId?: string;
}

/** Interactive serving: demand is per slot and cannot move in time. */
export interface InteractiveJobInput extends JobInputBase {
  kind: 'interactive';
  /** GPU-hours demanded in each slot (one entry per slot). */
  demandGpuHours: number[];
}

/** Batch inference: a total of GPU-hours to run anywhere inside `[windowStartSlot, deadlineSlot)`. */
export interface BatchJobInput extends JobInputBase {
  kind: 'batch';
  totalGpuHours: number;
  /** First slot the job may run in (inclusive), default 0. */
  windowStartSlot?: number;
  /** Slot by whose start the job must be done (exclusive), default = number of slots. */
  deadlineSlot?: number;
}

export type JobInput = InteractiveJobInput | BatchJobInput;
export type JobKind = JobInput['kind'];

/** A placement of the previous schedule (a result `Placement` fits, so results can be fed back). */
export interface PreviousPlacement {
  jobId: string;
  clusterId: string;
  slotStartUtc: string;
  /** Whole GPUs it had there. */
  gpus: number;
  /** GPU-hours of work it did there (≤ gpus × slot hours); default gpus × slot hours. */
  gpuHours?: number;
}

/** Stability term: moving work away from where the previous schedule put it costs money. */
export interface StabilityInput {
  previous: PreviousPlacement[];
  /** Cost per GPU-hour that the previous schedule had in a (job, cluster, slot) and this one does not. */
  costPerGpuHourMoved: number;
}

/** Everything the engine needs for one solve. The engine never mutates it. */
export interface PlacementProblem {
  /** Slot starts, ISO-8601 UTC, equally spaced by `slotMinutes`. */
  slotStartsUtc: string[];
  slotMinutes: number;
  /** Base currency of every price, penalty and result figure (e.g. `EUR`). */
  currency: string;
  clusters: ClusterInput[];
  jobs: JobInput[];
  /** Carbon price, currency per tonne CO2 (0 or unset = carbon reported, not priced). */
  carbonPricePerTonne?: number;
  /** Penalty per unserved GPU-hour for each tier name. */
  tierPenaltiesPerGpuHour?: Record<string, number>;
  stability?: StabilityInput;
}
