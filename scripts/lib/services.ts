import { execFileSync } from 'node:child_process';
import { repoRoot } from '../../tests/support/processes.js';

export { repoRoot };

export interface EnsureServicesOptions {
  /** Database to create and use on the server found (default `gridshift`). */
  database?: string;
  quiet?: boolean;
  /** Use this database URL as is (PostgreSQL is then not looked for). */
  databaseUrl?: string;
  /** Ignore DATABASE_URL from the environment (tests must never land in the operator's database). */
  ignoreDatabaseUrl?: boolean;
}

/**
 * Brings up Kafka (infra/kafka/start.sh, a no-op when it runs; skipped when KAFKA_BROKERS is set) and
 * PostgreSQL (infra/postgres/url.mjs: DATABASE_URL, the local server, or an embedded one); returns where they are.
 * Used by the test harness, the demo and the benchmarks alike.
 */
export function ensureServices(opts: EnsureServicesOptions = {}): { databaseUrl: string; brokers: string[] } {
  const stdio = opts.quiet ? 'ignore' : 'inherit';
  const brokers = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`).split(',');
  if (!process.env.KAFKA_BROKERS)
    execFileSync('bash', ['infra/kafka/start.sh'], { cwd: repoRoot, stdio: ['ignore', stdio, 'inherit'] });
  const databaseUrl =
    opts.databaseUrl ??
    execFileSync(process.execPath, ['infra/postgres/url.mjs', '--database', opts.database ?? 'gridshift'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: opts.ignoreDatabaseUrl ? { ...process.env, DATABASE_URL: '' } : process.env,
    }).trim();
  return { databaseUrl, brokers };
}
