import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonProducer } from '#gridshift/messaging';
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

const suffix = uniqueSuffix();
const prefix = `t-ingest-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const producer = new JsonProducer(kafka);
let db: Awaited<ReturnType<typeof freshSchema>>;
const apps: RunningProcess[] = [];

async function startIngest(groupId: string, port: number): Promise<RunningProcess> {
  const app = startNode('dist/apps/ingest/src/main.js', {
    DATABASE_URL: services().databaseUrl,
    DATABASE_SCHEMA: db.schema,
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    INGEST_GROUP_ID: groupId,
    INGEST_MAX_MESSAGE_BYTES: '16384',
    PORT: String(port),
  });
  apps.push(app);
  await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${app.output()}`);
  });
  return app;
}

async function waitForCount(sql: string, want: number, timeoutMs = 30_000): Promise<void> {
  await expect
    .poll(async () => Number((await db.dataSource.query<{ n: string }[]>(sql))[0]!.n), { timeout: timeoutMs })
    .toBe(want);
}

const groupId = `g-ingest-${suffix}`;

beforeAll(async () => {
  db = await freshSchema(import.meta.filename);
  await registerZones(db.dataSource, ['DE-LU', 'FR', 'ES', 'NL', 'GB']);
  await registerClusters(db.dataSource, ['fra-1', 'ams-1', 'x-1']);
  await startIngest(groupId, 23111);
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  await producer.disconnect();
  await db.drop();
});

describe('ingest (real Kafka, real PostgreSQL)', () => {
  it('stores a 24-point day-ahead curve from one message, converted to the base currency', async () => {
    const prices = Array.from({ length: 24 }, (_, h) => 60 + h * 2.5 - (h === 13 ? 90 : 0)); // hour 13 negative: 2.5
    const curve = dayAheadCurve({
      zone: 'DE-LU',
      startUtc: '2023-03-02T00:00:00Z',
      prices,
      issuedAt: '2023-03-01T11:00:00Z',
      carbon: prices.map((_, h) => 300 + h),
    });
    await producer.send(topics.prices, [{ key: 'DE-LU', value: curve, messageId: 'curve-1' }]);
    await waitForCount(`select count(*) n from prices where zone = 'DE-LU'`, 24);
    const rows = await db.dataSource.query<
      { interval_start: Date; price_per_mwh: number; carbon_g_per_kwh: number }[]
    >(
      `select interval_start, price_per_mwh, carbon_g_per_kwh from prices where zone = 'DE-LU' order by interval_start`,
    );
    // EUR → USD with the shipped table: 0.925 EUR per USD, so 60 EUR/MWh = 60 / 0.925 = 64.864865 USD/MWh.
    expect(rows[0]!.price_per_mwh).toBeCloseTo(60 / 0.925, 5);
    expect(rows[13]!.price_per_mwh).toBeCloseTo((60 + 13 * 2.5 - 90) / 0.925, 5);
    expect(rows[13]!.price_per_mwh).toBeGreaterThan(0);
    expect(rows[23]!.interval_start.toISOString()).toBe('2023-03-02T23:00:00.000Z');
    expect(rows[5]!.carbon_g_per_kwh).toBe(305);
    const fresh = await db.dataSource.query<{ latest_interval_start: Date }[]>(
      `select latest_interval_start from price_freshness where zone = 'DE-LU' and market = 'day_ahead'`,
    );
    expect(fresh[0]!.latest_interval_start.toISOString()).toBe('2023-03-02T23:00:00.000Z');
  });

  it('averages finer intervals into the hourly slot, accepts kWh, keeps negative prices', async () => {
    await producer.send(topics.prices, [
      {
        key: 'FR',
        value: {
          partnerId: 'p2',
          zone: 'FR',
          market: 'intraday',
          currency: 'EUR',
          unit: 'kWh',
          issuedAt: '2023-03-02T09:00:00+01:00',
          points: [40, 60, 80, 100].map((price, i) => ({
            intervalStart: `2023-03-02T10:${String(i * 15).padStart(2, '0')}:00Z`,
            intervalMinutes: 15,
            price: price / 1000,
          })),
        },
      },
      {
        key: 'ES',
        value: dayAheadCurve({
          zone: 'ES',
          startUtc: '2023-03-02T00:00:00Z',
          prices: [-12.5],
          issuedAt: '2023-03-01T12:00:00Z',
        }),
      },
    ]);
    await waitForCount(`select count(*) n from prices where zone in ('FR', 'ES')`, 2);
    const [fr] = await db.dataSource.query<
      { price_per_mwh: number; coverage_minutes: number; issued_at: Date }[]
    >(`select price_per_mwh, coverage_minutes, issued_at from prices where zone = 'FR'`);
    // (40 + 60 + 80 + 100) / 4 = 70 EUR/MWh (0.07 EUR/kWh × 1000) → 70 / 0.925 USD/MWh
    expect(fr!.price_per_mwh).toBeCloseTo(70 / 0.925, 5);
    expect(fr!.coverage_minutes).toBe(60);
    expect(fr!.issued_at.toISOString()).toBe('2023-03-02T08:00:00.000Z');
    const [es] = await db.dataSource.query<{ price_per_mwh: number }[]>(
      `select price_per_mwh from prices where zone = 'ES'`,
    );
    expect(es!.price_per_mwh).toBeCloseTo(-12.5 / 0.925, 5);
  });

  it('lets a newer issue supersede, never a late older one; duplicates are no-ops', async () => {
    const base = { zone: 'NL', startUtc: '2023-03-02T00:00:00Z' };
    await producer.send(topics.prices, [
      { key: 'NL', value: dayAheadCurve({ ...base, prices: [100], issuedAt: '2023-03-01T11:00:00Z' }) },
      { key: 'NL', value: dayAheadCurve({ ...base, prices: [120], issuedAt: '2023-03-01T12:00:00Z' }) },
      { key: 'NL', value: dayAheadCurve({ ...base, prices: [90], issuedAt: '2023-03-01T10:00:00Z' }) },
      { key: 'NL', value: dayAheadCurve({ ...base, prices: [120], issuedAt: '2023-03-01T12:00:00Z' }) },
    ]);
    await expect
      .poll(
        async () =>
          (
            await db.dataSource.query<{ price_original: number }[]>(
              `select price_original from prices where zone = 'NL'`,
            )
          )[0]?.price_original,
        { timeout: 30_000 },
      )
      .toBe(120);
    // The late, older message (90) arrives after the newer one and must not win.
    await producer.send(topics.prices, [
      { key: 'NL', value: dayAheadCurve({ ...base, prices: [80], issuedAt: '2023-03-01T09:00:00Z' }) },
      {
        key: 'DE-LU',
        value: dayAheadCurve({
          zone: 'DE-LU',
          startUtc: '2023-03-05T00:00:00Z',
          prices: [1],
          issuedAt: '2023-03-04T11:00:00Z',
        }),
      },
    ]);
    await waitForCount(`select count(*) n from prices where zone = 'DE-LU'`, 25);
    const rows = await db.dataSource.query<{ price_original: number }[]>(
      `select price_original from prices where zone = 'NL'`,
    );
    expect(rows).toEqual([{ price_original: 120 }]);
  });

  it('appends load reports and keeps the latest state per cluster', async () => {
    await producer.send(topics.clusterLoad, [
      { key: 'fra-1', value: loadReport('fra-1', '2023-03-01T11:05:00Z', { gpuSchedulable: 1100 }) },
      { key: 'fra-1', value: loadReport('fra-1', '2023-03-01T11:10:00+01:00', { gpuSchedulable: 1000 }) }, // 10:10Z: older
      { key: 'fra-1', value: loadReport('fra-1', '2023-03-01T11:15:00Z', { gpuSchedulable: 1200 }) },
      {
        key: 'ams-1',
        value: loadReport('ams-1', '2023-03-01T11:05:00Z', { zone: 'NL', gpuSchedulable: 64 }),
      },
    ]);
    await waitForCount(`select count(*) n from load_reports`, 4);
    const state = await db.dataSource.query<
      { cluster_id: string; gpu_schedulable: number; observed_at: Date }[]
    >(`select cluster_id, gpu_schedulable, observed_at from cluster_state order by cluster_id`);
    expect(state.map((s) => [s.cluster_id, s.gpu_schedulable, s.observed_at.toISOString()])).toEqual([
      ['ams-1', 64, '2023-03-01T11:05:00.000Z'],
      ['fra-1', 1200, '2023-03-01T11:15:00.000Z'],
    ]);
  });

  it('dead-letters every bad input with its code while storing the valid messages around it', async () => {
    const ok = (zone: string, hour: number) =>
      dayAheadCurve({
        zone,
        startUtc: `2023-03-03T${String(hour).padStart(2, '0')}:00:00Z`,
        prices: [50 + hour],
        issuedAt: '2023-03-02T11:00:00Z',
      });
    const good = (n: number) => ({ key: 'GB', value: ok('GB', n) });
    const curve = ok('GB', 20);
    const bad: { key: string; value: unknown; code: string; topic: string }[] = [
      { key: 'GB', value: '{"partnerId": "x", ', code: 'MALFORMED_JSON', topic: topics.prices },
      {
        key: 'GB',
        value: { ...curve, issuedAt: '2023-03-02T11:00:00' },
        code: 'NAIVE_TIMESTAMP',
        topic: topics.prices,
      },
      { key: 'GB', value: { ...curve, market: 'capacity' }, code: 'UNKNOWN_MARKET', topic: topics.prices },
      { key: 'FR', value: curve, code: 'KEY_MISMATCH', topic: topics.prices },
      {
        key: 'GB',
        value: { ...curve, issuedAt: new Date(Date.now() + 86_400_000).toISOString() },
        code: 'FUTURE_TIMESTAMP',
        topic: topics.prices,
      },
      {
        key: 'x-1',
        value: loadReport('x-1', new Date(Date.now() + 86_400_000).toISOString()),
        code: 'FUTURE_TIMESTAMP',
        topic: topics.clusterLoad,
      },
      { key: 'GB', value: { ...curve, currency: 'XAU' }, code: 'UNKNOWN_CURRENCY', topic: topics.prices },
      {
        key: 'GB',
        value: { ...curve, points: [{ ...curve.points[0], price: 5e7 }] },
        code: 'IMPLAUSIBLE_PRICE',
        topic: topics.prices,
      },
      {
        key: 'GB',
        value: { ...curve, points: [{ ...curve.points[0], intervalMinutes: 45 }] },
        code: 'MISALIGNED_INTERVAL',
        topic: topics.prices,
      },
      { key: 'GB', value: { ...curve, pad: 'x'.repeat(20_000) }, code: 'OVERSIZED', topic: topics.prices },
      {
        key: 'GB',
        value: { ...curve, partnerId: undefined },
        code: 'SCHEMA_VIOLATION',
        topic: topics.prices,
      },
      {
        key: 'x-1',
        value: loadReport('x-1', '2023-03-01T11:05:00Z', { gpuBusy: 5000 }),
        code: 'GPU_BUSY_EXCEEDS_TOTAL',
        topic: topics.clusterLoad,
      },
      {
        key: 'x-1',
        value: loadReport('x-1', '2023-03-01T11:05:00Z', { gpuSchedulable: -1 }),
        code: 'NEGATIVE_COUNT',
        topic: topics.clusterLoad,
      },
      {
        key: 'x-2',
        value: loadReport('x-1', '2023-03-01T11:05:00Z'),
        code: 'KEY_MISMATCH',
        topic: topics.clusterLoad,
      },
    ];
    let hour = 0;
    for (const b of bad) {
      const surrounding = b.topic === topics.prices ? [good(hour++), good(hour++)] : [];
      await producer.send(topics.prices, surrounding.slice(0, 1));
      await producer.send(b.topic, [{ key: b.key, value: b.value, messageId: `bad-${b.code}-${b.key}` }]);
      await producer.send(topics.prices, surrounding.slice(1));
    }
    await producer.send(topics.clusterLoad, [
      { key: 'x-1', value: loadReport('x-1', '2023-03-01T11:20:00Z') },
    ]);

    const pricesDead = await readTopic(kafka, topics.pricesDlq, 10);
    const loadDead = await readTopic(kafka, topics.clusterLoadDlq, 4);
    const codes = [...pricesDead, ...loadDead].map((d) => [d.headers['error-code'], d.headers['message-id']]);
    expect(codes.sort()).toEqual(bad.map((b) => [b.code, `bad-${b.code}-${b.key}`]).sort());
    for (const d of [...pricesDead, ...loadDead]) {
      expect(d.headers['error-message']!.length).toBeGreaterThan(5);
      expect(d.headers['source-topic']).toMatch(/^t-ingest-/);
      expect(d.headers['source-partition']).toMatch(/^\d+$/);
      expect(d.headers['source-offset']).toMatch(/^\d+$/);
    }
    const schema = pricesDead.find((d) => d.headers['error-code'] === 'SCHEMA_VIOLATION');
    expect(schema!.headers['error-message']).toContain('partnerId');
    const malformed = pricesDead.find((d) => d.headers['error-code'] === 'MALFORMED_JSON');
    expect(malformed!.value).toBe('{"partnerId": "x", '); // original bytes kept
    await waitForCount(`select count(*) n from prices where zone = 'GB'`, hour);
    await waitForCount(`select count(*) n from load_reports where cluster_id = 'x-1'`, 1);
  });

  it('replaying the topics from the beginning changes nothing', async () => {
    await waitForGroupCaughtUp(kafka, `${groupId}-prices`, [topics.prices]);
    await waitForGroupCaughtUp(kafka, `${groupId}-load`, [topics.clusterLoad]);
    const before = await ingestFingerprint(db.dataSource);
    const replayGroup = `g-replay-${suffix}`;
    const replay = await startIngest(replayGroup, 23112);
    await waitForGroupCaughtUp(kafka, `${replayGroup}-prices`, [topics.prices]);
    await waitForGroupCaughtUp(kafka, `${replayGroup}-load`, [topics.clusterLoad]);
    await replay.stop();
    expect(await ingestFingerprint(db.dataSource)).toEqual(before);
    expect(Number(before.prices)).toBeGreaterThan(30);
  });

  it('exposes accepted and dead-lettered counts by code on /metrics', async () => {
    const text = await (await fetch('http://127.0.0.1:23111/metrics')).text();
    expect(text).toMatch(
      /gridshift_consumer_messages_total\{topic="t-ingest-[^"]+prices\.v1",outcome="dead_lettered",code="OVERSIZED"[^}]*\} 1/,
    );
    expect(text).toMatch(/gridshift_consumer_messages_total\{[^}]*outcome="accepted"/);
    expect(text).toContain('gridshift_consumer_lag');
    expect(text).toContain('gridshift_consumer_batch_seconds_bucket');
  });
});
