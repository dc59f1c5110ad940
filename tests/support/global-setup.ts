import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { ensureServices } from '../../scripts/lib/services.js';
import { repoRoot } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    kafkaBrokers: string;
  }
}

/**
 * Brings up what integration and e2e tests need, leaving running services alone: the Kafka broker
 * (infra/kafka/start.sh is a no-op when it already answers), PostgreSQL (TEST_DATABASE_URL, else the local
 * server, else an embedded one) with a `gridshift_test` database, and a fresh dist/ build for process tests.
 */
export default function setup(project: TestProject): void {
  const { databaseUrl, brokers } = ensureServices({
    database: 'gridshift_test',
    ignoreDatabaseUrl: true,
    ...(process.env.TEST_DATABASE_URL ? { databaseUrl: process.env.TEST_DATABASE_URL } : {}),
  });
  execFileSync(process.execPath, ['scripts/build.mjs'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('databaseUrl', databaseUrl);
  project.provide('kafkaBrokers', brokers.join(','));
}
