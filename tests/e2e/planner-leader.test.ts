import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { LoadRepository, PriceRepository } from '#gridshift/persistence';
import { getPlanRequest, requestPlan } from '#gridshift/scheduling';
import { freshSchema, services, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import {
  currentHourMs,
  HOUR_MS,
  seedClusters,
  seedJobs,
  type ClusterSeed,
} from '../integration/planner-fixtures.js';

// One active planner across processes, and epoch fencing of a leader that was paused past its lease.

const h0 = currentHourMs();
const clusters: ClusterSeed[] = [
  { id: 'fra-1', zone: 'DE-LU', region: 'eu', gpuModel: 'H100', gpuTotal: 100, kwPerGpu: 0.7, pue: 1.2 },
  { id: 'par-1', zone: 'FR', region: 'eu', gpuModel: 'H100', gpuTotal: 100, kwPerGpu: 0.7, pue: 1.2 },
];

let db: DataSource;
let drop: () => Promise<void>;
let schema: string;
const running: RunningProcess[] = [];
let nextPort = 23120;

async function putPrices(zone: string, price: number): Promise<void> {
  await new PriceRepository(db).upsert(
    Array.from({ length: 24 }, (_, h) => ({
      zone,
      market: 'day_ahead',
      partnerId: 'p1',
      intervalStartUtc: new Date(h0 + h * HOUR_MS).toISOString(),
      intervalMinutes: 60,
      pricePerMwhBase: price + h,
      priceOriginal: null,
      currencyOriginal: 'USD',
      carbonGPerKwh: null,
      coverageMinutes: 60,
      issuedAt: new Date().toISOString(),
      messageId: null,
    })),
  );
}

function startPlanner(env: Record<string, string> = {}): { app: RunningProcess; port: number } {
  const { databaseUrl, kafkaBrokers } = services();
  const port = nextPort++;
  const app = startNode('dist/apps/planner/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `t-plead-${uniqueSuffix()}.`,
    PORT: String(port),
    PLANNER_CRON: '0 0 1 1 *',
    PLANNER_LEASE_MS: '2000',
    PLANNER_DEBOUNCE_MS: '100',
    PLANNER_POLL_MS: '500',
    ...env,
  });
  running.push(app);
  return { app, port };
}

const count = async (sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }[]>(`select count(*)::int as n from (${sql}) x`, params))[0]!.n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  schema = (db.options as { schema: string }).schema;
  await seedClusters(db, clusters);
  await seedJobs(db, [
    {
      id: 'chat',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2000 },
      tokensPerHour: 72_000_000,
      maxGpus: 20,
    },
  ]);
  await putPrices('DE-LU', 80);
  await putPrices('FR', 40);
  await new LoadRepository(db).append(
    clusters.map((c) => ({
      clusterId: c.id,
      region: c.region,
      zone: c.zone,
      observedAt: new Date().toISOString(),
      gpuModel: c.gpuModel,
      gpuTotal: c.gpuTotal,
      gpuBusy: 0,
      gpuSchedulable: 50,
      powerKw: 1,
      powerCapKw: null,
      pue: c.pue,
      messageId: null,
    })),
  );
});

afterEach(async () => {
  for (const app of running.splice(0)) {
    app.child.kill('SIGCONT');
    await app.stop();
  }
  await drop();
});

describe('single active planner', () => {
  it('two planner processes on the same trigger produce exactly one schedule version', async () => {
    const a = startPlanner();
    const b = startPlanner();
    for (const { app, port } of [a, b]) {
      await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${app.output()}`);
      });
    }
    // The leader's first plan (startup) is version 1; nothing else happens while inputs stay the same.
    await expect.poll(() => count(`select 1 from schedules`), { timeout: 30_000 }).toBe(1);
    const leaders = await Promise.all(
      [a, b].map(async ({ port }) =>
        /gridshift_planner_is_leader\{[^}]*\} 1/.test(
          await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
        ),
      ),
    );
    expect(leaders.filter(Boolean)).toHaveLength(1);

    // Trigger 1: an operator's plan request — both processes are notified, one plans.
    const requestId = await requestPlan(db, { trigger: 'manual', requestedBy: 'e2e' });
    await expect
      .poll(async () => (await getPlanRequest(db, requestId)).status, { timeout: 30_000 })
      .toBe('done');
    // Trigger 2: a significant price change (France 40 → 400) — both are notified, one plans.
    await putPrices('FR', 400);
    await expect.poll(() => count(`select 1 from schedules`), { timeout: 30_000 }).toBe(3);
    await sleep(2000);
    const rows = await db.query<{ version: number; trigger: string; leader_epoch: string }[]>(
      `select version, trigger, leader_epoch::text from schedules order by version`,
    );
    expect(rows.map((r) => [r.version, r.trigger])).toEqual([
      [1, 'startup'],
      [2, 'manual'],
      [3, 'day-ahead'],
    ]);
    expect(new Set(rows.map((r) => r.leader_epoch)).size).toBe(1);
    expect((await getPlanRequest(db, requestId)).scheduleId).not.toBeNull();
  });

  it('a planner paused (SIGSTOP) past its lease and resumed cannot write: the database rejects its epoch', async () => {
    // P1 leads and stalls for 6 s right before its store transaction (test hook); we freeze it there.
    const p1 = startPlanner({ PLANNER_TEST_STORE_DELAY_MS: '6000' });
    await expect
      .poll(() => p1.app.output().includes('test hook: delaying the store transaction'), { timeout: 60_000 })
      .toBe(true);
    p1.app.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    const staleEpoch = Number(
      (
        await db.query<{ epoch: string }[]>(`select epoch::text from planner_leases where name = 'planner'`)
      )[0]!.epoch,
    );

    // P2 takes over once the server closed P1's idle lock session (lease 2 s), and plans under a newer epoch.
    const p2 = startPlanner();
    await expect.poll(() => count(`select 1 from schedules`), { timeout: 60_000 }).toBe(1);
    const [schedule] = await db.query<{ leader_epoch: string }[]>(`select leader_epoch::text from schedules`);
    expect(Number(schedule!.leader_epoch)).toBeGreaterThan(staleEpoch);

    // Resume P1 after its stall elapsed: it goes straight to the store with its old epoch.
    await sleep(Math.max(0, 6500 - (Date.now() - pausedAt)));
    p1.app.child.kill('SIGCONT');
    await expect
      .poll(() => p1.app.output().includes('write rejected by the database: stale leader epoch'), {
        timeout: 30_000,
      })
      .toBe(true);
    expect(p1.app.output()).toMatch(/planner leadership lost/);
    expect(await count(`select 1 from schedules where leader_epoch = $1`, [staleEpoch])).toBe(0);
    expect(await count(`select 1 from outbox where leader_epoch = $1`, [staleEpoch])).toBe(0);
    expect(await count(`select 1 from schedules`)).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${p1.port}/metrics`)).text();
    expect(metrics).toMatch(/gridshift_planner_stale_epoch_rejections_total\{[^}]*\} 1/);
    expect(metrics).toMatch(/gridshift_planner_is_leader\{[^}]*\} 0/);
    expect(p2.app.output()).toMatch(/elected planner leader/);
  });
});
