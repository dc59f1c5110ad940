/**
 * Prices per interval, end to end (issue 12 item 4): partners' intervals go through Kafka and the ingest app
 * into PostgreSQL as sent; the `prices` view, the admin API (`GET /prices`, started from dist/) and the planner
 * (`loadInputs`) read the same slots. A later 15-minute correction replaces only its quarter-hour; two
 * quarter-hours of one issue sent apart are no conflict; the same quarter-hour re-issued with another price is.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { DEFAULT_PLANNING_SETTINGS, loadInputs } from '#gridshift/scheduling';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import {
  dayAheadCurve,
  readTopic,
  registerClusters,
  registerZones,
  waitForGroupCaughtUp,
} from '../support/ingest-fixtures.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';

const suffix = uniqueSuffix();
const prefix = `t-intervals-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const producer = new JsonProducer(kafka);
const groupId = `g-intervals-${suffix}`;
const INGEST_PORT = 23171;
const API_PORT = 23172;
const BOOTSTRAP = `bootstrap-${randomBytes(24).toString('hex')}`;
const EUR_PER_USD = 0.925; // the shipped exchange-rate table; prices are stored in USD
const D = '2023-03-02';
const H = 3_600_000;
const D0 = Date.parse(`${D}T00:00:00Z`);

let db: Awaited<ReturnType<typeof freshSchema>>;
const apps: RunningProcess[] = [];

function quarters(opts: {
  market?: string;
  issuedAt: string;
  points: [string, number][];
}): ReturnType<typeof dayAheadCurve> {
  return {
    ...dayAheadCurve({ zone: 'PX', startUtc: `${D}T00:00:00Z`, prices: [], issuedAt: opts.issuedAt }),
    market: opts.market ?? 'day_ahead',
    points: opts.points.map(([hhmm, price]) => ({
      intervalStart: `${D}T${hhmm}:00Z`,
      intervalMinutes: 15,
      price,
    })),
  };
}

async function api(path: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://127.0.0.1:${API_PORT}${path}`, {
    headers: { authorization: `Bearer ${BOOTSTRAP}` },
  });
  return { status: res.status, json: await res.json() };
}

interface ApiPoint {
  intervalStart: string;
  market: string;
  pricePerMwh: number;
  coverageMinutes: number;
  complete: boolean;
}

beforeAll(async () => {
  db = await freshSchema(import.meta.filename);
  await registerZones(db.dataSource, ['PX']);
  await registerClusters(db.dataSource, ['px-1'], 'PX');
  const common = {
    DATABASE_URL: services().databaseUrl,
    DATABASE_SCHEMA: db.schema,
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  apps.push(
    startNode('dist/apps/ingest/src/main.js', {
      ...common,
      INGEST_GROUP_ID: groupId,
      PORT: String(INGEST_PORT),
    }),
  );
  apps.push(
    startNode('dist/apps/admin-api/src/main.js', {
      ...common,
      PORT: String(API_PORT),
      ADMIN_BOOTSTRAP_KEY: BOOTSTRAP,
    }),
  );
  for (const [app, port] of [
    [apps[0]!, INGEST_PORT],
    [apps[1]!, API_PORT],
  ] as const)
    await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  await producer.disconnect();
  await db.drop();
});

describe('prices per interval (real Kafka, real PostgreSQL, ingest and admin API from dist/)', () => {
  it('a later quarter-hour correction replaces only its quarter; planner, API and view agree', async () => {
    const sent = [
      // The day-ahead curve, hourly: 40, 50, 60, 70, 80, 90 EUR/MWh for 00:00–05:00.
      dayAheadCurve({
        zone: 'PX',
        startUtc: `${D}T00:00:00Z`,
        prices: [40, 50, 60, 70, 80, 90],
        issuedAt: `2023-03-01T11:00:00Z`,
      }),
      // A later issue corrects 00:30 and (in a second message of the same issue) 00:45.
      quarters({ issuedAt: '2023-03-01T15:00:00Z', points: [['00:30', 100]] }),
      quarters({ issuedAt: '2023-03-01T15:00:00Z', points: [['00:45', 120]] }),
      // Intraday for half of 07:00 only.
      quarters({
        market: 'intraday',
        issuedAt: '2023-03-01T16:00:00Z',
        points: [
          ['07:00', 10],
          ['07:15', 20],
        ],
      }),
      // The same issue again for 00:30 with another price: a genuine conflict.
      quarters({ issuedAt: '2023-03-01T15:00:00Z', points: [['00:30', 101]] }),
      // An older correction of 01:00 arriving late: never wins.
      quarters({ issuedAt: '2023-03-01T09:00:00Z', points: [['01:00', 1]] }),
    ];
    await producer.send(
      topics.prices,
      sent.map((value, i) => ({ key: 'PX', value, messageId: `m-${i}` })),
    );
    await waitForGroupCaughtUp(kafka, `${groupId}-prices`, [topics.prices]);

    // Exactly one dead letter: the conflicting re-issue of 00:30.
    const [dead] = await readTopic(kafka, topics.pricesDlq, 1);
    expect([dead!.headers['message-id'], dead!.headers['error-code']]).toEqual([
      'm-4',
      'CONFLICTING_REISSUE',
    ]);
    const admin = kafka.admin();
    await admin.connect();
    const dlqSize = (await admin.fetchTopicOffsets(topics.pricesDlq)).reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    expect(dlqSize).toBe(1);

    // Hour 0: 30 min at 40 + 15 at 100 + 15 at 120 = (1200 + 1500 + 1800) / 60 = 75 EUR/MWh (stored in USD
    // to 6 decimals); the late older
    // correction of 01:00 changes nothing.
    const wantEur = [75, 50, 60, 70, 80, 90];
    const view = await db.dataSource.query<{ price_per_mwh: number; coverage_minutes: number }[]>(
      `select price_per_mwh, coverage_minutes from prices where zone = 'PX' and market = 'day_ahead' order by interval_start`,
    );
    expect(view.map((r) => r.price_per_mwh)).toEqual(
      wantEur.map((p) => expect.closeTo(p / EUR_PER_USD, 5) as number),
    );
    expect(view.map((r) => r.coverage_minutes)).toEqual([60, 60, 60, 60, 60, 60]);
    const [intraday] = await db.dataSource.query<{ coverage_minutes: number }[]>(
      `select coverage_minutes from prices where zone = 'PX' and market = 'intraday'`,
    );
    expect(intraday!.coverage_minutes).toBe(30);

    // The admin API serves the same slots, and the quarter-hours themselves on a 15-minute grid.
    const range = `zone=PX&from=${D}T00:00:00Z&to=${D}T08:00:00Z`;
    const hourly = await api(`/prices?${range}`);
    expect(hourly.status).toBe(200);
    const points = (hourly.json as { points: ApiPoint[] }).points;
    // Same rule, summed in another order: equal to the last few bits.
    const sameAsView = view.map((r) => expect.closeTo(r.price_per_mwh, 9) as number);
    expect(points.filter((p) => p.market === 'day_ahead').map((p) => p.pricePerMwh)).toEqual(sameAsView);
    expect(points.find((p) => p.market === 'intraday')).toMatchObject({
      coverageMinutes: 30,
      complete: false,
    });
    const fine = (await api(`/prices?${range}&market=day_ahead&slotMinutes=15`)).json as {
      points: ApiPoint[];
    };
    expect(fine.points.slice(0, 5).map((p) => Math.round(p.pricePerMwh * EUR_PER_USD * 1e6) / 1e6)).toEqual([
      40, 40, 100, 120, 50,
    ]);
    expect((await api(`/prices?${range}&slotMinutes=7`)).status).toBe(400);

    // The planner reads the same hourly prices; the half-covered intraday hour does not count as published.
    const inputs = await loadInputs(db.dataSource, {
      settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 8 },
      now: new Date(D0 + 5 * 60_000),
      withJobs: false,
    });
    const zone = inputs.zones.find((z) => z.zone === 'PX')!;
    expect(zone.pricePerMwh.slice(0, 6)).toEqual(sameAsView);
    expect(zone.source.slice(0, 6)).toEqual(Array(6).fill('day_ahead'));
    expect(zone.source[7]).not.toBe('intraday');
    expect(inputs.slotStartsUtc[0]).toBe(new Date(D0).toISOString());
    expect(zone.pricePerMwh[7]).toBe(zone.pricePerMwh[5]); // carried forward from 05:00
    expect(new Date(D0 + 7 * H).toISOString()).toBe(inputs.slotStartsUtc[7]);
  });
});
