import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { services, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import { INGEST_CONSUMER_GROUPS } from '../support/poison.js';

// /health answers whatever Kafka does; /ready lists each consumer's state and fails while one is stuck.

const running: RunningProcess[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface ReadyBody {
  status: string;
  checks: Record<string, string>;
  consumers?: { groupId: string; state: string; reason: string | null; restarts: number; stuck: boolean }[];
}

function startIngest(port: number, env: Record<string, string>): RunningProcess {
  const { databaseUrl, kafkaBrokers } = services();
  const app = startNode('dist/apps/ingest/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: `t_isup_${uniqueSuffix()}`,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `t-isup-${uniqueSuffix()}.`,
    INGEST_GROUP_ID: `t-isup-${uniqueSuffix()}`,
    PORT: String(port),
    ...env,
  });
  running.push(app);
  return app;
}

const readyBody = async (port: number): Promise<{ status: number; body: ReadyBody }> => {
  const res = await fetch(`http://127.0.0.1:${port}/ready`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
};

describe('ingest health and readiness', () => {
  it('answers /health while Kafka is unreachable, and /ready says which consumers are stuck and why', async () => {
    const port = 23131;
    const app = startIngest(port, {
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
      CONSUMER_STUCK_GRACE_MS: '1000',
    });
    const started = Date.now();
    await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
    // Boot is the database (a fresh schema's migrations) and Nest; no Kafka round trip is waited for (a kafkajs
    // connect to a closed port takes ~15 s of retries).
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect
      .poll(async () => (await readyBody(port)).body.checks.consumers, { timeout: 20_000 })
      .toBe('down');
    const { status, body } = await readyBody(port);
    expect(status).toBe(503);
    expect(body.checks).toMatchObject({ postgres: 'up', kafka: 'down', consumers: 'down' });
    expect(body.consumers?.map((c) => c.groupId).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/-load$/), expect.stringMatching(/-prices$/)]),
    );
    for (const c of body.consumers ?? []) expect(c).toMatchObject({ state: 'restarting', stuck: true });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('reports every consumer running on a live broker', async () => {
    const port = 23132;
    const app = startIngest(port, {});
    await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
    await expect
      .poll(async () => (await readyBody(port)).body.consumers?.map((c) => c.state), { timeout: 60_000 })
      .toEqual(INGEST_CONSUMER_GROUPS.map(() => 'running'));
    const { status, body } = await readyBody(port);
    expect(status).toBe(200);
    expect(body.checks).toEqual({ postgres: 'up', kafka: 'up', consumers: 'up' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/gridshift_consumer_state\{group="[^"]+-prices",state="running"[^}]*\} 1/);
  });
});
