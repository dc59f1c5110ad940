import type { DataSource, EntityManager } from 'typeorm';

/** Which zones and clusters operators registered (through the admin API): the ingest accepts data only for them. */
export class RegistrationRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** The ones of `zones` that are registered: a row of `zones`, or the zone of a registered cluster. */
  async registeredZones(zones: readonly string[]): Promise<Set<string>> {
    if (zones.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }[]>(
      `select id from zones where id = any($1::text[])
       union select zone from clusters where zone = any($1::text[])`,
      [zones],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The ones of `clusterIds` that are registered clusters (active or not). */
  async registeredClusters(clusterIds: readonly string[]): Promise<Set<string>> {
    if (clusterIds.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }[]>(`select id from clusters where id = any($1::text[])`, [
      clusterIds,
    ]);
    return new Set(rows.map((r) => r.id));
  }
}
