import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const root = fileURLToPath(new URL('../..', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    kafkaBrokers: string;
  }
}

/**
 * Brings up what integration and e2e tests need, leaving running services alone: the Kafka broker
 * (infra/kafka/start.sh is a no-op when it already answers), PostgreSQL (DATABASE_URL, else the local
 * server, else an embedded one) with a `gridshift_test` database, and a fresh dist/ build for process tests.
 */
export default function setup(project: TestProject): void {
  const brokers = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
  if (!process.env.KAFKA_BROKERS) {
    execFileSync('bash', ['infra/kafka/start.sh'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const databaseUrl =
    process.env.TEST_DATABASE_URL ??
    execFileSync('node', ['infra/postgres/url.mjs', '--database', 'gridshift_test'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '' },
    }).trim();
  execFileSync('node', ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  project.provide('databaseUrl', databaseUrl);
  project.provide('kafkaBrokers', brokers);
}
