import { clusterFleet, type ClusterFleet, type ClusterRow } from './planning-inputs.repository.js';
import type { Queryable } from './query.js';
import { queryRows } from './query.js';

/** A `clusters` row. */
export interface ClusterRecord extends ClusterFleet {
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A cluster as an operator registers or changes it (every column but the timestamps). */
export type ClusterFields = Omit<ClusterRecord, 'createdAt' | 'updatedAt'>;

/** A `zones` row. */
export interface ZoneRecord {
  id: string;
  name: string;
  currency: string;
  timeZone: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An operator-set exchange rate (`exchange_rates`): units of `currency` per unit of the base currency. */
export interface ExchangeRateRecord {
  currency: string;
  perBase: number;
  updatedAt: Date;
}

/** A whole `clusters` row: the fleet columns the planner reads too, plus the active flag and timestamps. */
interface ClusterDbRow extends ClusterRow {
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The one mapper of a whole `clusters` row (its fleet columns through clusterFleet). */
export function clusterRecord(r: ClusterDbRow): ClusterRecord {
  return {
    ...clusterFleet(r),
    active: r.active,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

interface ZoneDbRow {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  created_at: Date;
  updated_at: Date;
}
const zoneRecord = (r: ZoneDbRow): ZoneRecord => ({
  id: r.id,
  name: r.name,
  currency: r.currency,
  timeZone: r.time_zone,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const clusterParams = (c: ClusterFields) => [
  c.id,
  c.name,
  c.region,
  c.zone,
  c.gpuModel,
  c.gpuTotal,
  c.kwPerGpu,
  c.pue,
  c.powerCapKw,
  JSON.stringify(c.latencyMsByOrigin),
  c.active,
];

/**
 * What operators register: clusters, zones and exchange-rate overrides. Changes run in the caller's
 * transaction (construct it with the transaction's manager) so the audit row commits with them.
 */
export class FleetRepository {
  constructor(private readonly db: Queryable) {}

  /** Every cluster, by id. */
  async clusters(): Promise<ClusterRecord[]> {
    return (await this.db.query<ClusterDbRow[]>(`select * from clusters order by id`)).map(clusterRecord);
  }

  /** One cluster, locked for a change when asked; undefined when unknown. */
  async cluster(id: string, options: { lock?: boolean } = {}): Promise<ClusterRecord | undefined> {
    const rows = await this.db.query<ClusterDbRow[]>(
      `select * from clusters where id = $1 ${options.lock ? 'for update' : ''}`,
      [id],
    );
    return rows[0] && clusterRecord(rows[0]);
  }

  /** True when a cluster with this id is registered (active or not). */
  async clusterExists(id: string): Promise<boolean> {
    return (await this.db.query<unknown[]>(`select 1 from clusters where id = $1`, [id])).length > 0;
  }

  /** Inserts a cluster; undefined when the id is taken. */
  async insertCluster(c: ClusterFields): Promise<ClusterRecord | undefined> {
    const rows = await this.db.query<ClusterDbRow[]>(
      `insert into clusters (id, name, region, zone, gpu_model, gpu_total, kw_per_gpu, pue, power_cap_kw,
                             latency_ms_by_origin, active)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
       on conflict (id) do nothing returning *`,
      clusterParams(c),
    );
    return rows[0] && clusterRecord(rows[0]);
  }

  /** Replaces every field of an existing cluster; returns it (undefined when unknown). */
  async updateCluster(c: ClusterFields): Promise<ClusterRecord | undefined> {
    const rows = await queryRows<ClusterDbRow>(
      this.db,
      `update clusters set name = $2, region = $3, zone = $4, gpu_model = $5, gpu_total = $6, kw_per_gpu = $7,
         pue = $8, power_cap_kw = $9, latency_ms_by_origin = $10::jsonb, active = $11, updated_at = now()
       where id = $1 returning *`,
      clusterParams(c),
    );
    return rows[0] && clusterRecord(rows[0]);
  }

  /** Every zone, by id. */
  async zones(): Promise<ZoneRecord[]> {
    return (await this.db.query<ZoneDbRow[]>(`select * from zones order by id`)).map(zoneRecord);
  }

  /** One zone, locked for a change when asked; undefined when unknown. */
  async zone(id: string, options: { lock?: boolean } = {}): Promise<ZoneRecord | undefined> {
    const rows = await this.db.query<ZoneDbRow[]>(
      `select * from zones where id = $1 ${options.lock ? 'for update' : ''}`,
      [id],
    );
    return rows[0] && zoneRecord(rows[0]);
  }

  /** True when the zone is registered. */
  async zoneExists(id: string): Promise<boolean> {
    return (await this.db.query<unknown[]>(`select 1 from zones where id = $1`, [id])).length > 0;
  }

  /** Creates or replaces a zone; returns it. */
  async upsertZone(z: Omit<ZoneRecord, 'createdAt' | 'updatedAt'>): Promise<ZoneRecord> {
    const rows = await this.db.query<ZoneDbRow[]>(
      `insert into zones (id, name, currency, time_zone) values ($1, $2, $3, $4)
       on conflict (id) do update set name = excluded.name, currency = excluded.currency,
         time_zone = excluded.time_zone, updated_at = now()
       returning *`,
      [z.id, z.name, z.currency, z.timeZone],
    );
    return zoneRecord(rows[0]!);
  }

  /** Every exchange-rate override, by currency. */
  async exchangeRates(): Promise<ExchangeRateRecord[]> {
    const rows = await this.db.query<{ currency: string; per_base: number; updated_at: Date }[]>(
      `select currency, per_base, updated_at from exchange_rates order by currency`,
    );
    return rows.map((r) => ({ currency: r.currency, perBase: r.per_base, updatedAt: r.updated_at }));
  }

  /** The override of one currency, locked for a change; undefined when none. */
  async lockExchangeRate(currency: string): Promise<{ perBase: number } | undefined> {
    const rows = await this.db.query<{ per_base: number }[]>(
      `select per_base from exchange_rates where currency = $1 for update`,
      [currency],
    );
    return rows[0] && { perBase: rows[0].per_base };
  }

  /** Sets the override of one currency; returns it. */
  async upsertExchangeRate(currency: string, perBase: number): Promise<ExchangeRateRecord> {
    const rows = await this.db.query<{ currency: string; per_base: number; updated_at: Date }[]>(
      `insert into exchange_rates (currency, per_base) values ($1, $2)
       on conflict (currency) do update set per_base = excluded.per_base, updated_at = now()
       returning currency, per_base, updated_at`,
      [currency, perBase],
    );
    const r = rows[0]!;
    return { currency: r.currency, perBase: r.per_base, updatedAt: r.updated_at };
  }

  /** Removes the override of one currency; returns the rate it had (undefined when there was none). */
  async deleteExchangeRate(currency: string): Promise<{ perBase: number } | undefined> {
    const rows = await queryRows<{ per_base: number }>(
      this.db,
      `delete from exchange_rates where currency = $1 returning per_base`,
      [currency],
    );
    return rows[0] && { perBase: rows[0].per_base };
  }
}
