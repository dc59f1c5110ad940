import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { decodePlacementOrder, type PlacementOrderV1 } from '#gridshift/contracts';
import { JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';
import {
  currentHourMs,
  loadMessage,
  priceMessage,
  seedClusters,
  seedJobs,
  type ClusterSeed,
} from '../integration/planner-fixtures.js';

// Price and load messages in through Kafka → apps/ingest stores them → apps/planner plans on the change,
// stores a versioned schedule and relays placement orders to Kafka; the orders equal the stored schedule.

const suffix = uniqueSuffix();
const prefix = `t-pflow-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const h0 = currentHourMs();

const clusters: ClusterSeed[] = [
  {
    id: 'fra-1',
    zone: 'DE-LU',
    region: 'eu',
    gpuModel: 'H100',
    gpuTotal: 200,
    kwPerGpu: 0.7,
    pue: 1.2,
    latencyMsByOrigin: { 'eu-users': 15 },
  },
  {
    id: 'par-1',
    zone: 'FR',
    region: 'eu',
    gpuModel: 'H100',
    gpuTotal: 200,
    kwPerGpu: 0.7,
    pue: 1.15,
    latencyMsByOrigin: { 'eu-users': 20 },
  },
  {
    id: 'ams-1',
    zone: 'NL',
    region: 'eu',
    gpuModel: 'H100',
    gpuTotal: 100,
    kwPerGpu: 0.7,
    pue: 1.3,
    latencyMsByOrigin: { 'eu-users': 10 },
  },
];

let db: DataSource;
let drop: () => Promise<void>;
let ingest: RunningProcess;
let planner: RunningProcess;
let consumer: Consumer;
const orders: { key: string; messageId: string; order: PlacementOrderV1 }[] = [];

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  const { databaseUrl, kafkaBrokers } = services();
  await seedClusters(db, clusters);
  await seedJobs(db, [
    // 2,000 tokens/s per GPU → 7.2 M tokens per GPU-hour; 288 M tokens/h = 40 GPUs.
    {
      id: 'chat-eu',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2000 },
      tokensPerHour: 288_000_000,
      maxGpus: 64,
      latencySlaMs: 50,
    },
    // 20 GPU-hours of batch work due in 12 h, only in Germany or France.
    {
      id: 'embed-eu',
      kind: 'batch',
      tokensPerSecondPerGpu: { H100: 2000 },
      totalTokens: 144_000_000,
      deadline: new Date(h0 + 12 * 3_600_000).toISOString(),
      residency: ['DE-LU', 'FR'],
      maxGpus: 8,
    },
  ]);
  const common = {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: (db.options as { schema: string }).schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'info',
  };
  ingest = startNode('dist/apps/ingest/src/main.js', {
    ...common,
    PORT: '23111',
    INGEST_GROUP_ID: `t-pflow-${suffix}`,
  });
  planner = startNode('dist/apps/planner/src/main.js', {
    ...common,
    PORT: '23112',
    PLANNER_CRON: '0 0 1 1 *',
    PLANNER_LEASE_MS: '3000',
    PLANNER_DEBOUNCE_MS: '100',
    PLANNER_POLL_MS: '1000',
  });
  for (const [app, port] of [
    [ingest, 23111],
    [planner, 23112],
  ] as const) {
    await waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
  }
  consumer = kafka.consumer({ groupId: `t-pflow-${suffix}` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.placements, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const decoded = decodePlacementOrder(message.key, message.value);
      if (!decoded.ok) throw new Error(`invalid placement order: ${decoded.message}`);
      orders.push({
        key: String(message.key),
        messageId: String(message.headers?.['message-id']),
        order: decoded.value,
      });
      return Promise.resolve();
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  const codes = await Promise.all([planner?.stop(), ingest?.stop()]);
  await drop();
  // A clean stop: Nest re-raises SIGTERM after its shutdown hooks (no SIGKILL after the 15 s grace).
  for (const code of codes) expect([0, 'SIGTERM']).toContain(code);
});

describe('planner end to end', () => {
  it('turns price and load messages into a published schedule whose orders on Kafka equal it', async () => {
    const producer = new JsonProducer(kafka);
    try {
      await producer.send(
        topics.clusterLoad,
        clusters.map((c) => ({ key: c.id, value: loadMessage(c, c.gpuTotal / 2) })),
      );
      // Germany is expensive, France cheap, the Netherlands in between (USD/MWh, every hour the same).
      await producer.send(topics.prices, [
        { key: 'DE-LU', value: priceMessage('DE-LU', h0, 24, () => 120) },
        { key: 'FR', value: priceMessage('FR', h0, 24, () => 30) },
        { key: 'NL', value: priceMessage('NL', h0, 24, () => 60) },
      ]);
    } finally {
      await producer.disconnect();
    }

    // The schedule that saw all of it: published, no price or capacity assumption left.
    let schedule: { id: string; version: number; trigger: string } | undefined;
    await expect
      .poll(
        async () => {
          const rows = await db.query<
            { id: string; version: number; trigger: string; assumptions: { code: string }[] }[]
          >(
            `select id, version, trigger, assumptions from schedules where kind = 'plan' and status = 'published'
             order by version desc limit 1`,
          );
          const row = rows[0];
          schedule =
            row && !row.assumptions.some((a) => /^(price|capacity)-(missing|carried)/.test(a.code))
              ? row
              : undefined;
          return schedule !== undefined;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(true);
    const { id, version, trigger } = schedule!;
    expect(['price-change', 'capacity-change', 'day-ahead', 'startup']).toContain(trigger);

    const placements = await db.query<
      { cluster_id: string; job_id: string; slot_start: Date; gpus: number }[]
    >(`select cluster_id, job_id, slot_start, gpus from placements where schedule_id = $1`, [id]);
    // chat-eu needs 40 GPUs per hour; France (cheapest, 100 free GPUs, within the latency SLA) takes it all.
    const chat = placements.filter((p) => p.job_id === 'chat-eu');
    expect(new Set(chat.map((p) => p.cluster_id))).toEqual(new Set(['par-1']));
    expect(chat.every((p) => p.gpus === 40)).toBe(true);
    const affected = [...new Set(placements.map((p) => p.cluster_id))].sort();

    await expect
      .poll(() => orders.filter((o) => o.order.scheduleVersion === version).length, { timeout: 30_000 })
      .toBe(affected.length);
    for (const clusterId of affected) {
      const received = orders.filter((o) => o.order.scheduleVersion === version && o.key === clusterId);
      expect(received).toHaveLength(1);
      const { order, messageId } = received[0]!;
      expect(order.scheduleId).toBe(id);
      expect(order.clusterId).toBe(clusterId);
      expect(messageId).toBe(`placement:${id}:${clusterId}`);
      const fromKafka = order.slots
        .flatMap((s) => s.assignments.map((a) => `${a.jobId}@${Date.parse(s.start)}=${a.gpus}`))
        .sort();
      const fromDb = placements
        .filter((p) => p.cluster_id === clusterId)
        .map((p) => `${p.job_id}@${p.slot_start.getTime()}=${p.gpus}`)
        .sort();
      expect(fromKafka).toEqual(fromDb);
    }
    // Every order of a version supersedes the cluster's previous order, in version order.
    for (const clusterId of affected) {
      const versions = orders.filter((o) => o.key === clusterId).map((o) => o.order.scheduleVersion);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
    const metrics = await (await fetch('http://127.0.0.1:23112/metrics')).text();
    expect(metrics).toMatch(/gridshift_planner_plans_total\{[^}]*outcome="approved"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gridshift_planner_is_leader\{[^}]*\} 1/);
    expect(metrics).toContain('gridshift_outbox_published_total');
  });
});
