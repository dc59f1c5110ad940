import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AuditRepository,
  type ClusterRecord,
  type ExchangeRateRecord,
  FleetRepository,
  type ZoneRecord,
} from '#gridshift/persistence';
import { ConflictError, NotFoundError } from '../http/errors.js';
import type {
  ClusterView,
  CreateClusterBody,
  ExchangeRateView,
  PutZoneBody,
  UpdateClusterBody,
  ZoneView,
} from './fleet.schemas.js';

const clusterView = (r: ClusterRecord): ClusterView => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const zoneView = (r: ZoneRecord): ZoneView => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const rateView = (r: ExchangeRateRecord): ExchangeRateView => ({
  currency: r.currency,
  perBase: r.perBase,
  updatedAt: r.updatedAt.toISOString(),
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

  private readonly fleet: FleetRepository;

  constructor(private readonly db: DataSource) {
    this.audit = new AuditRepository(db);
    this.fleet = new FleetRepository(db);
  }

  /** Every registered cluster, by id. */
  async listClusters(): Promise<ClusterView[]> {
    return (await this.fleet.clusters()).map(clusterView);
  }

  /** One cluster; NotFoundError when unknown. */
  async getCluster(
    id: string,
    manager: DataSource | EntityManager = this.db,
    lock = false,
  ): Promise<ClusterView> {
    const row = await new FleetRepository(manager).cluster(id, { lock });
    if (!row) throw new NotFoundError('cluster', id, { name: 'id', in: 'path' });
    return clusterView(row);
  }

  private async requireZone(zone: string, manager: EntityManager): Promise<void> {
    if (!(await new FleetRepository(manager).zoneExists(zone)))
      throw new NotFoundError('zone', zone, { name: 'zone', in: 'body' });
  }

  /** Registers a cluster; ConflictError when the id is taken, NotFoundError for an unknown zone. */
  async createCluster(actor: string, body: CreateClusterBody): Promise<ClusterView> {
    return this.db.transaction(async (m) => {
      await this.requireZone(body.zone, m);
      const row = await new FleetRepository(m).insertCluster({
        id: body.id,
        name: body.name,
        region: body.region,
        zone: body.zone,
        gpuModel: body.gpuModel,
        gpuTotal: body.gpuTotal,
        kwPerGpu: body.kwPerGpu,
        pue: body.pue,
        powerCapKw: body.powerCapKw,
        latencyMsByOrigin: body.latencyMsByOrigin,
        active: body.active,
      });
      if (!row)
        throw new ConflictError(`cluster ${JSON.stringify(body.id)} already exists`, {
          name: 'id',
          in: 'body',
        });
      const view = clusterView(row);
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
      const updated = await new FleetRepository(m).updateCluster({
        id,
        name: next.name,
        region: next.region,
        zone: next.zone,
        gpuModel: next.gpuModel,
        gpuTotal: next.gpuTotal,
        kwPerGpu: next.kwPerGpu,
        pue: next.pue,
        powerCapKw: next.powerCapKw,
        latencyMsByOrigin: next.latencyMsByOrigin,
        active: next.active,
      });
      const after = clusterView(updated!);
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
    return (await this.fleet.zones()).map(zoneView);
  }

  /** One zone; NotFoundError when unknown. */
  async getZone(id: string): Promise<ZoneView> {
    const row = await this.fleet.zone(id);
    if (!row) throw new NotFoundError('zone', id, { name: 'id', in: 'path' });
    return zoneView(row);
  }

  /** Creates or replaces a zone; `created` tells which. */
  async putZone(actor: string, id: string, body: PutZoneBody): Promise<{ zone: ZoneView; created: boolean }> {
    return this.db.transaction(async (m) => {
      const fleet = new FleetRepository(m);
      const before = await fleet.zone(id, { lock: true });
      const zone = zoneView(
        await fleet.upsertZone({ id, name: body.name, currency: body.currency, timeZone: body.timeZone }),
      );
      await this.audit.record(
        {
          actor,
          action: before ? 'zone.update' : 'zone.create',
          targetType: 'zone',
          targetId: id,
          before: before ? stripTimes(zoneView(before)) : undefined,
          after: stripTimes(zone),
        },
        m,
      );
      return { zone, created: !before };
    });
  }

  /** Operator-managed exchange rates (they override the ingest's FX file). */
  async listRates(): Promise<ExchangeRateView[]> {
    return (await this.fleet.exchangeRates()).map(rateView);
  }

  /** Sets one rate; `created` tells whether the currency was new. */
  async putRate(
    actor: string,
    currency: string,
    perBase: number,
  ): Promise<{ rate: ExchangeRateView; created: boolean }> {
    return this.db.transaction(async (m) => {
      const fleet = new FleetRepository(m);
      const before = await fleet.lockExchangeRate(currency);
      const row = await fleet.upsertExchangeRate(currency, perBase);
      await this.audit.record(
        {
          actor,
          action: 'exchange-rate.set',
          targetType: 'exchange-rate',
          targetId: currency,
          before: before ? { perBase: before.perBase } : undefined,
          after: { perBase: row.perBase },
        },
        m,
      );
      return {
        rate: rateView(row),
        created: !before,
      };
    });
  }

  /** Removes an override (the FX file's rate applies again). */
  async deleteRate(actor: string, currency: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const deleted = await new FleetRepository(m).deleteExchangeRate(currency);
      if (!deleted) throw new NotFoundError('exchange rate', currency, { name: 'currency', in: 'path' });
      await this.audit.record(
        {
          actor,
          action: 'exchange-rate.delete',
          targetType: 'exchange-rate',
          targetId: currency,
          before: { perBase: deleted.perBase },
        },
        m,
      );
    });
  }
}
