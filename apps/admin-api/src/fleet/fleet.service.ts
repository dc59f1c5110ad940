import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditRepository } from '#gridshift/persistence';
import type { ClusterRow } from '#gridshift/scheduling';
import { returning } from '../db.js';
import { ConflictError, NotFoundError } from '../http/errors.js';
import type {
  ClusterView,
  CreateClusterBody,
  ExchangeRateView,
  PutZoneBody,
  UpdateClusterBody,
  ZoneView,
} from './fleet.schemas.js';

/** A whole `clusters` row: the fleet columns plus the active flag and timestamps. */
interface ClusterRaw extends ClusterRow {
  active: boolean;
  created_at: Date;
  updated_at: Date;
}
const clusterView = (r: ClusterRaw): ClusterView => ({
  id: r.id,
  name: r.name,
  region: r.region,
  zone: r.zone,
  gpuModel: r.gpu_model,
  gpuTotal: r.gpu_total,
  kwPerGpu: r.kw_per_gpu,
  pue: r.pue,
  powerCapKw: r.power_cap_kw,
  latencyMsByOrigin: r.latency_ms_by_origin,
  active: r.active,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

interface ZoneRaw {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  created_at: Date;
  updated_at: Date;
}
const zoneView = (r: ZoneRaw): ZoneView => ({
  id: r.id,
  name: r.name,
  currency: r.currency,
  timeZone: r.time_zone,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const stripTimes = <T extends { createdAt: string; updatedAt: string }>({
  createdAt: _c,
  updatedAt: _u,
  ...rest
}: T) => rest;

/** Clusters, zones and exchange rates; every change is audited in its own transaction. */
@Injectable()
export class FleetService {
  private readonly audit: AuditRepository;

  constructor(private readonly db: DataSource) {
    this.audit = new AuditRepository(db);
  }

  /** Every registered cluster, by id. */
  async listClusters(): Promise<ClusterView[]> {
    const rows = await this.db.query<ClusterRaw[]>(`select * from clusters order by id`);
    return rows.map(clusterView);
  }

  /** One cluster; NotFoundError when unknown. */
  async getCluster(
    id: string,
    manager: DataSource | EntityManager = this.db,
    lock = false,
  ): Promise<ClusterView> {
    const rows = await manager.query<ClusterRaw[]>(
      `select * from clusters where id = $1 ${lock ? 'for update' : ''}`,
      [id],
    );
    if (!rows[0]) throw new NotFoundError('cluster', id, { name: 'id', in: 'path' });
    return clusterView(rows[0]);
  }

  private async requireZone(zone: string, manager: EntityManager): Promise<void> {
    const rows = await manager.query<unknown[]>(`select 1 from zones where id = $1`, [zone]);
    if (rows.length === 0) throw new NotFoundError('zone', zone, { name: 'zone', in: 'body' });
  }

  /** Registers a cluster; ConflictError when the id is taken, NotFoundError for an unknown zone. */
  async createCluster(actor: string, body: CreateClusterBody): Promise<ClusterView> {
    return this.db.transaction(async (m) => {
      await this.requireZone(body.zone, m);
      const rows = await m.query<ClusterRaw[]>(
        `insert into clusters (id, name, region, zone, gpu_model, gpu_total, kw_per_gpu, pue, power_cap_kw,
                               latency_ms_by_origin, active)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
         on conflict (id) do nothing returning *`,
        [
          body.id,
          body.name,
          body.region,
          body.zone,
          body.gpuModel,
          body.gpuTotal,
          body.kwPerGpu,
          body.pue,
          body.powerCapKw,
          JSON.stringify(body.latencyMsByOrigin),
          body.active,
        ],
      );
      if (!rows[0])
        throw new ConflictError(`cluster ${JSON.stringify(body.id)} already exists`, {
          name: 'id',
          in: 'body',
        });
      const view = clusterView(rows[0]);
      await this.audit.record(
        {
          actor,
          action: 'cluster.create',
          targetType: 'cluster',
          targetId: view.id,
          after: stripTimes(view),
        },
        m,
      );
      return view;
    });
  }

  /** Changes some fields of a cluster. */
  async updateCluster(actor: string, id: string, body: UpdateClusterBody): Promise<ClusterView> {
    return this.db.transaction(async (m) => {
      const before = await this.getCluster(id, m, true);
      if (body.zone !== undefined) await this.requireZone(body.zone, m);
      const next = {
        ...before,
        ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
      };
      const rows = await returning<ClusterRaw>(
        m,
        `update clusters set name = $2, region = $3, zone = $4, gpu_model = $5, gpu_total = $6, kw_per_gpu = $7,
           pue = $8, power_cap_kw = $9, latency_ms_by_origin = $10::jsonb, active = $11, updated_at = now()
         where id = $1 returning *`,
        [
          id,
          next.name,
          next.region,
          next.zone,
          next.gpuModel,
          next.gpuTotal,
          next.kwPerGpu,
          next.pue,
          next.powerCapKw,
          JSON.stringify(next.latencyMsByOrigin),
          next.active,
        ],
      );
      const after = clusterView(rows[0]!);
      await this.audit.record(
        {
          actor,
          action: 'cluster.update',
          targetType: 'cluster',
          targetId: id,
          before: stripTimes(before),
          after: stripTimes(after),
        },
        m,
      );
      return after;
    });
  }

  /** Every zone, by id. */
  async listZones(): Promise<ZoneView[]> {
    return (await this.db.query<ZoneRaw[]>(`select * from zones order by id`)).map(zoneView);
  }

  /** One zone; NotFoundError when unknown. */
  async getZone(id: string): Promise<ZoneView> {
    const rows = await this.db.query<ZoneRaw[]>(`select * from zones where id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('zone', id, { name: 'id', in: 'path' });
    return zoneView(rows[0]);
  }

  /** Creates or replaces a zone; `created` tells which. */
  async putZone(actor: string, id: string, body: PutZoneBody): Promise<{ zone: ZoneView; created: boolean }> {
    return this.db.transaction(async (m) => {
      const before = await m.query<ZoneRaw[]>(`select * from zones where id = $1 for update`, [id]);
      const rows = await m.query<ZoneRaw[]>(
        `insert into zones (id, name, currency, time_zone) values ($1, $2, $3, $4)
         on conflict (id) do update set name = excluded.name, currency = excluded.currency,
           time_zone = excluded.time_zone, updated_at = now()
         returning *`,
        [id, body.name, body.currency, body.timeZone],
      );
      const zone = zoneView(rows[0]!);
      await this.audit.record(
        {
          actor,
          action: before[0] ? 'zone.update' : 'zone.create',
          targetType: 'zone',
          targetId: id,
          before: before[0] ? stripTimes(zoneView(before[0])) : undefined,
          after: stripTimes(zone),
        },
        m,
      );
      return { zone, created: !before[0] };
    });
  }

  /** Operator-managed exchange rates (they override the ingest's FX file). */
  async listRates(): Promise<ExchangeRateView[]> {
    const rows = await this.db.query<{ currency: string; per_base: number; updated_at: Date }[]>(
      `select currency, per_base, updated_at from exchange_rates order by currency`,
    );
    return rows.map((r) => ({
      currency: r.currency,
      perBase: r.per_base,
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  /** Sets one rate; `created` tells whether the currency was new. */
  async putRate(
    actor: string,
    currency: string,
    perBase: number,
  ): Promise<{ rate: ExchangeRateView; created: boolean }> {
    return this.db.transaction(async (m) => {
      const before = await m.query<{ per_base: number }[]>(
        `select per_base from exchange_rates where currency = $1 for update`,
        [currency],
      );
      const rows = await m.query<{ currency: string; per_base: number; updated_at: Date }[]>(
        `insert into exchange_rates (currency, per_base) values ($1, $2)
         on conflict (currency) do update set per_base = excluded.per_base, updated_at = now()
         returning currency, per_base, updated_at`,
        [currency, perBase],
      );
      const row = rows[0]!;
      await this.audit.record(
        {
          actor,
          action: 'exchange-rate.set',
          targetType: 'exchange-rate',
          targetId: currency,
          before: before[0] ? { perBase: before[0].per_base } : undefined,
          after: { perBase: row.per_base },
        },
        m,
      );
      return {
        rate: { currency: row.currency, perBase: row.per_base, updatedAt: row.updated_at.toISOString() },
        created: !before[0],
      };
    });
  }

  /** Removes an override (the FX file's rate applies again). */
  async deleteRate(actor: string, currency: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const rows = await returning<{ per_base: number }>(
        m,
        `delete from exchange_rates where currency = $1 returning per_base`,
        [currency],
      );
      if (!rows[0]) throw new NotFoundError('exchange rate', currency, { name: 'currency', in: 'path' });
      await this.audit.record(
        {
          actor,
          action: 'exchange-rate.delete',
          targetType: 'exchange-rate',
          targetId: currency,
          before: { perBase: rows[0].per_base },
        },
        m,
      );
    });
  }
}
