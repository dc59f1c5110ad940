import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findDataDir } from '#gridshift/datasets';

/** The repository root (the folder holding data/), from source or from dist/. */
export const repoRoot = dirname(findDataDir(dirname(fileURLToPath(import.meta.url))));

/**
 * Brings up Kafka (infra/kafka/start.sh, a no-op when it runs) and PostgreSQL (DATABASE_URL, the local
 * server, or an embedded one) the way the tests do; returns where they are.
 */
export function ensureServices(opts: { database?: string; quiet?: boolean } = {}): {
  databaseUrl: string;
  brokers: string[];
} {
  const stdio = opts.quiet ? 'ignore' : 'inherit';
  const brokers = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`).split(',');
  if (!process.env.KAFKA_BROKERS)
    execFileSync('bash', ['infra/kafka/start.sh'], { cwd: repoRoot, stdio: ['ignore', stdio, 'inherit'] });
  const databaseUrl = execFileSync(
    'node',
    ['infra/postgres/url.mjs', '--database', opts.database ?? 'gridshift'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  ).trim();
  return { databaseUrl, brokers };
}
