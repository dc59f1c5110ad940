import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { chaosTable, type ChaosRow } from './chaos-rows.js';
import { freePortRange, PRIVATE_PORT_RANGES } from './kafka-scripts.js';
import { repoRoot } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    chaosDir: string;
    chaosKafkaPort: number;
    chaosKafkaControllerPort: number;
    chaosPostgresPort: number;
  }
}

export const CHAOS_BROKERS = 3;

/**
 * The chaos tier's own services, never the shared ones: a 3-broker KRaft cluster (infra/kafka `--brokers 3`) and an
 * embedded PostgreSQL (infra/postgres/url.mjs `--mode embedded`), each on free loopback ports with data in a
 * temporary directory. Ports and directories are chosen here; the services start lazily (the first chaos file's
 * `ensureChaosServices`, tests/support/chaos.ts), so an `npm test` run does not carry them idle through the other
 * tiers. Teardown stops both, prints the scenario table and writes it as JSON to GRIDSHIFT_CHAOS_JSON when set.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'gridshift-chaos-'));
  chmodSync(dir, 0o755); // the embedded PostgreSQL runs as user postgres when we are root (infra/postgres/url.mjs)
  // One block: the brokers' client ports, their controller ports, then PostgreSQL's (chosen before any of them binds).
  const kafkaPort = await freePortRange(2 * CHAOS_BROKERS + 1, ...PRIVATE_PORT_RANGES.chaos);
  const controllerPort = kafkaPort + CHAOS_BROKERS;
  const postgresPort = kafkaPort + 2 * CHAOS_BROKERS;
  execFileSync(process.execPath, ['scripts/build.mjs'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('chaosDir', dir);
  project.provide('chaosKafkaPort', kafkaPort);
  project.provide('chaosKafkaControllerPort', controllerPort);
  project.provide('chaosPostgresPort', postgresPort);
  // harness.services() reads these two: every helper built on it (freshSchema, testKafka) lands on the private ones.
  project.provide(
    'kafkaBrokers',
    Array.from({ length: CHAOS_BROKERS }, (_, i) => `127.0.0.1:${kafkaPort + i}`).join(','),
  );
  project.provide('databaseUrl', `postgres://postgres@127.0.0.1:${postgresPort}/gridshift_chaos`);

  return () => {
    const env = {
      ...process.env,
      KAFKA_PORT: String(kafkaPort),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_DATA_DIR: join(dir, 'kafka'),
      GRIDSHIFT_EMBEDDED_PG_DIR: join(dir, 'postgres'),
      GRIDSHIFT_EMBEDDED_PG_PORT: String(postgresPort),
    };
    const quiet = { cwd: repoRoot, env, stdio: 'ignore' as const };
    if (existsSync(join(dir, 'kafka')))
      try {
        execFileSync('bash', ['infra/kafka/stop.sh', '--brokers', String(CHAOS_BROKERS)], quiet);
      } catch (error) {
        process.stderr.write(`chaos: stopping the private Kafka cluster failed: ${String(error)}\n`);
      }
    if (existsSync(join(dir, 'postgres')))
      try {
        execFileSync(process.execPath, ['infra/postgres/url.mjs', '--stop'], quiet);
      } catch (error) {
        process.stderr.write(`chaos: stopping the private PostgreSQL failed: ${String(error)}\n`);
      }
    const rowsFile = join(dir, 'rows.jsonl');
    const rows = existsSync(rowsFile)
      ? readFileSync(rowsFile, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as ChaosRow)
      : [];
    rmSync(dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    process.stdout.write(`\nchaos scenarios\n${chaosTable(rows)}\n`);
    const jsonFile = process.env.GRIDSHIFT_CHAOS_JSON;
    if (jsonFile) {
      mkdirSync(dirname(resolve(jsonFile)), { recursive: true });
      writeFileSync(resolve(jsonFile), `${JSON.stringify(rows, null, 2)}\n`);
      process.stdout.write(`chaos rows written to ${resolve(jsonFile)}\n`);
    }
  };
}
