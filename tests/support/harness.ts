import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { inject } from 'vitest';
import type { DataSource } from 'typeorm';
import { createKafka } from '#gridshift/messaging';
import { createDataSource, dropSchema, migrate } from '#gridshift/persistence';

/** A short random suffix for names that must not collide between test files running in parallel. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** The database URL and brokers the global setup brought up. */
export function services(): { databaseUrl: string; kafkaBrokers: string[] } {
  return { databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers').split(',') };
}

/** A unique schema name for one test file, e.g. `t_ingest_3fa2b1c0`. */
export function uniqueSchema(file: string): string {
  const stem = basename(file)
    .replace(/\.test\.ts$/, '')
    .replace(/[^a-z0-9]+/gi, '_')
    .toLowerCase()
    .slice(0, 30);
  return `t_${stem}_${uniqueSuffix()}`;
}

/** A fresh migrated schema; `drop()` removes it. */
export async function freshSchema(
  file: string,
): Promise<{ schema: string; dataSource: DataSource; drop: () => Promise<void> }> {
  const schema = uniqueSchema(file);
  const dataSource = createDataSource({ url: services().databaseUrl, schema, poolMax: 5 });
  await dataSource.initialize();
  await migrate(dataSource);
  return {
    schema,
    dataSource,
    drop: async () => {
      await dropSchema(dataSource);
      await dataSource.destroy();
    },
  };
}

/** A kafkajs client on the test broker. */
export function testKafka(clientId = `test-${uniqueSuffix()}`) {
  return createKafka({ brokers: services().kafkaBrokers, clientId });
}
