import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { tallyChaos } from '../support/chaos-rows.js';
import {
  chaosKafka,
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

// One of three brokers (the leader of prices partition 0) SIGKILLed under a 20,000-message price stream and
// started again 10 s later. Recovery: from the broker answering again until every price sent before that is stored.

const SCENARIO = 'broker-sigkill';
const MESSAGES = 20_000;
const DOWN_MS = 10_000;
const PORT = 23401;
const prefix = `t-chaos-broker-${uniqueSuffix()}.`;
const topics = topicNames(prefix);
const zones = chaosZones(24);

let db: Awaited<ReturnType<typeof freshSchema>>;
let ingest: RunningProcess | undefined;
const kafka = () => testKafka();

beforeAll(async () => {
  await ensureChaosServices();
  db = await freshSchema(import.meta.filename);
  await registerZones(db.dataSource, zones);
});

afterAll(async () => {
  await ingest?.stop();
  await keepLog(SCENARIO, 'ingest', ingest);
  await chaosKafka.start(); // leave every node running for the next scenario, whatever happened
  await db?.drop();
});

describe('chaos: a broker SIGKILLed under a stream', () => {
  it('stores every price exactly once and recovers within 15 s of the broker returning', async () => {
    ingest = startApp('ingest', {
      schema: db.schema,
      prefix,
      port: PORT,
      env: { INGEST_GROUP_ID: `g-chaos-broker-${uniqueSuffix()}`, INGEST_CHUNK_SIZE: '500' },
    });
    await waitReady(ingest, PORT);
    const client = kafka();
    const admin = client.admin();
    await admin.connect();
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topics.prices] })).topics;
    await admin.disconnect();
    const victim = metadata!.partitions.find((p) => p.partitionId === 0)!.leader;

    const producer = new JsonProducer(client);
    let outage: Promise<{ killedAt: number; backAt: number; storedDuringOutage: number }> | undefined;
    const sendTimes: number[] = [];
    let sentIds: string[] = [];
    const monitor = new StoreMonitor(db.dataSource, SCENARIO);
    monitor.start();
    try {
      sentIds = await sendPaced(producer, topics.prices, priceStream(SCENARIO, MESSAGES, zones), {
        batchSize: 400,
        intervalMs: 300,
        onBatch: (sentSoFar) => {
          sendTimes.push(Date.now());
          if (outage === undefined && sentSoFar >= MESSAGES / 4)
            outage = (async () => {
              const storedBefore = (await storedPriceIds(db.dataSource, SCENARIO)).length;
              await chaosKafka.kill(victim);
              const killedAt = Date.now();
              await sleep(DOWN_MS);
              const storedDuringOutage =
                (await storedPriceIds(db.dataSource, SCENARIO)).length - storedBefore;
              await chaosKafka.start();
              return { killedAt, backAt: Date.now(), storedDuringOutage };
            })();
        },
      });
    } finally {
      await producer.disconnect();
    }
    expect(outage, 'the stream ended before the kill').toBeDefined();
    const { killedAt, backAt, storedDuringOutage } = await outage!;
    // Everything acknowledged up to the broker's return (the stream may have ended before it).
    const sentBeforeBack = sentIds.slice(0, 400 * sendTimes.filter((t) => t <= backAt).length);
    const recoverySeconds = await waitStored(db.dataSource, SCENARIO, sentBeforeBack, 120_000);
    await waitStored(db.dataSource, SCENARIO, sentIds, 120_000);
    monitor.stop();
    await sleep(2000); // anything redelivered late would show as a duplicate row
    const { row, unexpected } = tallyChaos(
      SCENARIO,
      sentIds,
      await storedPriceIds(db.dataSource, SCENARIO),
      recoverySeconds,
    );
    recordChaosRow(row);
    process.stdout.write(
      `chaos ${SCENARIO}: node ${victim} down ${((backAt - killedAt) / 1000).toFixed(1)} s (10 s + restart); ` +
        `${storedDuringOutage} prices stored in the 10 s after the kill; longest stall ${monitor.longestStallSeconds(MESSAGES)} s\n`,
    );

    expect(unexpected).toEqual([]);
    expect(row).toMatchObject({ sent: MESSAGES, stored: MESSAGES, lost: 0, duplicates: 0 });
    expect(row.recoverySeconds).toBeLessThanOrEqual(15);
    await waitReady(ingest, PORT, 30_000);
  });
});
