import type { DataSource, EntityManager } from 'typeorm';

/** A `clusters` row's fleet columns as PostgreSQL returns them (shared with the admin API's cluster views). */
export interface ClusterRow {
  id: string;
  name: string;
  region: string;
  zone: string;
  gpu_model: string;
  gpu_total: number;
  kw_per_gpu: number;
  pue: number;
  power_cap_kw: number | null;
  latency_ms_by_origin: Record<string, number>;
}

/** A cluster's fleet columns, as every reader of `clusters` sees them. */
export interface ClusterFleet {
  id: string;
  name: string;
  region: string;
  zone: string;
  gpuModel: string;
  gpuTotal: number;
  kwPerGpu: number;
  pue: number;
  powerCapKw: number | null;
  latencyMsByOrigin: Record<string, number>;
}

/** The one mapper of a `clusters` row's fleet columns (the admin API's records and the planner's inputs use it). */
export function clusterFleet(r: ClusterRow): ClusterFleet {
  return {
    id: r.id,
    name: r.name,
    region: r.region,
    zone: r.zone,
    gpuModel: r.gpu_model,
    gpuTotal: r.gpu_total,
    kwPerGpu: r.kw_per_gpu,
    pue: r.pue,
    powerCapKw: r.power_cap_kw,
    latencyMsByOrigin: r.latency_ms_by_origin ?? {},
  };
}

/** The latest `cluster_state` report of a cluster. */
export interface ClusterLatestState {
  observedAt: Date;
  gpuTotal: number | null;
  gpuBusy: number | null;
  gpuSchedulable: number | null;
  powerCapKw: number | null;
  pue: number | null;
}

/** An active cluster with its latest reported state (null without a report). */
export interface ClusterWithState extends ClusterFleet {
  state: ClusterLatestState | null;
}

interface ClusterWithStateRow extends ClusterRow {
  s_observed_at: Date | null;
  s_gpu_total: number | null;
  s_gpu_busy: number | null;
  s_gpu_schedulable: number | null;
  s_power_cap_kw: number | null;
  s_pue: number | null;
}

/** A `jobs` row's planning columns as PostgreSQL returns them (shared with the admin API's job views). */
export interface JobRow {
  id: string;
  name: string;
  model: string;
  kind: 'interactive' | 'batch';
  tokens_per_second_per_gpu: Record<string, number>;
  tokens_per_hour: number | null;
  demand_profile: number[] | null;
  total_tokens: number | null;
  window_start: Date | null;
  deadline: Date | null;
  origin: string;
  latency_sla_ms: number | null;
  residency: string[];
  tier: string;
  max_gpus: number;
  pins: { mustRunIn?: string[]; mustNotRunIn?: string[] };
  home_cluster_id: string | null;
}

/** Median schedulable GPUs a cluster reported at one UTC hour of day. */
export interface SchedulableByHourRow {
  clusterId: string;
  /** UTC hour of day, 0–23. */
  hour: number;
  medianGpus: number;
}

/**
 * What the planner reads besides prices (PriceRepository): active clusters with their latest state, their load
 * history by hour of day, the active jobs of a horizon, and the newest load report (a replay's clock).
 */
export class PlanningInputsRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Active clusters with their latest reported state, ordered by id. */
  async activeClustersWithState(): Promise<ClusterWithState[]> {
    const rows = await this.db.query<ClusterWithStateRow[]>(
      `select c.id, c.name, c.region, c.zone, c.gpu_model, c.gpu_total, c.kw_per_gpu, c.pue, c.power_cap_kw,
              c.latency_ms_by_origin, s.observed_at as s_observed_at, s.gpu_total as s_gpu_total,
              s.gpu_busy as s_gpu_busy, s.gpu_schedulable as s_gpu_schedulable,
              s.power_cap_kw as s_power_cap_kw, s.pue as s_pue
       from clusters c left join cluster_state s on s.cluster_id = c.id
       where c.active order by c.id`,
    );
    return rows.map((r) => ({
      ...clusterFleet(r),
      state:
        r.s_observed_at === null
          ? null
          : {
              observedAt: r.s_observed_at,
              gpuTotal: r.s_gpu_total,
              gpuBusy: r.s_gpu_busy,
              gpuSchedulable: r.s_gpu_schedulable,
              powerCapKw: r.s_power_cap_kw,
              pue: r.s_pue,
            },
    }));
  }

  /** Per cluster and UTC hour of day, the median schedulable GPUs of the reports observed in [from, to]. */
  async schedulableMedianByHour(
    clusterIds: readonly string[],
    from: Date,
    to: Date,
  ): Promise<SchedulableByHourRow[]> {
    if (clusterIds.length === 0) return [];
    const rows = await this.db.query<{ cluster_id: string; hour: number; median: number }[]>(
      `select cluster_id, extract(hour from observed_at at time zone 'UTC')::int as hour,
              percentile_cont(0.5) within group (order by gpu_schedulable) as median
       from load_reports where cluster_id = any($1) and observed_at >= $2 and observed_at <= $3
       group by 1, 2 order by 1, 2`,
      [clusterIds, from, to],
    );
    return rows.map((r) => ({ clusterId: r.cluster_id, hour: r.hour, medianGpus: Number(r.median) }));
  }

  /** Active jobs whose window overlaps [from, to) (no deadline, or one after `from`), ordered by id. */
  async activeJobsOverlapping(from: Date, to: Date): Promise<JobRow[]> {
    return this.db.query<JobRow[]>(
      `select id, name, model, kind, tokens_per_second_per_gpu, tokens_per_hour, demand_profile, total_tokens,
              window_start, deadline, origin, latency_sla_ms, residency, tier, max_gpus, pins, home_cluster_id
       from jobs
       where status = 'active' and (deadline is null or deadline > $1) and (window_start is null or window_start < $2)
       order by id`,
      [from, to],
    );
  }

  /** The newest observation time of any cluster's latest state; null before the first report. */
  async newestLoadReportTime(): Promise<Date | null> {
    const rows = await this.db.query<{ at: Date | null }[]>(
      `select max(observed_at) as at from cluster_state`,
    );
    return rows[0]?.at ?? null;
  }
}
