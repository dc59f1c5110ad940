import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { PlacementOrderV1 } from '#gridshift/contracts';
import { ensureTopics } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { ScheduleLifecycle } from '#gridshift/scheduling';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import { currentHourMs, HOUR_MS } from '../integration/planner-fixtures.js';

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
const received: { key: string; messageId: string; version: number }[] = [];
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

const pending = async () =>
  (await db.query<{ n: number }[]>(`select count(*)::int as n from outbox where status = 'pending'`))[0]!.n;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await ensureTopics(kafka, [{ topic: topics.placements, numPartitions: 3, replicationFactor: 1 }]);
  // 60 draft versions, each placing 24 jobs × 24 hourly slots on every cluster, approved one after the
  // other through the real lifecycle: 60 × 20 = 1,200 outbox rows.
  const lifecycle = new ScheduleLifecycle(db);
  for (let version = 1; version <= VERSIONS; version += 1) {
    const id = randomUUID();
    await db.query(
      `insert into schedules (id, version, kind, status, trigger, leader_epoch, horizon_start, horizon_end, slot_minutes,
                              input_snapshot, input_hash, solver_stats, totals, baselines, savings, objective)
       values ($1, $2, 'plan', 'draft', 'manual', 0, $3, $4, 60, '{}', 'h', '{}', '{}', '{}', '{}', 0)`,
      [id, version, new Date(h0), new Date(h0 + 24 * HOUR_MS)],
    );
    // Placements are stored per (cluster, slot) cell with the jobs in arrays (migration 1732380000020).
    await db.query(
      `insert into placement_cells (schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours)
       select $1, 'c' || lpad(c::text, 2, '0'), $2::timestamptz + t * interval '1 hour',
              array_agg('job-' || j order by j), array_agg(1 + (j + $3) % 7 order by j), array_agg(1::float8 order by j)
       from generate_series(0, 23) j, generate_series(0, $4 - 1) c, generate_series(0, 23) t
       group by c, t`,
      [id, new Date(h0), version, CLUSTERS],
    );
    await lifecycle.approve(id, { actor: 'e2e' });
  }
  expect(await pending()).toBe(VERSIONS * CLUSTERS);

  consumer = kafka.consumer({ groupId: `t-prelay-${suffix}` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.placements, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const order = JSON.parse(String(message.value)) as PlacementOrderV1;
      received.push({
        key: String(message.key),
        messageId: String(message.headers?.['message-id']),
        version: order.scheduleVersion,
      });
      return Promise.resolve();
    },
  });
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
    const ids = await db.query<{ message_id: string }[]>(`select message_id from outbox`);
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
