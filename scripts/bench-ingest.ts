// bench:ingest — price points per second from a real Kafka broker into PostgreSQL through apps/ingest,
// against a plain kafkajs consumer that only parses the same messages, in the same run.
//   npm run bench:ingest [-- --messages 40000] [--runs 3] [--json FILE]
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import type { PriceMessageV1 } from '#gridshift/contracts';
import { findDataDir, SHIPPED_DATA } from '#gridshift/datasets';
import { createKafka, ensureTopics, FETCH_DEFAULTS, JsonProducer } from '#gridshift/messaging';
import { countRows, createDataSource, dropSchema, FleetRepository, migrate } from '#gridshift/persistence';
import { topicNames } from '#gridshift/platform';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { ensureServices } from './lib/services.js';
import { partnerMessages } from './simulate-partner.js';
import { startNode, waitForHttp } from '../tests/support/processes.js';

const usage = `usage: npm run bench:ingest -- [--messages N] [--partitions N] [--runs N] [--json FILE]
  --messages N    day-ahead curves (24 points each) to ingest       (default: 40000)
  --partitions N  partitions of the bench topic                      (default: 3)
  --runs N        reference and ingest runs, taking turns; the summary is their median (default: 3)
  --json FILE     also write the median row as JSON`;

interface Row {
  messages: number;
  points: number;
  seconds: number;
  pointsPerSec: number;
  rawConsumePointsPerSec: number;
  ratio: number;
}

/** Real curves (8 zones × 31 days of March 2023), repeated under distinct partner ids to reach `count`. */
function benchMessages(count: number): PriceMessageV1[] {
  const base = partnerMessages({
    dataDir: findDataDir(),
    zones: [...SHIPPED_DATA.priceZones],
    fromUtc: '2023-03-01T00:00:00Z',
    toUtc: '2023-04-01T00:00:00Z',
    partnerId: 'bench',
  }).map((m) => m.value);
  return Array.from({ length: count }, (_, i) => ({
    ...base[i % base.length]!,
    partnerId: `bench-${Math.floor(i / base.length)}`,
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Both consumers are timed over the same part of the stream — from the moment WARMUP of the messages are done
 * to the moment all are — so their start-up (group join, first fetch, JIT warm-up, app boot) is left out of
 * both and the figures are steady-state throughput.
 */
const WARMUP = 0.1;

/** When `groupId` has committed `target` offsets on `topic`: ingest commits a chunk only after its rows are in PostgreSQL. */
async function committedAt(admin: Admin, groupId: string, topic: string, target: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const [offsets] = await admin
      .fetchOffsets({ groupId, topics: [topic] })
      .catch(() => [{ partitions: [] as { offset: string }[] }]);
    const committed = (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    if (committed >= target) return performance.now();
    await sleep(25);
  }
  throw new Error(`${groupId} did not commit ${target} messages of ${topic} in 10 minutes`);
}

/** Seconds for a plain kafkajs consumer to fetch and parse the messages after the warm-up share. */
async function rawConsume(kafka: Kafka, topic: string, total: number): Promise<number> {
  // The same fetch sizes as the ingest app, so the reference differs from it only in what it does per message.
  const consumer = kafka.consumer({
    groupId: `bench-raw-${Date.now()}`,
    maxBytesPerPartition: FETCH_DEFAULTS.maxBytesPerPartition,
    maxBytes: FETCH_DEFAULTS.maxBytes,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let warm = 0;
  let resolveDone: (at: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        JSON.parse(String(message.value));
        seen += 1;
        if (warm === 0 && seen >= total * WARMUP) warm = performance.now();
      }
      await Promise.resolve();
      if (seen >= total) resolveDone(performance.now());
    },
  });
  try {
    return ((await done) - warm) / 1000;
  } finally {
    await consumer.disconnect();
  }
}

interface Setup {
  databaseUrl: string;
  brokers: string[];
  admin: Admin;
  prefix: string;
  topic: string;
  count: number;
  points: number;
}

/** One ingest run: a fresh schema and app (its own consumer group) over the whole topic; seconds of the window. */
async function ingestOnce(setup: Setup, run: number): Promise<number> {
  const { databaseUrl, brokers, admin, prefix, topic, count, points } = setup;
  const suffix = `${Math.random().toString(16).slice(2, 8)}_${run}`;
  const schema = `bench_ingest_${suffix}`;
  const ds = createDataSource({ url: databaseUrl, schema, poolMax: 2 });
  await ds.initialize();
  await migrate(ds);
  // The ingest takes prices only for registered zones.
  const fleet = new FleetRepository(ds);
  for (const zone of SHIPPED_DATA.priceZones)
    await fleet.upsertZone({ id: zone, name: zone, currency: 'EUR', timeZone: 'UTC' });
  const port = 23190 + run;
  const groupId = `bench-ingest-${suffix}`;
  const app = startNode('dist/apps/ingest/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    INGEST_GROUP_ID: groupId,
    LOG_LEVEL: 'warn',
    PORT: String(port),
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
    const warm = await committedAt(admin, `${groupId}-prices`, topic, Math.ceil(count * WARMUP));
    const seconds = ((await committedAt(admin, `${groupId}-prices`, topic, count)) - warm) / 1000;
    // After timing: what the planner reads (the resolved view) holds every point exactly once.
    const stored = await countRows(ds, 'prices');
    if (stored !== points) throw new Error(`the prices view holds ${stored} slots, expected ${points}`);
    return seconds;
  } finally {
    await app.stop();
    await dropSchema(ds);
    await ds.destroy();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function rowOf(count: number, points: number, seconds: number, rawSeconds: number): Row {
  return {
    messages: count,
    points,
    seconds: Number(seconds.toFixed(3)),
    pointsPerSec: Math.round((points * (1 - WARMUP)) / seconds),
    rawConsumePointsPerSec: Math.round((points * (1 - WARMUP)) / rawSeconds),
    ratio: Number((rawSeconds / seconds).toFixed(3)),
  };
}

/**
 * The reference in a fresh Node process of its own, as the ingest app is: a consumer warmed up by earlier runs
 * in this process would be measured faster than a first run.
 */
async function rawConsumeInChild(
  brokers: string[],
  topic: string,
  total: number,
  run: number,
): Promise<number> {
  const child = startNode('dist/scripts/bench-ingest.js', {
    BENCH_RAW_CHILD: JSON.stringify({ brokers, topic, total, run }),
  });
  const code = await child.exited;
  const found = /RAW_SECONDS=([0-9.]+)/.exec(child.output());
  if (code !== 0 || !found)
    throw new Error(`the reference consumer failed (exit ${code}):\n${child.output()}`);
  return Number(found[1]);
}

async function rawChild(spec: string): Promise<void> {
  const { brokers, topic, total, run } = JSON.parse(spec) as {
    brokers: string[];
    topic: string;
    total: number;
    run: number;
  };
  const kafka = createKafka({ brokers, clientId: `bench-raw-${run}` });
  process.stdout.write(`RAW_SECONDS=${await rawConsume(kafka, topic, total)}\n`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_RAW_CHILD) return rawChild(process.env.BENCH_RAW_CHILD);
  const args = parseCli(usage, {
    messages: { type: 'string' },
    partitions: { type: 'string' },
    runs: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean' },
  });
  const count = Number(args.messages ?? 40_000);
  const partitions = Number(args.partitions ?? 3);
  const runs = Number(args.runs ?? 3);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--messages must be a positive integer');
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new UsageError('--runs must be 1..20');
  const { databaseUrl, brokers } = ensureServices({ quiet: true });
  const suffix = Math.random().toString(16).slice(2, 8);
  const prefix = `bench-ingest-${suffix}.`;
  const topics = topicNames(prefix);
  const kafka = createKafka({ brokers, clientId: 'bench-ingest' });
  await ensureTopics(
    kafka,
    [topics.prices, topics.pricesDlq, topics.clusterLoad, topics.clusterLoadDlq, topics.placements].map(
      (topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 }),
    ),
  );

  const messages = benchMessages(count);
  const points = messages.reduce((s, m) => s + m.points.length, 0);
  const producer = new JsonProducer(kafka);
  const produceStart = performance.now();
  for (let i = 0; i < messages.length; i += 200)
    await producer.send(
      topics.prices,
      messages.slice(i, i + 200).map((m) => ({ key: m.zone, value: m })),
    );
  await producer.disconnect();
  const produceSeconds = (performance.now() - produceStart) / 1000;
  process.stdout.write(`produced ${count} messages (${points} points) in ${produceSeconds.toFixed(2)} s\n`);

  const admin = kafka.admin();
  await admin.connect();
  const setup: Setup = { databaseUrl, brokers, admin, prefix, topic: topics.prices, count, points };
  // The reference and ingest take turns, so drift in the machine's load hits both alike.
  const rows: Row[] = [];
  const rawRuns: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const rawSeconds = await rawConsumeInChild(brokers, topics.prices, count, run);
      const seconds = await ingestOnce(setup, run);
      rows.push(rowOf(count, points, seconds, rawSeconds));
      rawRuns.push(rawSeconds);
      process.stdout.write(
        `run ${run + 1}/${runs}: ingest ${seconds.toFixed(3)} s, raw ${rawSeconds.toFixed(3)} s\n`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  const summary = rowOf(count, points, median(rows.map((r) => r.seconds)), median(rawRuns));
  process.stdout.write(
    '\n| run | messages | points | seconds | points/s (ingest → PostgreSQL) | points/s (raw consume + parse) | ratio |\n',
  );
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|\n');
  const line = (name: string, r: Row) =>
    `| ${name} | ${r.messages} | ${r.points} | ${r.seconds} | ${r.pointsPerSec} | ${r.rawConsumePointsPerSec} | ${r.ratio} |\n`;
  rows.forEach((r, i) => process.stdout.write(line(String(i + 1), r)));
  process.stdout.write(line('**median**', summary));
  if (args.json) writeFileSync(args.json, `${JSON.stringify([summary], null, 2)}\n`);
}

runCli(usage, main);
