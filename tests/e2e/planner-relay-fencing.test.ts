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

// A relay frozen (SIGSTOP) after it claimed a batch and passed its lease check, right before sending; another
// planner takes over and publishes everything; the first is resumed (SIGCONT) and goes on to send its batch.
// Its producer was fenced by the new leader's, so it publishes nothing: every message-id appears exactly once.

const VERSIONS = 3;
const CLUSTERS = 4;
const suffix = uniqueSuffix();
const prefix = `t-pfence-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const h0 = currentHourMs();

let db: DataSource;
let drop: () => Promise<void>;
let consumer: Consumer;
let received: ReceivedOrder[] = [];
const running: RunningProcess[] = [];

function startPlanner(port: number, env: Record<string, string> = {}): RunningProcess {
  const { databaseUrl, kafkaBrokers } = services();
  const app = startNode('dist/apps/planner/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: (db.options as { schema: string }).schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    PORT: String(port),
    PLANNER_CRON: '0 0 1 1 *',
    PLANNER_LEASE_MS: '2000',
    PLANNER_POLL_MS: '500',
    PLANNER_RELAY_BATCH_SIZE: '5',
    ...env,
  });
  running.push(app);
  return app;
}

const pending = () => pendingOrders(db);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await ensureTopics(kafka, [{ topic: topics.placements, numPartitions: 3, replicationFactor: 1 }]);
  await seedApprovedSchedules(db, { versions: VERSIONS, clusters: CLUSTERS, startMs: h0 });
  expect(await pending()).toBe(VERSIONS * CLUSTERS);

  // kafkajs consumers read committed (isolation.level=read_committed), as data centers must.
  ({ received, consumer } = await collectPlacements(kafka, topics.placements));
});

afterAll(async () => {
  await consumer?.disconnect();
  for (const app of running) {
    app.child.kill('SIGCONT');
    await app.stop();
  }
  await drop();
});

describe('relay fencing', () => {
  it('a relay paused mid-batch and resumed after a takeover sends nothing more', async () => {
    const first = startPlanner(23141, { PLANNER_TEST_RELAY_SEND_DELAY_MS: '3000' });
    await expect
      .poll(() => first.output().includes('test hook: delaying the relay send'), { timeout: 60_000 })
      .toBe(true);
    first.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    expect(received).toHaveLength(0);

    // The second planner takes over once the server closed the first's sessions (lease 2 s; its open relay
    // transaction, which holds the lease row `for share`, after idle_in_transaction_session_timeout 10 s).
    const second = startPlanner(23142);
    await waitForHttp('http://127.0.0.1:23142/health', 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output()}`);
    });
    await expect.poll(pending, { timeout: 90_000, interval: 250 }).toBe(0);
    expect(second.output()).toMatch(/elected planner leader/);
    await expect.poll(() => received.length, { timeout: 30_000 }).toBe(VERSIONS * CLUSTERS);

    // Resume the first after its send delay elapsed: it goes straight on to send the batch it had claimed.
    await sleep(Math.max(0, 3500 - (Date.now() - pausedAt)));
    const resumedAt = Date.now();
    first.child.kill('SIGCONT');
    await expect
      .poll(() => /outbox relay stopped: lease lost|planner leadership lost/.test(first.output()), {
        timeout: 30_000,
      })
      .toBe(true);
    await sleep(5000);

    const perMessageId = new Map<string, number>();
    for (const r of received) perMessageId.set(r.messageId, (perMessageId.get(r.messageId) ?? 0) + 1);
    const ids = await outboxMessageIds(db);
    expect(new Set(perMessageId.keys())).toEqual(new Set(ids));
    expect([...perMessageId.values()].every((n) => n === 1)).toBe(true);
    expect(received.filter((r) => r.at >= resumedAt)).toHaveLength(0);
    process.stdout.write(
      `relay fencing: ${received.length} records for ${perMessageId.size} orders after the resume; first planner said: ${
        first
          .output()
          .split('\n')
          .filter((l) => /fenced|lease lost|leadership lost|send failed/.test(l))
          .map((l) => {
            const line = JSON.parse(l) as { msg: string; reason?: string };
            return `${line.msg} (${line.reason ?? ''})`;
          })
          .join(' | ') || '(nothing)'
      }\n`,
    );
  });
});
