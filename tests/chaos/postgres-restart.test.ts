import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { tallyChaos } from '../support/chaos-rows.js';
import {
  chaosPostgres,
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

// The chaos tier's own PostgreSQL (never the shared one) stopped (`pg_ctl -m fast`: every session is closed) in
// the middle of a 20,000-price stream and started again 5 s later. Recovery: from PostgreSQL accepting connections
// again until every price sent before that is stored.

const SCENARIO = 'postgres-restart';
const MESSAGES = 20_000;
const DOWN_MS = 5_000;
const PORT = 23421;
const prefix = `t-chaos-pg-${uniqueSuffix()}.`;
const topics = topicNames(prefix);
const zones = chaosZones(24);

let db: Awaited<ReturnType<typeof freshSchema>>;
let ingest: RunningProcess | undefined;

beforeAll(async () => {
  await ensureChaosServices();
  db = await freshSchema(import.meta.filename);
  await registerZones(db.dataSource, zones);
});

afterAll(async () => {
  await ingest?.stop();
  await keepLog(SCENARIO, 'ingest', ingest);
  await chaosPostgres.start();
  await db?.drop();
});

describe('chaos: PostgreSQL restarted mid-stream', () => {
  it('the ingest retries without committing and stores every price exactly once', async () => {
    ingest = startApp('ingest', {
      schema: db.schema,
      prefix,
      port: PORT,
      env: { INGEST_GROUP_ID: `g-chaos-pg-${uniqueSuffix()}`, INGEST_CHUNK_SIZE: '500' },
    });
    await waitReady(ingest, PORT);

    const producer = new JsonProducer(testKafka());
    const monitor = new StoreMonitor(db.dataSource, SCENARIO);
    const sendTimes: number[] = [];
    let restart: Promise<{ stoppedAt: number; backAt: number; readyDuringOutage: number }> | undefined;
    let sentIds: string[] = [];
    monitor.start();
    try {
      sentIds = await sendPaced(producer, topics.prices, priceStream(SCENARIO, MESSAGES, zones), {
        batchSize: 400,
        intervalMs: 250,
        onBatch: (sentSoFar) => {
          sendTimes.push(Date.now());
          if (restart === undefined && sentSoFar >= MESSAGES / 4)
            restart = (async () => {
              await chaosPostgres.stop();
              const stoppedAt = Date.now();
              await sleep(DOWN_MS / 2);
              const readyDuringOutage = (await fetch(`http://127.0.0.1:${PORT}/ready`)).status;
              await sleep(DOWN_MS / 2);
              await chaosPostgres.start();
              return { stoppedAt, backAt: Date.now(), readyDuringOutage };
            })();
        },
      });
    } finally {
      await producer.disconnect();
    }
    expect(restart, 'the stream ended before the restart').toBeDefined();
    const { stoppedAt, backAt, readyDuringOutage } = await restart!;
    const sentBeforeBack = sentIds.slice(0, 400 * sendTimes.filter((t) => t <= backAt).length);
    const recoverySeconds = await waitStored(db.dataSource, SCENARIO, sentBeforeBack, 120_000);
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
      `chaos ${SCENARIO}: down ${((backAt - stoppedAt) / 1000).toFixed(1)} s, /ready ${readyDuringOutage} meanwhile; ` +
        `longest stall ${monitor.longestStallSeconds(MESSAGES)} s\n`,
    );

    expect(readyDuringOutage).toBe(503);
    expect(unexpected).toEqual([]);
    expect(row).toMatchObject({ sent: MESSAGES, stored: MESSAGES, lost: 0, duplicates: 0 });
    expect(row.recoverySeconds).toBeLessThanOrEqual(15);
    await waitReady(ingest, PORT, 30_000);
  });
});
