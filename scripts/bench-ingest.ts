// bench:ingest — price points per second from a real Kafka broker into PostgreSQL through apps/ingest,
// against a plain kafkajs consumer that only parses the same messages, in the same run.
//   npm run bench:ingest [-- --messages 10000] [--json FILE]
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import type { PriceMessageV1 } from '#gridshift/contracts';
import { findDataDir, SHIPPED_DATA } from '#gridshift/datasets';
import { createKafka, ensureTopics, FETCH_DEFAULTS, JsonProducer } from '#gridshift/messaging';
import { createDataSource, migrate } from '#gridshift/persistence';
import { topicNames } from '#gridshift/platform';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { ensureServices } from './lib/services.js';
import { partnerMessages } from './simulate-partner.js';
import { startNode, waitForHttp } from '../tests/support/processes.js';

const usage = `usage: npm run bench:ingest -- [--messages N] [--partitions N] [--json FILE]
  --messages N    day-ahead curves (24 points each) to ingest       (default: 40000)
  --partitions N  partitions of the bench topic                      (default: 3)
  --json FILE     also write the result row as JSON`;

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

async function main(): Promise<void> {
  const args = parseCli(usage, {
    messages: { type: 'string' },
    partitions: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean' },
  });
  const count = Number(args.messages ?? 40_000);
  const partitions = Number(args.partitions ?? 3);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--messages must be a positive integer');
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

  const admin = kafka.admin();
  await admin.connect();
  const rawSeconds = await rawConsume(kafka, topics.prices, count);

  const schema = `bench_ingest_${suffix}`;
  const ds = createDataSource({ url: databaseUrl, schema, poolMax: 2 });
  await ds.initialize();
  await migrate(ds);
  const port = 23190;
  const groupId = `bench-ingest-${suffix}-prices`;
  const app = startNode('dist/apps/ingest/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    INGEST_GROUP_ID: `bench-ingest-${suffix}`,
    LOG_LEVEL: 'warn',
    PORT: String(port),
  });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let seconds = 0;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
    const warm = await committedAt(admin, groupId, topics.prices, Math.ceil(count * WARMUP));
    seconds = ((await committedAt(admin, groupId, topics.prices, count)) - warm) / 1000;
    // After timing: what the planner reads (the resolved view) holds every point exactly once.
    const { rows } = await client.query<{ n: string }>(`select count(*) n from "${schema}".prices`);
    if (Number(rows[0]!.n) !== points)
      throw new Error(`the prices view holds ${rows[0]!.n} slots, expected ${points}`);
  } finally {
    await app.stop();
    await admin.disconnect();
    await client.end();
    await ds.query(`drop schema "${schema}" cascade`);
    await ds.destroy();
  }
  const row: Row = {
    messages: count,
    points,
    seconds: Number(seconds.toFixed(3)),
    pointsPerSec: Math.round((points * (1 - WARMUP)) / seconds),
    rawConsumePointsPerSec: Math.round((points * (1 - WARMUP)) / rawSeconds),
    ratio: Number((rawSeconds / seconds).toFixed(3)),
  };
  process.stdout.write(
    `\nproduced ${count} messages (${points} points) in ${produceSeconds.toFixed(2)} s\n\n`,
  );
  process.stdout.write(
    '| messages | points | seconds | points/s (ingest → PostgreSQL) | points/s (raw consume + parse) | ratio |\n',
  );
  process.stdout.write('|---:|---:|---:|---:|---:|---:|\n');
  process.stdout.write(
    `| ${row.messages} | ${row.points} | ${row.seconds} | ${row.pointsPerSec} | ${row.rawConsumePointsPerSec} | ${row.ratio} |\n`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify([row], null, 2)}\n`);
}

runCli(usage, main);
