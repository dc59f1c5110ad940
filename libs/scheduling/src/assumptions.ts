/** What the planner had to assume because an input was missing, stale or not the preferred kind. */
export type AssumptionCode =
  /** No day-ahead price for the slots: the intraday / real-time / forecast price was used. */
  | 'price-intraday'
  | 'price-real-time'
  | 'price-forecast'
  /** No price for the slots: the last known price of the zone was carried forward. */
  | 'price-carried-forward'
  /** The zone has no price at all: the fleet median of the slot (or the configured default) was assumed. */
  | 'price-missing'
  /** The price used was issued longer ago than the staleness limit. */
  | 'price-stale'
  /** The cluster's latest load report is older than the staleness limit; it was used anyway. */
  | 'capacity-stale'
  /** The cluster never reported load: 0 schedulable GPUs were assumed. */
  | 'capacity-missing'
  /** Future slots use the median schedulable GPUs of the same hour of day in recent reports. */
  | 'capacity-forecast'
  /** Allowed clusters have different GPU models: demand uses the slowest model's throughput. */
  | 'gpu-throughput-mixed'
  /** No active cluster has a GPU model the job declares a throughput for: the job cannot be placed. */
  | 'gpu-throughput-missing'
  /** Batch jobs whose deadline lies beyond the horizon: only the pro-rata share is planned now. */
  | 'batch-prorated'
  /** Active jobs without a token demand (no tokensPerHour / totalTokens) were left out. */
  | 'demand-missing'
  /** A what-if scenario changed the inputs. */
  | 'scenario'
  /** A demand-response event of an energy partner: what it capped or priced, and whether it was followed. */
  | 'grid-event'
  /** Data centers refused jobs by their own rules: those jobs are kept out of those clusters. */
  | 'delivery-refused'
  /** Realized usage departed from the schedule in force beyond the drift threshold. */
  | 'usage-drift';

export interface Assumption {
  code: AssumptionCode;
  /** One sentence for operators. */
  message: string;
  zone?: string;
  clusterId?: string;
  jobIds?: string[];
  /** The slots the assumption applies to (UTC slot starts). */
  slotStartsUtc?: string[];
  details?: Record<string, unknown>;
}
