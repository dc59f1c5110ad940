import { describe, expect, it } from 'vitest';
import { services, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp } from '../support/processes.js';

const apps = [
  { name: 'ingest', port: 23101 },
  { name: 'planner', port: 23102 },
  { name: 'admin-api', port: 23100 },
] as const;

describe.each(apps)('apps/$name', ({ name, port }) => {
  it('boots, answers /health, /ready and /metrics, and stops cleanly on SIGTERM', async () => {
    const { databaseUrl, kafkaBrokers } = services();
    const app = startNode(`dist/apps/${name}/src/main.js`, {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: `t_boot_${name.replace('-', '_')}_${uniqueSuffix()}`,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `t-boot-${uniqueSuffix()}.`,
      PORT: String(port),
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${app.output()}`);
      });
      const ready = await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000);
      // ingest adds `consumers` (its consumers' states, tested in ingest-supervision.test.ts).
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'up', kafka: 'up' } });
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      const metricsText = await metrics.text();
      expect(metricsText).toContain('process_cpu_user_seconds_total');
      // The app process (spawned with the test runner's own binary, as an operator's `node` would be the pinned one)
      // runs on Node 24: prom-client's default nodejs_version_info says which runtime answers.
      expect(metricsText).toMatch(/^nodejs_version_info\{version="v24\.\d+\.\d+",major="24"/m);
    } finally {
      expect(await app.stop('SIGTERM')).toBe(0);
    }
  });

  it('exits non-zero with one clear line naming the bad variable', async () => {
    const app = startNode(`dist/apps/${name}/src/main.js`, {
      DATABASE_URL: 'mysql://nope',
      KAFKA_BROKERS: '127.0.0.1:9092',
    });
    const code = await app.exited;
    expect(code).toBe(2);
    expect(app.output()).toContain(
      `${name}: invalid configuration: DATABASE_URL="mysql://nope" is invalid; expected a PostgreSQL URL`,
    );

    const app2 = startNode(`dist/apps/${name}/src/main.js`, {
      DATABASE_URL: 'postgres://x@127.0.0.1:1/db',
      KAFKA_BROKERS: 'nohost',
    });
    expect(await app2.exited).toBe(2);
    expect(app2.output()).toContain('KAFKA_BROKERS="nohost" is invalid');
  });
});
