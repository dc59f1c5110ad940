import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeOrderReasons,
  decodePlacementOrder,
  HEADERS,
  type GridEventMessageV1,
  type OrderReasonV1,
  type PlacementOrderV1,
} from '#gridshift/contracts';
import { DataCenterAgent, MemoryStateStore, type AgentEvent } from '#gridshift/datacenter-agent';
import { ensureTopics, JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { readTopic } from '../support/ingest-fixtures.js';
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

// A grid event through the real apps: sim:partner → Kafka → ingest → PostgreSQL → planner (trigger grid-event) →
// outbox relay → placement orders on Kafka. 1 kW per GPU (0.8 kW × PUE 1.25); DE-LU is cheaper than FR, so
// chat-eu's 12 GPUs run in fra-1 until the event caps fra-1 at 4 kW = 4 GPUs in hours 1–2. The orders of the plan
// that honours the event name it in their `gridshift-reasons` header (fra-1's: capped; par-1 is in FR, untargeted),
// and the reference data-center agent surfaces them.

const suffix = uniqueSuffix();
const prefix = `t-gridevents-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const producer = new JsonProducer(kafka);
const h0 = currentHourMs();
const at = (slot: number) => new Date(h0 + slot * HOUR_MS).toISOString();
const clusters: ClusterSeed[] = [
  { id: 'fra-1', zone: 'DE-LU', region: 'eu', gpuModel: 'H100', gpuTotal: 32, kwPerGpu: 0.8, pue: 1.25 },
  { id: 'par-1', zone: 'FR', region: 'eu', gpuModel: 'H100', gpuTotal: 32, kwPerGpu: 0.8, pue: 1.25 },
];
let db: Awaited<ReturnType<typeof freshSchema>>;
const apps: RunningProcess[] = [];
const received: PlacementOrderV1[] = [];
/** The decoded `gridshift-reasons` header of each received order, by `${clusterId}@${version}`. */
const reasonsOf = new Map<string, OrderReasonV1[]>();
const agentEvents: AgentEvent[] = [];
const agents: DataCenterAgent[] = [];
const consumer = kafka.consumer({ groupId: `t-gridevents-dc-${suffix}`, maxWaitTimeInMs: 100 });

function start(script: string, port: number, env: Record<string, string>): RunningProcess {
  const app = startNode(script, {
    DATABASE_URL: services().databaseUrl,
    DATABASE_SCHEMA: db.schema,
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_BOOT: 'false',
    PORT: String(port),
    ...env,
  });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  db = await freshSchema(import.meta.filename);
  await seedClusters(db.dataSource, clusters);
  await seedJobs(db.dataSource, [
    // 12 GPUs every hour: 12 × 2,400 tokens/s × 3,600 s = 103.68 M tokens/h.
    {
      id: 'chat-eu',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400 },
      tokensPerHour: 103_680_000,
      maxGpus: 32,
    },
  ]);
  await ensureTopics(
    kafka,
    [
      topics.prices,
      topics.clusterLoad,
      topics.gridEvents,
      topics.gridEventsDlq,
      topics.placements,
      topics.placementAcks,
      topics.usage,
    ].map((topic) => ({
      topic,
      numPartitions: 1,
      replicationFactor: 1,
    })),
  );
  const ingest = start('dist/apps/ingest/src/main.js', 23241, { INGEST_GROUP_ID: `t-gridevents-${suffix}` });
  const planner = start('dist/apps/planner/src/main.js', 23242, {
    PLANNER_CRON: '0 0 1 1 *',
    PLANNER_HORIZON_HOURS: '6',
    PLANNER_AUTO_APPROVE_MAX_MOVED_PCT: '100',
    PLANNER_AUTO_APPROVE_MAX_COST_INCREASE_PCT: '1000000',
  });
  for (const [app, port] of [
    [ingest, 23241],
    [planner, 23242],
  ] as const)
    await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.placements, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const decoded = decodePlacementOrder(message.key, message.value);
      if (decoded.ok) {
        const header = message.headers?.[HEADERS.reasons];
        const reasons = decodeOrderReasons(Buffer.isBuffer(header) ? header : undefined);
        if (!reasons.ok) throw new Error(reasons.message);
        reasonsOf.set(`${decoded.value.clusterId}@${decoded.value.scheduleVersion}`, reasons.reasons);
        received.push(decoded.value);
      }
      return Promise.resolve();
    },
  });
  const store = new MemoryStateStore();
  for (const c of clusters) {
    const agent = new DataCenterAgent({
      kafka,
      clusterId: c.id,
      topics,
      store,
      groupId: `t-gridevents-agent-${suffix}-${c.id}`,
      autoReportUsage: false,
      onEvent: (e) => agentEvents.push(e),
    });
    await agent.start();
    agents.push(agent);
  }
  await producer.send(
    topics.clusterLoad,
    clusters.map((c) => ({ key: c.id, value: loadMessage(c, 24) })),
  );
  await producer.send(topics.prices, [
    { key: 'DE-LU', value: priceMessage('DE-LU', h0, 6, () => 40) },
    { key: 'FR', value: priceMessage('FR', h0, 6, () => 70) },
  ]);
}, 120_000);

afterAll(async () => {
  for (const agent of agents) await agent.stop();
  await consumer.disconnect().catch(() => undefined);
  await producer.disconnect();
  for (const app of apps) await app.stop();
  await db.drop();
});

/** GPUs of the newest order of a cluster in a slot. */
function gpusIn(order: PlacementOrderV1 | undefined, slot: number): number {
  const s = order?.slots.find((x) => Date.parse(x.start) === Date.parse(at(slot)));
  return s?.assignments.reduce((sum, a) => sum + a.gpus, 0) ?? 0;
}

function newest(clusterId: string): PlacementOrderV1 | undefined {
  return received
    .filter((o) => o.clusterId === clusterId)
    .sort((a, b) => b.scheduleVersion - a.scheduleVersion)[0];
}

describe('grid events through Kafka and the real apps', () => {
  it('an event from the partner simulator is re-planned at once and the new orders keep the cap', async () => {
    await expect.poll(() => gpusIn(newest('fra-1'), 1), { timeout: 60_000, interval: 200 }).toBe(12);
    const before = newest('fra-1')!.scheduleVersion;

    const event: GridEventMessageV1 = {
      eventId: 'evt-kafka',
      programId: 'tso-flex',
      modificationNumber: 0,
      priority: 0,
      targets: { zones: ['DE-LU'] },
      intervals: [
        { start: at(1), durationMinutes: 120, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 4 }] },
      ],
      compliance: 'mandatory',
    };
    const file = join(mkdtempSync(join(tmpdir(), 'gridevents-')), 'events.json');
    writeFileSync(file, JSON.stringify([event]));
    const sim = startNode(
      'dist/scripts/simulate-partner.js',
      { KAFKA_BROKERS: services().kafkaBrokers.join(',') },
      ['--events', file, '--topic-prefix', prefix],
    );
    expect(await sim.exited, sim.output()).toBe(0);
    expect(sim.output()).toContain('evt-kafka rev 0 mandatory → key DE-LU');

    // 4 kW cap = 4 GPUs in fra-1 in hours 1 and 2; the other 8 go to par-1. Hours 0 and 3–5 are untouched.
    await expect
      .poll(() => [0, 1, 2, 3].map((t) => gpusIn(newest('fra-1'), t)), { timeout: 30_000, interval: 100 })
      .toEqual([12, 4, 4, 12]);
    const fra = newest('fra-1')!;
    expect(fra.scheduleVersion).toBeGreaterThan(before);
    expect([1, 2].map((t) => gpusIn(newest('par-1'), t))).toEqual([8, 8]);
    const rows = await db.dataSource.query<{ trigger: string }[]>(
      `select trigger from schedules where version = $1 and kind = 'plan'`,
      [fra.scheduleVersion],
    );
    expect(rows[0]!.trigger).toBe('grid-event');

    // The orders say why: fra-1's names the event it honours (capped there); par-1 (FR) is not targeted.
    const reason: OrderReasonV1 = {
      code: 'grid-event',
      eventId: 'evt-kafka',
      programId: 'tso-flex',
      modificationNumber: 0,
      compliance: 'mandatory',
      capped: true,
    };
    expect(reasonsOf.get(`fra-1@${fra.scheduleVersion}`)).toEqual([reason]);
    expect(reasonsOf.get(`par-1@${fra.scheduleVersion}`)).toEqual([]);
    expect(reasonsOf.get(`fra-1@${before}`)).toEqual([]);
    // The reference agent applied that version and surfaces the reason beside the order.
    await expect
      .poll(
        () =>
          agentEvents.find(
            (e) =>
              e.kind === 'applied' &&
              e.clusterId === 'fra-1' &&
              e.order.scheduleVersion === fra.scheduleVersion,
          ),
        { timeout: 30_000, interval: 100 },
      )
      .toMatchObject({ kind: 'applied', reasons: [reason] });
  });

  it('invalid events are dead-lettered with their reason; the consumer keeps going', async () => {
    const valid = (over: Partial<GridEventMessageV1>): GridEventMessageV1 => ({
      eventId: 'evt-bad',
      programId: 'p',
      modificationNumber: 0,
      priority: 0,
      targets: { zones: ['DE-LU'] },
      intervals: [
        { start: at(3), durationMinutes: 60, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 1 }] },
      ],
      compliance: 'mandatory',
      ...over,
    });
    await producer.send(topics.gridEvents, [
      { key: 'FR', value: valid({}) }, // KEY_MISMATCH: FR is not a target zone
      { key: 'DE-LU', value: valid({ compliance: 'voluntary' }) }, // MISSING_INCENTIVE
      { key: 'NO', value: valid({ targets: { zones: ['NO'] } }) }, // UNKNOWN_ZONE: not registered
      { key: 'DE-LU', value: valid({ targets: { zones: ['DE-LU'], clusters: ['ghost-1'] } }) }, // UNKNOWN_CLUSTER
    ]);
    const dead = await readTopic(kafka, topics.gridEventsDlq, 4);
    expect(dead.map((d) => d.headers['error-code']).sort()).toEqual(
      ['KEY_MISMATCH', 'MISSING_INCENTIVE', 'UNKNOWN_CLUSTER', 'UNKNOWN_ZONE'].sort(),
    );
    const stored = await db.dataSource.query<unknown[]>(
      `select 1 from grid_events where event_id = 'evt-bad'`,
    );
    expect(stored).toEqual([]);
  });
});
