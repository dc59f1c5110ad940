import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeSchema, countRows, dropSchema, FleetRepository } from '#gridshift/persistence';
import { freshSchema } from '../support/harness.js';

// The schema helpers the demo and the benchmarks use instead of SQL of their own.
describe('schema lifecycle helpers', () => {
  let fresh: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    fresh = await freshSchema(import.meta.filename);
  });
  afterAll(async () => {
    if (fresh.dataSource.isInitialized) await fresh.dataSource.destroy();
  });

  it('counts rows, analyzes and drops the data source schema', async () => {
    const ds = fresh.dataSource;
    const fleet = new FleetRepository(ds);
    for (const id of ['DE-LU', 'FR', 'NL'])
      await fleet.upsertZone({ id, name: id, currency: 'EUR', timeZone: 'UTC' });
    expect(await countRows(ds, 'zones')).toBe(3);
    await expect(countRows(ds, 'zones; drop table zones')).rejects.toThrow(/unexpected relation/);
    await analyzeSchema(ds);
    const analyzed = await ds.query<{ n: number }[]>(
      `select count(*)::int as n from pg_stat_user_tables where schemaname = $1 and last_analyze is not null`,
      [fresh.schema],
    );
    expect(analyzed[0]!.n).toBeGreaterThan(10); // every table of the migrated schema
    await dropSchema(ds);
    const left = await ds.query<{ n: number }[]>(
      `select count(*)::int as n from pg_namespace where nspname = $1`,
      [fresh.schema],
    );
    expect(left[0]!.n).toBe(0);
    await dropSchema(ds); // dropping twice is harmless
  });
});
