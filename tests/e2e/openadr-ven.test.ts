import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '#gridshift/messaging';
import { OpenAdrVen } from '#gridshift/openadr-ven';
import { GridEventRepository } from '#gridshift/persistence';
import { topicNames } from '#gridshift/platform';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { readTopic } from '../support/ingest-fixtures.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import { currentHourMs, HOUR_MS, seedClusters, type ClusterSeed } from '../integration/planner-fixtures.js';

// The OpenADR 3 VEN against a real HTTP VTN on loopback (serving OpenADR-shaped JSON at GET /events, paged, bearer
// token required), through the real broker and the real ingest to stored grid events: new, modified (a later
// modificationDateTime), cancelled (gone from the VTN), an unmappable event dead-lettered, VTN errors backed off.

const suffix = uniqueSuffix();
const prefix = `t-openadr-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const h0 = currentHourMs();
const at = (hour: number) => new Date(h0 + hour * HOUR_MS).toISOString();
const TOKEN = 't0ken';
const clusters: ClusterSeed[] = [
  { id: 'fra-1', zone: 'DE-LU', region: 'eu', gpuModel: 'H100', gpuTotal: 32, kwPerGpu: 0.8, pue: 1.25 },
  { id: 'par-1', zone: 'FR', region: 'eu', gpuModel: 'H100', gpuTotal: 32, kwPerGpu: 0.8, pue: 1.25 },
];

/** What the VTN lists now, and how many of the next requests it fails with 503. */
const vtn = { events: [] as Record<string, unknown>[], failNext: 0, requests: 0, unauthorized: 0 };
let server: Server;
let vtnUrl = '';
let db: Awaited<ReturnType<typeof freshSchema>>;
let ingest: RunningProcess;
let ven: OpenAdrVen;

/** An OpenADR 3 event of program tso-flex: a capacity limit of `mw` MW in hours 2–3 (the VTN's units: MW). */
function capEvent(id: string, mw: number, modified: string, over: Record<string, unknown> = {}) {
  return {
    id,
    objectType: 'EVENT',
    programID: 'tso-flex',
    eventName: `cap ${id}`,
    priority: 1,
    createdDateTime: '2026-01-01T00:00:00Z',
    modificationDateTime: modified,
    targets: [{ type: 'ZONE', values: ['DE-LU'] }],
    payloadDescriptors: [{ payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'MW' }],
    intervalPeriod: { start: at(2), duration: 'PT2H' },
    intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [mw] }] }],
    ...over,
  };
}

beforeAll(async () => {
  db = await freshSchema(import.meta.filename);
  await seedClusters(db.dataSource, clusters);
  await ensureTopics(
    kafka,
    [topics.gridEvents, topics.gridEventsDlq].map((topic) => ({
      topic,
      numPartitions: 1,
      replicationFactor: 1,
    })),
  );
  server = createServer((req, res) => {
    vtn.requests += 1;
    const url = new URL(req.url ?? '/', 'http://vtn');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      vtn.unauthorized += 1;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"title":"unauthorized"}');
      return;
    }
    if (vtn.failNext > 0) {
      vtn.failNext -= 1;
      res.writeHead(503).end('busy');
      return;
    }
    if (url.pathname !== '/openadr3/events') {
      res.writeHead(404).end();
      return;
    }
    const program = url.searchParams.get('programID');
    const skip = Number(url.searchParams.get('skip') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const listed = vtn.events.filter((e) => program === null || e.programID === program);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(listed.slice(skip, skip + limit)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vtnUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openadr3`;
  ingest = startNode('dist/apps/ingest/src/main.js', {
    DATABASE_URL: services().databaseUrl,
    DATABASE_SCHEMA: db.schema,
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_BOOT: 'false',
    PORT: '23251',
    INGEST_GROUP_ID: `t-openadr-${suffix}`,
  });
  await waitForHttp('http://127.0.0.1:23251/ready', 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${ingest.output()}`);
  });
}, 120_000);

afterAll(async () => {
  await ven?.stop();
  await ingest?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await db.drop();
});

describe('OpenADR 3 VEN → Kafka → ingest → stored grid events', () => {
  it('publishes the VTN’s events, modifies, cancels, dead-letters and backs off', async () => {
    vtn.events = [
      capEvent('cap-a', 3, '2026-01-01T01:00:00Z'),
      // Another program: filtered out by --program.
      capEvent('other', 1, '2026-01-01T01:00:00Z', { programID: 'elsewhere' }),
      // FR by its ZONE target; a GHG signal only.
      capEvent('ghg-fr', 0, '2026-01-01T01:00:00Z', {
        targets: [{ type: 'ZONE', values: ['FR'] }],
        intervals: [{ id: 0, payloads: [{ type: 'GHG', values: [80] }] }],
      }),
      // Nothing gridshift uses: dead-lettered.
      capEvent('simple', 0, '2026-01-01T01:00:00Z', {
        intervals: [{ id: 0, payloads: [{ type: 'SIMPLE', values: [2] }] }],
      }),
    ];
    ven = new OpenAdrVen({
      vtnUrl,
      token: TOKEN,
      programId: 'tso-flex',
      kafka,
      topics: { gridEvents: topics.gridEvents, deadLetters: topics.gridEventsDlq },
      mapping: { zones: ['DE-LU'], compliance: 'mandatory' },
      pollMs: 100,
      retryBaseMs: 50,
      retryCapMs: 200,
      pageSize: 2, // three events of the program: two pages
    });
    await ven.start();
    const events = new GridEventRepository(db.dataSource);
    // 2026-01-01T01:00:00Z is 2,192 days + 1 h after 2020-01-01: 189,388,800 + 3,600 s.
    await expect
      .poll(async () => (await events.byId('oadr:cap-a'))?.intervals.map((i) => i.capKw), { timeout: 30_000 })
      .toEqual([3000]);
    const a = (await events.byId('oadr:cap-a'))!;
    expect([a.modificationNumber, a.programId, a.zones, a.compliance, a.priority]).toEqual([
      189_392_400,
      'tso-flex',
      ['DE-LU'],
      'mandatory',
      1,
    ]);
    expect([a.startsAtUtc, a.endsAtUtc].map((t) => Date.parse(t))).toEqual([
      h0 + 2 * HOUR_MS,
      h0 + 4 * HOUR_MS,
    ]);
    await expect
      .poll(async () => (await events.byId('oadr:ghg-fr'))?.zones, { timeout: 30_000 })
      .toEqual(['FR']);
    expect(await events.byId('oadr:other')).toBeNull();
    const [dead] = await readTopic(kafka, topics.gridEventsDlq, 1);
    expect(dead!.headers['error-code']).toBe('OPENADR_UNMAPPABLE');
    expect(dead!.headers['source-topic']).toBe(`openadr:${vtnUrl}/events`);
    expect(JSON.parse(dead!.value!)).toMatchObject({ id: 'simple' });

    // Modified on the VTN (one hour later, 2 MW): a higher revision replaces the stored one.
    vtn.events[0] = capEvent('cap-a', 2, '2026-01-01T02:00:00Z');
    await expect
      .poll(async () => (await events.byId('oadr:cap-a'))?.intervals.map((i) => i.capKw), { timeout: 30_000 })
      .toEqual([2000]);
    expect((await events.byId('oadr:cap-a'))!.modificationNumber).toBe(189_392_400 + 3600);

    // Gone from the VTN: cancelled in gridshift.
    vtn.events = vtn.events.filter((e) => e.id !== 'ghg-fr');
    await expect
      .poll(async () => (await events.byId('oadr:ghg-fr'))?.cancelled, { timeout: 30_000 })
      .toBe(true);
    expect((await events.byId('oadr:cap-a'))!.cancelled).toBe(false);

    // The VTN fails three requests: the VEN backs off (counted) and recovers; nothing is cancelled meanwhile.
    const errorsBefore = await pollErrors();
    vtn.failNext = 3;
    await expect.poll(() => vtn.failNext, { timeout: 30_000 }).toBe(0);
    await expect.poll(pollErrors, { timeout: 30_000 }).toBe(errorsBefore + 3);
    await expect.poll(() => ven.consecutiveFailures, { timeout: 30_000 }).toBe(0);
    expect((await events.byId('oadr:cap-a'))!.cancelled).toBe(false);
    expect(vtn.unauthorized).toBe(0);
  });
});

async function pollErrors(): Promise<number> {
  const metric = await ven.metricsRegistry.getSingleMetricAsString('gridshift_openadr_polls_total');
  const line = metric.split('\n').find((l) => l.startsWith('gridshift_openadr_polls_total{outcome="error"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
