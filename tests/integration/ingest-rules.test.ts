import { createHash } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterReference } from '#gridshift/contracts';
import { ensureTopics, JsonProducer, replayDeadLetters } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import {
  dayAheadCurve,
  ingestFingerprint,
  loadReport,
  readTopic,
  registerClusters,
  registerZones,
  waitForGroupCaughtUp,
} from '../support/ingest-fixtures.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';

// Dead letters that always fit, and the input rules (FUTURE_INTERVAL, CONFLICTING_REISSUE, UNKNOWN_ZONE,
// UNKNOWN_CLUSTER), against the real broker and database.

const MIB = 1_048_576;
const kafka = testKafka();
const producer = new JsonProducer(kafka);
let db: Awaited<ReturnType<typeof freshSchema>>;
const apps: RunningProcess[] = [];

beforeAll(async () => {
  db = await freshSchema(import.meta.filename);
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await producer.disconnect();
  await db.drop();
});

async function startIngest(env: Record<string, string>, port: number): Promise<RunningProcess> {
  const app = startNode('dist/apps/ingest/src/main.js', {
    DATABASE_URL: services().databaseUrl,
    DATABASE_SCHEMA: db.schema,
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    PORT: String(port),
    ...env,
  });
  apps.push(app);
  // /ready, not /health: /health answers before the topics exist and the consumers joined.
  await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${app.output()}`);
  });
  return app;
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.dataSource.query<{ n: string }[]>(sql, params))[0]!.n);
}

async function waitForCount(sql: string, want: number, params: unknown[] = []): Promise<void> {
  await expect.poll(() => count(sql, params), { timeout: 60_000 }).toBe(want);
}

const hourOf = (day: string, hour: number) => `${day}T${String(hour).padStart(2, '0')}:00:00Z`;

describe('dead letters that always fit', () => {
  it('a 5 MB value on a 25 MiB topic with a 1 MiB DLQ becomes a reference; prices on every partition before and after are stored', async () => {
    const prefix = `t-fit-${uniqueSuffix()}.`;
    const topics = topicNames(prefix);
    // The operator raised the prices topic to 25 MiB; the DLQ has the broker default (1 MiB).
    await ensureTopics(kafka, [
      {
        topic: topics.prices,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: String(25 * MIB) }],
      },
      {
        topic: topics.pricesDlq,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: String(MIB) }],
      },
    ]);
    // 12 zones spread over the 3 partitions (murmur2 of the key).
    const zones = 'ABCDEFGHIJKL'.split('').map((c) => `Z${c}`);
    await registerZones(db.dataSource, zones);
    const groupId = `g-fit-${uniqueSuffix()}`;
    const app = await startIngest({ KAFKA_TOPIC_PREFIX: prefix, INGEST_GROUP_ID: groupId }, 23131);
    const curves = (day: string) =>
      zones.map((zone) => ({
        key: zone,
        value: dayAheadCurve({
          zone,
          startUtc: `${day}T00:00:00Z`,
          prices: [40, 41, 42],
          issuedAt: `${day}T00:00:00Z`,
        }),
      }));
    await producer.send(topics.prices, curves('2023-03-01'));
    const huge = Buffer.alloc(5_000_000, 'x');
    await producer.send(topics.prices, [{ key: 'ZA', value: huge, messageId: 'huge-1' }]);
    await producer.send(topics.prices, curves('2023-03-02'));
    const zoneSql = `select count(*) n from prices where zone = any($1::text[])`;
    await waitForCount(zoneSql, zones.length * 6, [zones]); // 12 zones × 2 days × 3 hours

    const [dead] = await readTopic(kafka, topics.pricesDlq, 1);
    expect(dead!.headers).toMatchObject({
      'error-code': 'OVERSIZED',
      'dead-letter-value': 'reference',
      'message-id': 'huge-1',
      'source-topic': topics.prices,
    });
    const reference = JSON.parse(dead!.value!) as DeadLetterReference;
    expect(reference).toMatchObject({
      kind: 'gridshift.dead-letter-reference.v1',
      valueBytes: 5_000_000,
      valueSha256: createHash('sha256').update(huge).digest('hex'),
      sourceOffset: dead!.headers['source-offset'],
    });
    expect(Buffer.from(reference.valueHeadBase64, 'base64').toString()).toBe('x'.repeat(1024));

    // The DLQ limit drops below what the ingest read at start: the broker refuses the original, a reference goes.
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topics.pricesDlq,
          configEntries: [{ name: 'max.message.bytes', value: '65536' }],
        },
      ],
    });
    // The broker applies the change from its metadata log: until it reports the new limit (polled; a fixed 2 s wait
    // raced it on a loaded machine) a send could still pass the old one.
    await expect
      .poll(
        async () => {
          const described = await admin.describeConfigs({
            includeSynonyms: false,
            resources: [
              { type: ConfigResourceTypes.TOPIC, name: topics.pricesDlq, configNames: ['max.message.bytes'] },
            ],
          });
          return described.resources[0]?.configEntries[0]?.configValue;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe('65536');
    await admin.disconnect();
    await producer.send(topics.prices, [
      { key: 'ZB', value: `{"pad": "${'y'.repeat(200_000)}`, messageId: 'broken-1' },
    ]);
    await producer.send(topics.prices, curves('2023-03-03'));
    await waitForCount(zoneSql, zones.length * 9, [zones]);
    const letters = await readTopic(kafka, topics.pricesDlq, 2);
    const broken = letters.find((l) => l.headers['message-id'] === 'broken-1');
    expect(broken!.headers).toMatchObject({
      'error-code': 'MALFORMED_JSON',
      'dead-letter-value': 'reference',
    });
    expect((JSON.parse(broken!.value!) as DeadLetterReference).valueBytes).toBe(200_009);

    const metrics = await (await fetch('http://127.0.0.1:23131/metrics')).text();
    expect(metrics).toMatch(/gridshift_consumer_dead_letter_references_total\{[^}]*\} 2/);
    // A fresh broker can still be loading the group coordinator when the consumers first join (kafkajs then
    // crashes the consumer and the supervisor restarts it); what matters here is that no dead letter crashed one.
    const output = app.output();
    const firstLetter = output.indexOf('"code":"OVERSIZED"');
    expect(firstLetter).toBeGreaterThan(-1);
    expect(output.slice(firstLetter)).not.toMatch(/crash/i);
  });

  it('creates input and dead-letter topics with max.message.bytes above INGEST_MAX_MESSAGE_BYTES', async () => {
    const prefix = `t-limits-${uniqueSuffix()}.`;
    const topics = topicNames(prefix);
    const app = await startIngest(
      {
        KAFKA_TOPIC_PREFIX: prefix,
        INGEST_GROUP_ID: `g-limits-${uniqueSuffix()}`,
        INGEST_MAX_MESSAGE_BYTES: String(4 * MIB),
      },
      23133,
    );
    const admin = kafka.admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [topics.prices, topics.pricesDlq, topics.clusterLoad, topics.clusterLoadDlq].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['max.message.bytes'],
      })),
    });
    await admin.disconnect();
    await app.stop();
    for (const r of resources) expect(Number(r.configEntries[0]!.configValue)).toBe(4 * MIB + 64 * 1024);
  });
});

describe('input rules: every bad input dead-lettered with its code, every valid one stored, on one partition', () => {
  const prefix = `t-rules-${uniqueSuffix()}.`;
  const topics = topicNames(prefix);
  const groupId = `g-rules-${uniqueSuffix()}`;
  const day = '2023-03-10';
  const curve = (zone: string, hour: number, price: number, issuedAt = `${day}T00:00:00Z`) =>
    dayAheadCurve({ zone, startUtc: hourOf(day, hour), prices: [price], issuedAt });

  beforeAll(async () => {
    await registerZones(db.dataSource, ['RA', 'RB']);
    await registerClusters(db.dataSource, ['r-1']);
    await startIngest(
      {
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_TOPIC_PARTITIONS: '1',
        INGEST_GROUP_ID: groupId,
        INGEST_MAX_MESSAGE_BYTES: '16384',
      },
      23132,
    );
  });

  it('interleaves each code with valid messages and keeps moving', async () => {
    type Sent = { key: string; value: unknown; code?: string; id: string };
    let n = 0;
    const ok = (zone = 'RA'): Sent => ({ key: zone, value: curve(zone, n, 50 + n), id: `ok-${n++}` });
    // The first issue of RB 00:00, to be contradicted later (stored path) and within one batch (in-call path).
    const first = { key: 'RB', value: curve('RB', 0, 70), id: 'rb-first' };
    const prices: Sent[] = [
      ok(),
      first,
      ok(),
      { key: 'RB', value: curve('RB', 0, 71), code: 'CONFLICTING_REISSUE', id: 'rb-conflict-in-batch' },
      { key: 'RB', value: curve('RB', 0, 70), id: 'rb-identical' }, // identical: a no-op, not a dead letter
      ok(),
      {
        key: 'RA',
        value: {
          ...curve('RA', 0, 60),
          points: [{ intervalStart: '9999-12-31T23:00:00Z', intervalMinutes: 60, price: 60 }],
        },
        code: 'FUTURE_INTERVAL',
        id: 'far-future',
      },
      ok(),
      {
        key: 'RA',
        value: dayAheadCurve({
          zone: 'RA',
          startUtc: '2023-03-25T00:00:00Z',
          prices: [1],
          issuedAt: `${day}T00:00:00Z`,
        }),
        code: 'FUTURE_INTERVAL',
        id: 'past-horizon', // 15 days after issuedAt; the horizon is 14
      },
      ok(),
      { key: 'XQ', value: curve('XQ', 3, 55), code: 'UNKNOWN_ZONE', id: 'unknown-zone' },
      ok(),
      { key: 'RA', value: '{"partnerId":', code: 'MALFORMED_JSON', id: 'malformed' },
      ok(),
      {
        key: 'RA',
        value: { ...curve('RA', 5, 1), pad: 'p'.repeat(20_000) },
        code: 'OVERSIZED',
        id: 'oversized',
      },
      ok(),
      {
        key: 'RA',
        value: { ...curve('RA', 5, 1), currency: 'XAU' },
        code: 'UNKNOWN_CURRENCY',
        id: 'currency',
      },
      ok(),
    ];
    await producer.send(
      topics.prices,
      prices.map((p) => ({ key: p.key, value: p.value, messageId: p.id })),
    );
    await waitForCount(`select count(*) n from prices where zone = 'RA'`, n);
    // The stored path: a later re-issue of RB's stored issue with another price.
    const later: Sent[] = [
      { key: 'RB', value: curve('RB', 0, 72), code: 'CONFLICTING_REISSUE', id: 'rb-conflict-stored' },
      ok(),
    ];
    await producer.send(
      topics.prices,
      later.map((p) => ({ key: p.key, value: p.value, messageId: p.id })),
    );
    const loads: Sent[] = [
      { key: 'r-1', value: loadReport('r-1', `${day}T00:00:00Z`), id: 'load-ok-1' },
      {
        key: 'r-9',
        value: loadReport('r-9', `${day}T00:00:00Z`),
        code: 'UNKNOWN_CLUSTER',
        id: 'unknown-cluster',
      },
      {
        key: 'r-1',
        value: loadReport('r-1', `${day}T00:05:00Z`, { gpuBusy: 9999 }),
        code: 'GPU_BUSY_EXCEEDS_TOTAL',
        id: 'busy',
      },
      { key: 'r-1', value: loadReport('r-1', `${day}T00:10:00Z`), id: 'load-ok-2' },
    ];
    await producer.send(
      topics.clusterLoad,
      loads.map((p) => ({ key: p.key, value: p.value, messageId: p.id })),
    );

    await waitForCount(`select count(*) n from prices where zone = 'RA'`, n);
    await waitForCount(`select count(*) n from load_reports where cluster_id = 'r-1'`, 2);
    await waitForGroupCaughtUp(kafka, `${groupId}-prices`, [topics.prices]);
    await waitForGroupCaughtUp(kafka, `${groupId}-load`, [topics.clusterLoad]);
    // Every valid RA price is the one sent (hour h → 50 + h); RB 00:00 keeps the first issue's 70 EUR.
    const ra = await db.dataSource.query<{ h: number; p: number }[]>(
      `select extract(hour from interval_start)::int h, price_original p from prices where zone = 'RA' order by 1`,
    );
    expect(ra).toEqual(Array.from({ length: n }, (_, h) => ({ h, p: 50 + h })));
    const rb = await db.dataSource.query<{ p: number; c: string }[]>(
      `select price_original p, currency_original c from prices where zone = 'RB'`,
    );
    expect(rb).toEqual([{ p: 70, c: 'EUR' }]);
    const fresh = await db.dataSource.query<{ s: Date }[]>(
      `select latest_interval_start s from price_freshness where zone = 'RA'`,
    );
    expect(fresh[0]!.s.toISOString()).toBe(`${hourOf(day, n - 1).slice(0, 19)}.000Z`);

    const bad = [...prices, ...later, ...loads].filter((p) => p.code !== undefined);
    const dead = [
      ...(await readTopic(kafka, topics.pricesDlq, bad.length - 2)),
      ...(await readTopic(kafka, topics.clusterLoadDlq, 2)),
    ];
    expect(dead.map((d) => [d.headers['message-id'], d.headers['error-code']]).sort()).toEqual(
      bad.map((b) => [b.id, b.code]).sort(),
    );
    const conflict = dead.find((d) => d.headers['message-id'] === 'rb-conflict-stored')!;
    expect(conflict.headers['error-message']).toContain('price 70 is stored, this message has 72');
    expect(dead.every((d) => d.headers['dead-letter-value'] === 'original')).toBe(true);
  });

  it('dlq:replay re-publishes UNKNOWN_ZONE prices once the zone is registered; twice changes nothing', async () => {
    await registerZones(db.dataSource, ['XQ']);
    const first = await replayDeadLetters(kafka, { topic: topics.pricesDlq, code: 'UNKNOWN_ZONE' });
    expect(first).toMatchObject({ matched: 1, replayed: 1, unreplayable: [] });
    await waitForCount(`select count(*) n from prices where zone = 'XQ'`, 1);
    await waitForGroupCaughtUp(kafka, `${groupId}-prices`, [topics.prices]);
    const before = await ingestFingerprint(db.dataSource);
    const again = await replayDeadLetters(kafka, { topic: topics.pricesDlq, code: 'UNKNOWN_ZONE' });
    expect(again).toMatchObject({ matched: 1, replayed: 1 });
    await waitForGroupCaughtUp(kafka, `${groupId}-prices`, [topics.prices]);
    expect(await ingestFingerprint(db.dataSource)).toEqual(before);
    const [xq] = await db.dataSource.query<{ p: number }[]>(
      `select price_original p from prices where zone = 'XQ'`,
    );
    expect(xq!.p).toBe(55);
  });
});
