import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { ensureTopics } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import { currentHourMs } from '../integration/planner-fixtures.js';
import {
  collectPlacements,
  outboxMessageIds,
  pendingOrders,
  type ReceivedOrder,
  seedApprovedSchedules,
} from '../support/outbox-fixtures.js';

// The outbox relay is SIGKILLed while it publishes 1,200 placement orders (60 versions × 20 clusters) and
// restarted: every order arrives (count equal after dedupe by message-id), in version order per cluster.

const VERSIONS = 60;
const CLUSTERS = 20;
const suffix = uniqueSuffix();
const prefix = `t-prelay-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const h0 = currentHourMs();

let db: DataSource;
let drop: () => Promise<void>;
let consumer: Consumer;
let received: ReceivedOrder[] = [];
const running: RunningProcess[] = [];

function startPlanner(port: number): RunningProcess {
  const { databaseUrl, kafkaBrokers } = services();
  const app = startNode('dist/apps/planner/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: (db.options as { schema: string }).schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    PORT: String(port),
    PLANNER_CRON: '0 0 1 1 *',
    PLANNER_LEASE_MS: '2000',
    // Small batches: the relay needs many round trips, so the kill lands in the middle.
    PLANNER_RELAY_BATCH_SIZE: '10',
  });
  running.push(app);
  return app;
}

const pending = () => pendingOrders(db);

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await ensureTopics(kafka, [{ topic: topics.placements, numPartitions: 3, replicationFactor: 1 }]);
  // 60 approved versions, each placing 24 jobs × 24 hourly slots on every cluster: 60 × 20 = 1,200 outbox rows.
  await seedApprovedSchedules(db, { versions: VERSIONS, clusters: CLUSTERS, startMs: h0, jobsPerCell: 24 });
  expect(await pending()).toBe(VERSIONS * CLUSTERS);

  ({ received, consumer } = await collectPlacements(kafka, topics.placements));
});

afterAll(async () => {
  await consumer?.disconnect();
  for (const app of running) await app.stop();
  await drop();
});

describe('outbox relay crash', () => {
  it('delivers every order exactly once after dedupe, in version order per cluster, across a SIGKILL', async () => {
    const first = startPlanner(23131);
    await expect.poll(() => received.length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(200);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const leftAtCrash = await pending();
    expect(leftAtCrash).toBeGreaterThan(0);
    expect(leftAtCrash).toBeLessThan(VERSIONS * CLUSTERS);

    const second = startPlanner(23132);
    await waitForHttp('http://127.0.0.1:23132/ready', 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output()}`);
    });
    await expect.poll(pending, { timeout: 120_000, interval: 250 }).toBe(0);
    const ids = (await outboxMessageIds(db)).map((message_id) => ({ message_id }));
    await expect
      .poll(() => new Set(received.map((r) => r.messageId)).size, { timeout: 60_000 })
      .toBe(ids.length);

    // Dedupe by message-id (first occurrence wins): every row exactly once, nothing unknown.
    const firstSeen = new Map<string, { key: string; version: number }>();
    for (const r of received) if (!firstSeen.has(r.messageId)) firstSeen.set(r.messageId, r);
    expect(firstSeen.size).toBe(VERSIONS * CLUSTERS);
    expect(new Set(ids.map((i) => i.message_id))).toEqual(new Set(firstSeen.keys()));
    // Per cluster, versions arrive in order 1..60 (after dedupe).
    for (let c = 0; c < CLUSTERS; c += 1) {
      const key = `c${String(c).padStart(2, '0')}`;
      const versions = [...firstSeen.values()].filter((r) => r.key === key).map((r) => r.version);
      expect(versions).toEqual(Array.from({ length: VERSIONS }, (_, i) => i + 1));
    }
    const statuses = await db.query<{ status: string; n: number }[]>(
      `select status, count(*)::int as n from schedules group by status order by status`,
    );
    expect(statuses).toEqual([
      { status: 'published', n: 1 },
      { status: 'superseded', n: VERSIONS - 1 },
    ]);
    process.stdout.write(
      `relay crash: ${received.length} records received for ${firstSeen.size} orders (${received.length - firstSeen.size} duplicates), ${leftAtCrash} pending at the kill\n`,
    );
  });
});
