import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_DEAD_LETTER_CODES, DEAD_LETTER_CODES } from '#gridshift/contracts';
import { ensureTopics, JsonProducer, type OutgoingMessage } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { tallyChaos } from '../support/chaos-rows.js';
import {
  chaosZones,
  ensureChaosServices,
  keepLog,
  priceStream,
  readRecords,
  recordChaosRow,
  sendUntilAcked,
  startApp,
  storedPriceIds,
  waitReady,
} from '../support/chaos.js';
import { freshSchema, testKafka, uniqueSuffix } from '../support/harness.js';
import {
  type dayAheadCurve,
  loadReport,
  registerClusters,
  registerZones,
  waitForGroupCaughtUp,
} from '../support/ingest-fixtures.js';
import {
  CODES_NOT_FROM_INPUT,
  CODES_OF_OTHER_TOPICS,
  INGEST_CONSUMER_GROUPS,
  poisonMessages,
  type PoisonMessage,
} from '../support/poison.js';
import type { RunningProcess } from '../support/processes.js';

// A poison burst: two rounds of one message per dead-letter code the input can cause, plus a 5 MB and a 20 MB
// value (the prices topic raised to 25 MiB by its operator, its DLQ at the broker default of 1 MiB), each between
// valid prices and load reports. Every valid message is stored, every poison is in its DLQ with its code (the two
// huge ones as references), nothing twice. Recovery: from the last send until both consumer groups caught up.

const SCENARIO = 'poison-burst';
const MIB = 1_048_576;
const ROUNDS = 2;
const VALID_PRICES = 3_000;
const VALID_LOADS = 300;
const PORT = 23431;
const prefix = `t-chaos-poison-${uniqueSuffix()}.`;
const topics = topicNames(prefix);
const groupId = `g-chaos-poison-${uniqueSuffix()}`;
const zones = chaosZones(12);
const cluster = 'chaos-1';

let db: Awaited<ReturnType<typeof freshSchema>>;
let ingest: RunningProcess | undefined;
const kafka = testKafka();

beforeAll(async () => {
  await ensureChaosServices();
  db = await freshSchema(import.meta.filename);
  await registerZones(db.dataSource, zones);
  await registerClusters(db.dataSource, [cluster], zones[0]);
});

afterAll(async () => {
  await ingest?.stop();
  await keepLog(SCENARIO, 'ingest', ingest);
  await db?.drop();
});

const consumers = async () =>
  (
    (await (await fetch(`http://127.0.0.1:${PORT}/ready`)).json()) as {
      consumers: { state: string; restarts: number }[];
    }
  ).consumers;

describe('chaos: a poison burst', () => {
  it('stores every valid message and dead-letters every poison with its code, the ingest never stopping', async () => {
    await ensureTopics(kafka, [
      {
        topic: topics.prices,
        numPartitions: 3,
        configEntries: [{ name: 'max.message.bytes', value: String(25 * MIB) }],
      },
      {
        topic: topics.pricesDlq,
        numPartitions: 3,
        configEntries: [{ name: 'max.message.bytes', value: String(MIB) }],
      },
    ]);
    ingest = startApp('ingest', { schema: db.schema, prefix, port: PORT, env: { INGEST_GROUP_ID: groupId } });
    await waitReady(ingest, PORT);
    const restartsBefore = (await consumers()).map((c) => c.restarts);

    const prices = priceStream(SCENARIO, VALID_PRICES, zones);
    const loads: OutgoingMessage[] = Array.from({ length: VALID_LOADS }, (_, i) => ({
      key: cluster,
      value: loadReport(cluster, new Date(Date.parse('2023-01-01T00:00:00Z') + i * 60_000).toISOString(), {
        zone: zones[0],
      }),
      messageId: `${SCENARIO}-load-${String(i).padStart(6, '0')}`,
    }));
    const poison: PoisonMessage[] = [];
    for (let round = 0; round < ROUNDS; round++)
      poison.push(
        ...poisonMessages({
          idPrefix: `${SCENARIO}-poison-r${round}`,
          zone: zones[1]!,
          otherZone: zones[2]!,
          unknownZone: 'CHAOS-UNREGISTERED',
          cluster,
          unknownCluster: 'chaos-unregistered',
          day: '2023-02-01',
          // a price of the valid stream sent before this round's poison
          reissueOf: prices[round]!.value as ReturnType<typeof dayAheadCurve>,
        }),
      );
    const codes = new Set(poison.map((p) => p.code));
    const inputCodes = [...DEAD_LETTER_CODES, ...CONSUMER_DEAD_LETTER_CODES].filter(
      (c) => ![...CODES_NOT_FROM_INPUT, ...CODES_OF_OTHER_TOPICS].includes(c as never),
    );
    expect([...codes].sort()).toEqual(inputCodes.sort()); // a new code needs a poison message here
    const huge = [5_000_000, 20_000_000].map((bytes): PoisonMessage => ({
      topic: 'prices',
      key: zones[3]!,
      value: Buffer.alloc(bytes, 'x'),
      code: 'OVERSIZED',
      messageId: `${SCENARIO}-poison-huge-${bytes}`,
    }));
    poison.splice(poison.length / 2, 0, huge[0]!);
    poison.splice(poison.length / 3, 0, huge[1]!);

    const producer = new JsonProducer(kafka);
    const pricesPer = Math.floor(VALID_PRICES / (poison.length + 1));
    const loadsPer = Math.floor(VALID_LOADS / (poison.length + 1));
    let lastSendAt = 0;
    try {
      for (const [i, p] of poison.entries()) {
        await sendUntilAcked(producer, topics.prices, prices.slice(i * pricesPer, (i + 1) * pricesPer));
        await sendUntilAcked(producer, p.topic === 'prices' ? topics.prices : topics.clusterLoad, [p]);
        await sendUntilAcked(producer, topics.clusterLoad, loads.slice(i * loadsPer, (i + 1) * loadsPer));
      }
      await sendUntilAcked(producer, topics.prices, prices.slice(poison.length * pricesPer));
      await sendUntilAcked(producer, topics.clusterLoad, loads.slice(poison.length * loadsPer));
      lastSendAt = Date.now();
    } finally {
      await producer.disconnect();
    }
    await waitForGroupCaughtUp(kafka, `${groupId}-prices`, [topics.prices], 180_000);
    await waitForGroupCaughtUp(kafka, `${groupId}-load`, [topics.clusterLoad], 60_000);
    const recoverySeconds = (Date.now() - lastSendAt) / 1000;

    // The sink: stored rows of valid messages, dead letters whose code is the expected one. A poison stored as a
    // row, a valid message dead-lettered or a poison with another code shows as an unexpected id.
    const expected = new Map(poison.map((p) => [p.messageId, p.code]));
    const letters = [
      ...(await readRecords(kafka, topics.pricesDlq)),
      ...(await readRecords(kafka, topics.clusterLoadDlq)),
    ];
    const rows = [
      ...(await storedPriceIds(db.dataSource, SCENARIO)),
      ...(
        await db.dataSource.query<{ message_id: string }[]>(
          `select message_id from load_reports where message_id like $1`,
          [`${SCENARIO}-%`],
        )
      ).map((r) => r.message_id),
    ];
    const sink = [
      ...rows.map((id) => (expected.has(id) ? `${id} (stored, not dead-lettered)` : id)),
      ...letters.map((l) =>
        expected.get(l.messageId) === l.headers['error-code']
          ? l.messageId
          : `${l.messageId} (dead-lettered ${l.headers['error-code']})`,
      ),
    ];
    const sent = [...prices, ...loads, ...poison].map((m) => m.messageId!);
    const { row, unexpected } = tallyChaos(SCENARIO, sent, sink, recoverySeconds);
    recordChaosRow(row);

    expect(unexpected).toEqual([]);
    expect(row).toMatchObject({ sent: sent.length, stored: sent.length, lost: 0, duplicates: 0 });
    for (const h of huge)
      expect(letters.find((l) => l.messageId === h.messageId)?.headers['dead-letter-value']).toBe(
        'reference',
      );
    // No poison stopped a consumer: no restart during the burst, every one still running.
    const after = await consumers();
    expect(after.map((c) => c.state)).toEqual(INGEST_CONSUMER_GROUPS.map(() => 'running'));
    expect(after.map((c) => c.restarts)).toEqual(restartsBefore);
  });
});
