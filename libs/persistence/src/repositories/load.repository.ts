import type { DataSource, EntityManager } from 'typeorm';

/** One validated load report (UTC `observedAt`). */
export interface LoadRow {
  clusterId: string;
  region: string;
  zone: string;
  observedAt: string;
  gpuModel: string;
  gpuTotal: number;
  gpuBusy: number;
  gpuSchedulable: number;
  powerKw: number;
  powerCapKw: number | null;
  pue: number;
  messageId: string | null;
}

export interface ClusterStateRow extends Omit<LoadRow, 'messageId' | 'observedAt'> {
  observedAt: Date;
}

/** Load reports append (a replay is a no-op); the latest state per cluster only moves forward in time. */
export class LoadRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Appends the reports and advances cluster_state; returns how many reports were new. */
  async append(rows: LoadRow[], manager: DataSource | EntityManager = this.db): Promise<number> {
    if (rows.length === 0) return 0;
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 5000) {
      const part = rows.slice(i, i + 5000);
      const cols = [
        part.map((r) => r.clusterId),
        part.map((r) => r.region),
        part.map((r) => r.zone),
        part.map((r) => r.observedAt),
        part.map((r) => r.gpuModel),
        part.map((r) => r.gpuTotal),
        part.map((r) => r.gpuBusy),
        part.map((r) => r.gpuSchedulable),
        part.map((r) => r.powerKw),
        part.map((r) => r.powerCapKw),
        part.map((r) => r.pue),
      ];
      const result = await manager.query<{ id: string }[]>(
        `insert into load_reports (cluster_id, region, zone, observed_at, gpu_model, gpu_total, gpu_busy,
                                   gpu_schedulable, power_kw, power_cap_kw, pue, message_id)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::int[], $7::int[],
                              $8::int[], $9::float8[], $10::float8[], $11::float8[], $12::text[])
         on conflict (cluster_id, observed_at) do nothing
         returning id`,
        [...cols, part.map((r) => r.messageId)],
      );
      inserted += result.length;
      // Newest report per cluster in this chunk, then advance only if newer than what is stored.
      await manager.query(
        `insert into cluster_state (cluster_id, region, zone, observed_at, gpu_model, gpu_total, gpu_busy,
                                    gpu_schedulable, power_kw, power_cap_kw, pue, updated_at)
         select distinct on (c) c, r, z, o, g, t, b, s, p, pc, pu, now()
         from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::int[], $7::int[],
                     $8::int[], $9::float8[], $10::float8[], $11::float8[]) as x(c, r, z, o, g, t, b, s, p, pc, pu)
         order by c, o desc
         on conflict (cluster_id) do update set
           region = excluded.region, zone = excluded.zone, observed_at = excluded.observed_at,
           gpu_model = excluded.gpu_model, gpu_total = excluded.gpu_total, gpu_busy = excluded.gpu_busy,
           gpu_schedulable = excluded.gpu_schedulable, power_kw = excluded.power_kw,
           power_cap_kw = excluded.power_cap_kw, pue = excluded.pue, updated_at = now()
         where cluster_state.observed_at < excluded.observed_at`,
        cols,
      );
    }
    return inserted;
  }

  /** Latest state of every cluster that reported. */
  async latestStates(): Promise<ClusterStateRow[]> {
    const rows = await this.db.query<
      {
        cluster_id: string;
        region: string;
        zone: string;
        observed_at: Date;
        gpu_model: string;
        gpu_total: number;
        gpu_busy: number;
        gpu_schedulable: number;
        power_kw: number;
        power_cap_kw: number | null;
        pue: number;
      }[]
    >(`select * from cluster_state order by cluster_id`);
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      region: r.region,
      zone: r.zone,
      observedAt: r.observed_at,
      gpuModel: r.gpu_model,
      gpuTotal: r.gpu_total,
      gpuBusy: r.gpu_busy,
      gpuSchedulable: r.gpu_schedulable,
      powerKw: r.power_kw,
      powerCapKw: r.power_cap_kw,
      pue: r.pue,
    }));
  }

  /** Load reports of `clusterId` observed in [from, to), newest first, at most `limit`. */
  async reportsBetween(clusterId: string, from: Date, to: Date, limit: number): Promise<LoadReportRow[]> {
    const rows = await this.db.query<
      {
        observed_at: Date;
        gpu_total: number;
        gpu_busy: number;
        gpu_schedulable: number;
        power_kw: number;
        power_cap_kw: number | null;
        pue: number;
      }[]
    >(
      `select observed_at, gpu_total, gpu_busy, gpu_schedulable, power_kw, power_cap_kw, pue from load_reports
       where cluster_id = $1 and observed_at >= $2 and observed_at < $3 order by observed_at desc limit $4`,
      [clusterId, from, to, limit],
    );
    return rows.map((r) => ({
      observedAt: r.observed_at,
      gpuTotal: r.gpu_total,
      gpuBusy: r.gpu_busy,
      gpuSchedulable: r.gpu_schedulable,
      powerKw: r.power_kw,
      powerCapKw: r.power_cap_kw,
      pue: r.pue,
    }));
  }
}

/** One stored load report as `LoadRepository.reportsBetween` reads it. */
export interface LoadReportRow {
  observedAt: Date;
  gpuTotal: number;
  gpuBusy: number;
  gpuSchedulable: number;
  powerKw: number;
  powerCapKw: number | null;
  pue: number;
}
