import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import type { Assumption, InputSnapshot } from '#gridshift/scheduling';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import {
  currentHourMs,
  HOUR_MS,
  loadMessage,
  priceMessage,
  seedClusters,
  seedJobs,
  type ClusterSeed,
} from '../integration/planner-fixtures.js';

// Stale or missing prices: the schedule is still produced, published, and says what it assumed.

const suffix = uniqueSuffix();
const prefix = `t-pstale-${suffix}.`;
const topics = topicNames(prefix);
const h0 = currentHourMs();

const clusters: ClusterSeed[] = [
  { id: 'fra-1', zone: 'DE-LU', region: 'eu', gpuModel: 'H100', gpuTotal: 100, kwPerGpu: 0.7, pue: 1.2 },
  { id: 'par-1', zone: 'FR', region: 'eu', gpuModel: 'H100', gpuTotal: 100, kwPerGpu: 0.7, pue: 1.2 },
  { id: 'ams-1', zone: 'NL', region: 'eu', gpuModel: 'H100', gpuTotal: 100, kwPerGpu: 0.7, pue: 1.2 },
];

let db: DataSource;
let drop: () => Promise<void>;
const apps: RunningProcess[] = [];

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await seedClusters(db, clusters);
  await seedJobs(db, [
    {
      id: 'chat',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2000 },
      tokensPerHour: 216_000_000,
      maxGpus: 60,
    },
  ]);
  const { databaseUrl, kafkaBrokers } = services();
  const common = {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: (db.options as { schema: string }).schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
  };
  apps.push(
    startNode('dist/apps/ingest/src/main.js', {
      ...common,
      PORT: '23141',
      INGEST_GROUP_ID: `t-pstale-${suffix}`,
    }),
  );
  apps.push(
    startNode('dist/apps/planner/src/main.js', {
      ...common,
      PORT: '23142',
      PLANNER_CRON: '0 0 1 1 *',
      PLANNER_DEBOUNCE_MS: '100',
      PLANNER_POLL_MS: '1000',
      PLANNER_PRICE_MAX_AGE_HOURS: '36',
    }),
  );
  for (const [app, port] of [
    [apps[0]!, 23141],
    [apps[1]!, 23142],
  ] as const) {
    await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
  }
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  await drop();
});

describe('stale and missing prices', () => {
  it('still produces and publishes a schedule, flagging every assumption per zone and slot', async () => {
    const producer = new JsonProducer(testKafka());
    try {
      await producer.send(
        topics.clusterLoad,
        clusters.map((c) => ({ key: c.id, value: loadMessage(c, 50) })),
      );
      await producer.send(topics.prices, [
        // Germany: a fresh day-ahead curve for the whole horizon.
        { key: 'DE-LU', value: priceMessage('DE-LU', h0, 24, () => 90) },
        // France: only a 6-hour forecast, issued 3 days ago (stale beyond 36 h), then nothing.
        {
          key: 'FR',
          value: priceMessage('FR', h0, 6, () => 20, {
            market: 'forecast',
            issuedAtMs: Date.now() - 72 * HOUR_MS,
          }),
        },
        // The Netherlands: no price at all.
      ]);
    } finally {
      await producer.disconnect();
    }

    let found: { id: string; assumptions: Assumption[]; input_snapshot: InputSnapshot } | undefined;
    await expect
      .poll(
        async () => {
          const rows = await db.query<
            { id: string; assumptions: Assumption[]; input_snapshot: InputSnapshot }[]
          >(
            `select id, assumptions, input_snapshot from schedules where kind = 'plan' and status = 'published'
             order by version desc limit 1`,
          );
          const row = rows[0];
          const codes = new Set(row?.assumptions.map((a) => `${a.code}:${a.zone ?? a.clusterId}`));
          found = codes.has('price-stale:FR') && !codes.has('capacity-missing:par-1') ? row : undefined;
          return found !== undefined;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(true);
    const { id, assumptions, input_snapshot: snapshot } = found!;
    const byCode = (code: string, zone: string) =>
      assumptions.find((a) => a.code === code && a.zone === zone);

    // France: forecast for the 6 hours it covers, stale, then carried forward for the other 18.
    expect(byCode('price-forecast', 'FR')!.slotStartsUtc).toHaveLength(6);
    expect(byCode('price-stale', 'FR')!.slotStartsUtc).toHaveLength(24);
    expect(byCode('price-carried-forward', 'FR')!.slotStartsUtc).toHaveLength(18);
    // The Netherlands: no price anywhere in its history → the median of the zones that have one.
    const missing = byCode('price-missing', 'NL')!;
    expect(missing.slotStartsUtc).toHaveLength(24);
    expect(missing.details).toMatchObject({ basis: 'fleet-median' });
    // Median of 90 (DE-LU) and 20 (FR) = 55 for each slot.
    expect(snapshot.market.pricePerMwhByZone.NL).toEqual(Array.from({ length: 24 }, () => 55));
    expect(snapshot.priceSources.FR!.source.slice(0, 7)).toEqual([
      'forecast',
      'forecast',
      'forecast',
      'forecast',
      'forecast',
      'forecast',
      'carried-forward',
    ]);
    // Germany is clean.
    expect(assumptions.filter((a) => a.zone === 'DE-LU')).toEqual([]);
    // And the plan still placed the work (France looks cheapest at an assumed 20): 30 GPUs every hour.
    const placed = await db.query<{ cluster_id: string; gpus: number }[]>(
      `select cluster_id, sum(gpus)::int as gpus from placements where schedule_id = $1 group by cluster_id`,
      [id],
    );
    expect(placed).toEqual([{ cluster_id: 'par-1', gpus: 30 * 24 }]);
  });
});
