import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(
  new URL('../..', import.meta.url).href.replace(/\/dist\/scripts\/lib\/?$|\/scripts\/lib\/?$/, '/'),
);

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
