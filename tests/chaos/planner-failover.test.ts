import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { ensureTopics } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { tallyChaos } from '../support/chaos-rows.js';
import { ensureChaosServices, keepLog, recordChaosRow, sleep, startApp } from '../support/chaos.js';
import { freshSchema, testKafka, uniqueSuffix } from '../support/harness.js';
import {
  collectPlacements,
  distinctRecords,
  outboxMessageIds,
  pendingOrders,
  type ReceivedOrder,
  seedApprovedSchedules,
} from '../support/outbox-fixtures.js';
import { waitForHttp, type RunningProcess } from '../support/processes.js';

// Two planners on the private cluster, one leading and publishing placement orders through its fenced outbox relay,
// the other standing by. (1) The leader is SIGKILLed mid-publish: the standby takes over and publishes the rest.
// (2) The leader's relay is frozen (SIGSTOP) after it claimed a batch, the standby takes over, the first is resumed
// (SIGCONT): it sends nothing more. Orders are counted as a data center sees them (read_committed, by message-id).
// Recovery: from the kill / freeze until the standby marked its first batch sent.

const kafka = testKafka();
let db: Awaited<ReturnType<typeof freshSchema>>;
let prefix = '';
let consumer: Consumer | undefined;
let received: ReceivedOrder[] = [];
let faultAt = 0;
const running: { name: string; app: RunningProcess }[] = [];

function startPlanner(name: string, port: number, env: Record<string, string> = {}): RunningProcess {
  const app = startApp('planner', {
    schema: db.schema,
    prefix,
    port,
    env: {
      PLANNER_CRON: '0 0 1 1 *',
      PLANNER_LEASE_MS: '2000',
      PLANNER_POLL_MS: '500',
      PLANNER_RELAY_BATCH_SIZE: '10',
      ...env,
    },
  });
  running.push({ name, app });
  return app;
}

const isLeader = async (port: number) =>
  /gridshift_planner_is_leader\{[^}]*\} 1/.test(
    await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
  );

/** The first few message-ids received at more than one position, with where and when (ms after `since`). */
function describeDuplicates(records: readonly ReceivedOrder[], since: number): string {
  const byId = new Map<string, ReceivedOrder[]>();
  for (const r of records) byId.set(r.messageId, [...(byId.get(r.messageId) ?? []), r]);
  return [...byId.values()]
    .filter((rs) => rs.length > 1)
    .slice(0, 8)
    .map(
      (rs) =>
        `${rs[0]!.key} v${rs[0]!.version} at ${rs.map((r) => `${r.position} (${r.at - since} ms)`).join(', ')}`,
    )
    .join('; ');
}

/** Seconds from `since` until the outbox's pending count first drops below `pendingAtFault`. */
async function secondsUntilPublishingAgain(since: number, pendingAtFault: number): Promise<number> {
  await expect
    .poll(() => pendingOrders(db.dataSource), { timeout: 90_000, interval: 100 })
    .toBeLessThan(pendingAtFault);
  return (Date.now() - since) / 1000;
}

beforeAll(async () => {
  await ensureChaosServices();
});

beforeEach(async () => {
  db = await freshSchema(import.meta.filename);
  prefix = `t-chaos-planner-${uniqueSuffix()}.`;
  await ensureTopics(kafka, [{ topic: topicNames(prefix).placements, numPartitions: 3 }]);
  ({ received, consumer } = await collectPlacements(kafka, topicNames(prefix).placements));
});

afterEach(async (context) => {
  await consumer?.disconnect();
  for (const { name, app } of running.splice(0)) {
    app.child.kill('SIGCONT');
    await app.stop();
    await keepLog(context.task.name.slice(0, 40).replace(/\W+/g, '-'), name, app);
  }
  await db.drop();
});

describe('chaos: planner failover', () => {
  it('leader SIGKILLed mid-publish: the standby publishes the rest, no order lost or duplicated', async () => {
    const scenario = 'planner-leader-sigkill';
    await seedApprovedSchedules(db.dataSource, {
      versions: 40,
      clusters: 20,
      startMs: Date.now(),
      jobsPerCell: 8,
    });
    const total = 30 * 20;
    const ports = [23441, 23442];
    startPlanner('a', ports[0]!);
    await expect.poll(() => received.length, { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    startPlanner('b', ports[1]!);
    await waitForHttp(`http://127.0.0.1:${ports[1]}/health`, 60_000);
    await expect.poll(() => received.length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(150);
    const leaders = await Promise.all(ports.map(isLeader));
    expect(leaders).toEqual([true, false]);
    const leader = running[0]!.app;
    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    faultAt = killedAt;
    expect(await leader.exited).toBe('SIGKILL');
    const pendingAtKill = await pendingOrders(db.dataSource);
    expect(pendingAtKill, 'the leader had published everything before the kill').toBeGreaterThan(0);

    const recoverySeconds = await secondsUntilPublishingAgain(killedAt, pendingAtKill);
    await expect.poll(() => pendingOrders(db.dataSource), { timeout: 120_000, interval: 250 }).toBe(0);
    const ids = await outboxMessageIds(db.dataSource);
    await expect.poll(() => new Set(received.map((r) => r.messageId)).size, { timeout: 60_000 }).toBe(total);
    await sleep(3000); // a late duplicate would arrive now
    const { row, unexpected } = tallyChaos(
      scenario,
      ids,
      distinctRecords(received).map((r) => r.messageId),
      recoverySeconds,
    );
    recordChaosRow(row);
    if (row.duplicates > 0)
      process.stdout.write(
        `chaos ${scenario}: duplicated orders: ${describeDuplicates(distinctRecords(received), faultAt)}\n`,
      );

    expect(unexpected).toEqual([]);
    expect(row).toMatchObject({ sent: total, stored: total, lost: 0, duplicates: 0 });
    expect(row.recoverySeconds).toBeLessThanOrEqual(15);
    expect(await isLeader(ports[1]!)).toBe(true);
    // Per cluster the versions arrive in order (no version lost or overtaken).
    const orders = distinctRecords(received);
    for (const key of new Set(orders.map((r) => r.key))) {
      const versions = orders.filter((r) => r.key === key).map((r) => r.version);
      expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
  });

  it('deposed relay resumed after a takeover: it sends nothing more', async () => {
    const scenario = 'planner-deposed-relay';
    await seedApprovedSchedules(db.dataSource, { versions: 10, clusters: 10, startMs: Date.now() });
    const total = 10 * 10;
    const first = startPlanner('a', 23443, { PLANNER_TEST_RELAY_SEND_DELAY_MS: '3000' });
    await expect
      .poll(() => first.output().includes('test hook: delaying the relay send'), { timeout: 60_000 })
      .toBe(true);
    first.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    faultAt = pausedAt;
    expect(received).toHaveLength(0);
    const pendingAtPause = await pendingOrders(db.dataSource);

    // The standby takes over once the server closed the frozen one's sessions (lease 2 s; its open relay
    // transaction after idle_in_transaction_session_timeout).
    startPlanner('b', 23444);
    const recoverySeconds = await secondsUntilPublishingAgain(pausedAt, pendingAtPause);
    await expect.poll(() => pendingOrders(db.dataSource), { timeout: 90_000, interval: 250 }).toBe(0);
    await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(total);

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
    const { row, unexpected } = tallyChaos(
      scenario,
      await outboxMessageIds(db.dataSource),
      distinctRecords(received).map((r) => r.messageId),
      recoverySeconds,
    );
    recordChaosRow(row);
    if (row.duplicates > 0)
      process.stdout.write(
        `chaos ${scenario}: duplicated orders: ${describeDuplicates(distinctRecords(received), faultAt)}\n`,
      );

    expect(unexpected).toEqual([]);
    expect(row).toMatchObject({ sent: total, stored: total, lost: 0, duplicates: 0 });
    expect(received.filter((r) => r.at >= resumedAt)).toHaveLength(0);
    expect(row.recoverySeconds).toBeLessThanOrEqual(15);
  });
});
