import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { tallyChaos } from '../support/chaos-rows.js';
import {
  chaosZones,
  ensureChaosServices,
  keepLog,
  priceStream,
  recordChaosRow,
  sendPaced,
  sleep,
  startApp,
  StoreMonitor,
  storedPriceIds,
  waitReady,
  waitStored,
} from '../support/chaos.js';
import { freshSchema, testKafka, uniqueSuffix } from '../support/harness.js';
import { registerZones } from '../support/ingest-fixtures.js';
import type { RunningProcess } from '../support/processes.js';
import { INGEST_CONSUMER_GROUPS } from '../support/poison.js';

// Two ingest replicas in one consumer group over 6 partitions; one is SIGKILLed while it stores (small chunks, so
// the kill lands inside a batch whose offsets are not committed). The survivor takes its partitions over after
// the group's session timeout and re-reads from the last commit. Recovery: from the kill until every price sent
// before it is stored.

const SCENARIO = 'ingest-replica-sigkill';
const MESSAGES = 10_000;
const PORTS = [23411, 23412] as const;
const prefix = `t-chaos-replica-${uniqueSuffix()}.`;
const topics = topicNames(prefix);
const zones = chaosZones(24);
const groupId = `g-chaos-replica-${uniqueSuffix()}`;

let db: Awaited<ReturnType<typeof freshSchema>>;
const replicas: RunningProcess[] = [];

beforeAll(async () => {
  await ensureChaosServices();
  db = await freshSchema(import.meta.filename);
  await registerZones(db.dataSource, zones);
});

afterAll(async () => {
  for (const [i, app] of replicas.entries()) {
    await app.stop();
    await keepLog(SCENARIO, `ingest-${i + 1}`, app);
  }
  await db?.drop();
});

const replicaState = async (port: number) =>
  ((await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as { consumers?: { state: string }[] })
    .consumers;

describe('chaos: one of two ingest replicas SIGKILLed mid-batch', () => {
  it('the other takes over its partitions; every price stored exactly once', async () => {
    for (const port of PORTS) {
      const app = startApp('ingest', {
        schema: db.schema,
        prefix,
        port,
        env: {
          INGEST_GROUP_ID: groupId,
          KAFKA_TOPIC_PARTITIONS: '6',
          INGEST_CHUNK_SIZE: '100',
          INGEST_CONCURRENCY: '1',
        },
      });
      replicas.push(app);
      await waitReady(app, port);
    }
    // Both replicas joined the group and hold partitions before the stream starts.
    for (const port of PORTS)
      await expect
        .poll(() => replicaState(port), { timeout: 60_000 })
        .toMatchObject(INGEST_CONSUMER_GROUPS.map(() => ({ state: 'running' })));

    const producer = new JsonProducer(testKafka());
    const monitor = new StoreMonitor(db.dataSource, SCENARIO);
    let kill: Promise<{ killedAt: number; sentAtKill: number; storedAtKill: number }> | undefined;
    let sentIds: string[] = [];
    monitor.start();
    try {
      sentIds = await sendPaced(producer, topics.prices, priceStream(SCENARIO, MESSAGES, zones), {
        batchSize: 500,
        intervalMs: 150,
        onBatch: (sentSoFar) => {
          if (kill === undefined && sentSoFar >= MESSAGES / 2)
            kill = (async () => {
              const storedAtKill = (await storedPriceIds(db.dataSource, SCENARIO)).length;
              replicas[0]!.child.kill('SIGKILL');
              return { killedAt: Date.now(), sentAtKill: sentSoFar, storedAtKill };
            })();
        },
      });
    } finally {
      await producer.disconnect();
    }
    expect(kill, 'the stream ended before the kill').toBeDefined();
    const { killedAt, sentAtKill, storedAtKill } = await kill!;
    expect(await replicas[0]!.exited).toBe('SIGKILL');
    // The kill landed while the replicas were still storing (not after they had caught up).
    expect(storedAtKill).toBeLessThan(sentAtKill);
    await waitStored(db.dataSource, SCENARIO, sentIds.slice(0, sentAtKill), 120_000);
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    await waitStored(db.dataSource, SCENARIO, sentIds, 120_000);
    monitor.stop();
    await sleep(2000);
    const { row, unexpected } = tallyChaos(
      SCENARIO,
      sentIds,
      await storedPriceIds(db.dataSource, SCENARIO),
      recoverySeconds,
    );
    recordChaosRow(row);
    process.stdout.write(
      `chaos ${SCENARIO}: killed with ${storedAtKill}/${sentAtKill} stored; longest stall ${monitor.longestStallSeconds(MESSAGES)} s\n`,
    );

    expect(unexpected).toEqual([]);
    expect(row).toMatchObject({ sent: MESSAGES, stored: MESSAGES, lost: 0, duplicates: 0 });
    // The survivor gets the partitions after the session timeout (10 s) and its next poll.
    expect(row.recoverySeconds).toBeLessThanOrEqual(30);
    expect(await replicaState(PORTS[1])).toMatchObject(
      INGEST_CONSUMER_GROUPS.map(() => ({ state: 'running' })),
    );
  });
});
