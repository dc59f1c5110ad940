import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from './migrations/index.js';

export interface DatabaseOptions {
  url: string;
  /** PostgreSQL schema holding gridshift's tables; tests use one per file. */
  schema?: string;
  poolMax?: number;
  applicationName?: string;
}

/**
 * Builds (does not connect) the gridshift DataSource: ordered migrations, never `synchronize`. No entities:
 * the repositories of this lib read and write with SQL and return plain typed rows.
 */
export function createDataSource(options: DatabaseOptions): DataSource {
  const schema = options.schema ?? 'public';
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema,
    entities: [],
    migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    applicationName: options.applicationName ?? 'gridshift',
    extra: {
      max: options.poolMax ?? 10,
      // Raw SQL (migrations, bulk upserts) resolves unqualified names in the configured schema.
      options: `-c search_path=${schema},public`,
      connectionTimeoutMillis: 5000,
    },
  });
}

/** Creates the schema when missing, then applies pending migrations; returns the names applied. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  // Several processes may boot at once: one migrates, the others wait and then find nothing pending.
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`select pg_advisory_lock(hashtext($1))`, [`gridshift-migrate:${schema}`]);
    await lock.query(`create schema if not exists "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock
      .query(`select pg_advisory_unlock(hashtext($1))`, [`gridshift-migrate:${schema}`])
      .catch(() => undefined);
    await lock.release();
  }
}

/** Reverts up to `steps` applied migrations (all by default), newest first; returns how many were reverted. */
export async function revert(dataSource: DataSource, steps = Number.POSITIVE_INFINITY): Promise<number> {
  let reverted = 0;
  while (reverted < steps) {
    const exists = await dataSource.query<{ found: string | null }[]>(
      `select to_regclass('typeorm_migrations')::text as found`,
    );
    if (!exists[0]?.found) break;
    const executed = await dataSource.query<{ count: string }[]>(
      `select count(*)::text as count from typeorm_migrations`,
    );
    if (Number(executed[0]?.count ?? 0) === 0) break;
    await dataSource.undoLastMigration({ transaction: 'each' });
    reverted += 1;
  }
  return reverted;
}

function schemaOf(dataSource: DataSource): string {
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`unexpected schema name ${JSON.stringify(schema)}`);
  return schema;
}

/** Drops the data source's schema with everything in it: the demo and the benchmarks start and end clean. */
export async function dropSchema(dataSource: DataSource): Promise<void> {
  await dataSource.query(`drop schema if exists "${schemaOf(dataSource)}" cascade`);
}

/** Refreshes the query planner's statistics of the data source's schema after a bulk seed. */
export async function analyzeSchema(dataSource: DataSource): Promise<void> {
  const tables = await dataSource.query<{ name: string }[]>(
    `select tablename as name from pg_tables where schemaname = $1`,
    [schemaOf(dataSource)],
  );
  for (const { name } of tables) await dataSource.query(`analyze "${schemaOf(dataSource)}"."${name}"`);
}

/** Rows in a table or view of the data source's schema (a benchmark's check that nothing was lost). */
export async function countRows(dataSource: DataSource, relation: string): Promise<number> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(relation))
    throw new Error(`unexpected relation ${JSON.stringify(relation)}`);
  const rows = await dataSource.query<{ n: string }[]>(
    `select count(*)::text as n from "${schemaOf(dataSource)}"."${relation}"`,
  );
  return Number(rows[0]?.n ?? 0);
}
