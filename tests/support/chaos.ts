import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { JsonProducer, type OutgoingMessage } from '#gridshift/messaging';
import type { ChaosRow } from './chaos-rows.js';
import { CHAOS_BROKERS } from './chaos-global-setup.js';
import { services, uniqueSuffix } from './harness.js';
import { dayAheadCurve } from './ingest-fixtures.js';
import { runKafkaScript } from './kafka-scripts.js';
import { repoRoot, startNode, waitForHttp, type RunningProcess } from './processes.js';

// Shared by the chaos scenarios (tests/chaos): the private cluster and database (chaos-global-setup.ts), the apps
// started as an operator would, a paced price stream, and the scenario rows.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const clusterArgs = ['--brokers', String(CHAOS_BROKERS)];

/** Environment for infra/kafka and infra/postgres scripts acting on the chaos tier's private services. */
function infraEnv(): NodeJS.ProcessEnv {
  const dir = inject('chaosDir');
  return {
    ...process.env,
    KAFKA_PORT: String(inject('chaosKafkaPort')),
    KAFKA_CONTROLLER_PORT: String(inject('chaosKafkaControllerPort')),
    KAFKA_DATA_DIR: join(dir, 'kafka'),
    KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
    GRIDSHIFT_EMBEDDED_PG_DIR: join(dir, 'postgres'),
    GRIDSHIFT_EMBEDDED_PG_PORT: String(inject('chaosPostgresPort')),
    GRIDSHIFT_PG_MODE: 'embedded',
    DATABASE_URL: '',
  };
}

/** The private 3-broker cluster: start (idempotent: starts only nodes that do not run), SIGKILL one node. */
export const chaosKafka = {
  /** Starts every node that does not run and waits until all are registered; resolves with the seconds it took. */
  async start(): Promise<number> {
    const result = await runKafkaScript('start.sh', infraEnv(), clusterArgs);
    if (result.exitCode !== 0)
      throw new Error(`infra/kafka/start.sh --brokers 3 failed:\n${result.stdout}\n${result.stderr}`);
    return result.durationMs / 1000;
  },
  async nodePid(node: number): Promise<number> {
    const file = join(inject('chaosDir'), 'kafka', `node-${node}`, 'kafka.pid');
    return Number((await readFile(file, 'utf8')).trim());
  },
  /** SIGKILLs node `node` (1-based; its node id) and waits until the JVM is gone. */
  async kill(node: number): Promise<void> {
    const pid = await this.nodePid(node);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
    throw new Error(`Kafka node ${node} (pid ${pid}) still alive 5 s after SIGKILL`);
  },
};

/** Runs infra/postgres/url.mjs on the private instance; resolves with its stdout. */
async function postgresScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['infra/postgres/url.mjs', ...args],
      { cwd: repoRoot, env: infraEnv(), timeout: 120_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`infra/postgres/url.mjs ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** The private embedded PostgreSQL: start (idempotent; creates the database) and stop (`pg_ctl -m fast`). */
export const chaosPostgres = {
  async start(): Promise<void> {
    await postgresScript(['--database', 'gridshift_chaos']);
  },
  async stop(): Promise<void> {
    await postgresScript(['--stop']);
  },
};

/** Brings up the private cluster and database (each a no-op when already up). Call in each file's beforeAll. */
export async function ensureChaosServices(): Promise<void> {
  await Promise.all([chaosKafka.start(), chaosPostgres.start()]);
}

/** Starts an app from dist/ on the chaos services; `schema` and `prefix` isolate the scenario. */
export function startApp(
  app: 'ingest' | 'planner',
  opts: { schema: string; prefix: string; port: number; env?: Record<string, string> },
): RunningProcess {
  const { databaseUrl, kafkaBrokers } = services();
  return startNode(`dist/apps/${app}/src/main.js`, {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: opts.schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: opts.prefix,
    PORT: String(opts.port),
    ...opts.env,
  });
}

/** Waits for `/ready` of an app, failing with its output. */
export async function waitReady(app: RunningProcess, port: number, timeoutMs = 90_000): Promise<void> {
  await waitForHttp(`http://127.0.0.1:${port}/ready`, timeoutMs).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${app.output().slice(-4000)}`);
  });
}

/** `n` zones named CHAOS-AA.. for registration and keys. */
export function chaosZones(n: number): string[] {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length: n }, (_, i) => `CHAOS-${letters[Math.floor(i / 26)]}${letters[i % 26]}`);
}

/**
 * `count` one-point hourly price messages, message-ids `<scenario>-<000000 i>`: message i is zone i mod zones.length,
 * hour ⌊i / zones⌋ after 2023-01-01 — every message its own (zone, interval), so every one is its own stored row.
 */
export function priceStream(scenario: string, count: number, zones: readonly string[]): OutgoingMessage[] {
  const start = Date.parse('2023-01-01T00:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const zone = zones[i % zones.length]!;
    const hourMs = start + Math.floor(i / zones.length) * 3_600_000;
    return {
      key: zone,
      value: dayAheadCurve({
        zone,
        startUtc: new Date(hourMs).toISOString(),
        prices: [40 + (i % 50)],
        issuedAt: new Date(hourMs - 12 * 3_600_000).toISOString(),
      }),
      messageId: `${scenario}-${String(i).padStart(6, '0')}`,
    };
  });
}

/** Sends with the apps' producer settings (idempotent, acks=all), retrying a failed batch until it is acknowledged. */
export async function sendUntilAcked(
  producer: JsonProducer,
  topic: string,
  messages: OutgoingMessage[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await producer.send(topic, messages);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

/**
 * Sends `messages` in batches of `batchSize`, one batch every `intervalMs`; `onBatch(sentSoFar)` runs after each
 * acknowledged batch (the scenario injects its fault from there). Resolves with the message-ids acknowledged.
 */
export async function sendPaced(
  producer: JsonProducer,
  topic: string,
  messages: OutgoingMessage[],
  opts: { batchSize: number; intervalMs: number; onBatch?: (sentSoFar: number) => void },
): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < messages.length; i += opts.batchSize) {
    const started = Date.now();
    const batch = messages.slice(i, i + opts.batchSize);
    await sendUntilAcked(producer, topic, batch);
    for (const m of batch) sent.push(m.messageId!);
    opts.onBatch?.(sent.length);
    await sleep(Math.max(0, opts.intervalMs - (Date.now() - started)));
  }
  return sent;
}

/** Message-ids of the stored price rows whose message-id starts with `scenario-` (one entry per row). */
export async function storedPriceIds(db: DataSource, scenario: string): Promise<string[]> {
  const rows = await db.query<{ message_id: string }[]>(
    `select message_id from prices where message_id like $1`,
    [`${scenario}-%`],
  );
  return rows.map((r) => r.message_id);
}

/** Polls until every id in `ids` is stored; resolves with the seconds it took (throws after `timeoutMs`). */
export async function waitStored(
  db: DataSource,
  scenario: string,
  ids: readonly string[],
  timeoutMs = 120_000,
): Promise<number> {
  const started = Date.now();
  const want = new Set(ids);
  let missing = want.size;
  while (Date.now() - started < timeoutMs) {
    try {
      const stored = new Set(await storedPriceIds(db, scenario));
      missing = [...want].filter((id) => !stored.has(id)).length;
      if (missing === 0) return (Date.now() - started) / 1000;
    } catch {
      // the database may be restarting (the PostgreSQL scenario); poll again
    }
    await sleep(200);
  }
  throw new Error(`${missing} of ${want.size} ${scenario} messages not stored within ${timeoutMs} ms`);
}

/** Reads every record of `topic` from the beginning (read_committed) until none arrived for `idleMs`. */
export async function readRecords(
  kafka: Kafka,
  topic: string,
  idleMs = 5000,
): Promise<{ messageId: string; headers: Record<string, string> }[]> {
  const consumer = kafka.consumer({ groupId: `chaos-reader-${uniqueSuffix()}` });
  const records: { messageId: string; headers: Record<string, string> }[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        records.push({ messageId: headers['message-id'] ?? '', headers });
        last = Date.now();
        return Promise.resolve();
      },
    });
    const started = Date.now();
    while (Date.now() - last < idleMs || Date.now() - started < idleMs * 2) await sleep(200);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Prints the scenario's row and appends it for the run's table (printed and written by the global teardown). */
export function recordChaosRow(row: ChaosRow): void {
  appendFileSync(join(inject('chaosDir'), 'rows.jsonl'), `${JSON.stringify(row)}\n`);
  process.stdout.write(
    `chaos ${row.scenario}: sent ${row.sent}, stored ${row.stored}, lost ${row.lost}, duplicates ${row.duplicates}, recovery ${row.recoverySeconds} s\n`,
  );
}

/**
 * Samples how many of a scenario's prices are stored, every `intervalMs`, so a scenario can report the longest
 * stall: the longest time the stored count did not grow while messages were outstanding.
 */
export class StoreMonitor {
  private readonly samples: { at: number; stored: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly scenario: string,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    const tick = async () => {
      try {
        const [row] = await this.db.query<{ n: number }[]>(
          `select count(*)::int as n from prices where message_id like $1`,
          [`${this.scenario}-%`],
        );
        this.samples.push({ at: Date.now(), stored: row!.n });
      } catch {
        // the database is down (the PostgreSQL scenario): nothing stored since the last sample
        const last = this.samples.at(-1);
        if (last) this.samples.push({ at: Date.now(), stored: last.stored });
      }
      if (this.timer !== undefined) this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Seconds of the longest run without a stored count increase before everything (`total`) was stored. */
  longestStallSeconds(total: number): number {
    let longest = 0;
    let since = this.samples[0]?.at ?? 0;
    let last = -1;
    for (const s of this.samples) {
      if (s.stored > last) {
        last = s.stored;
        since = s.at;
      } else longest = Math.max(longest, s.at - since);
      if (s.stored >= total) break;
    }
    return longest / 1000;
  }
}

/** With GRIDSHIFT_CHAOS_LOGS=DIR, writes an app's output to DIR/<scenario>-<name>.log (for looking into a failure). */
export async function keepLog(
  scenario: string,
  name: string,
  app: RunningProcess | undefined,
): Promise<void> {
  const dir = process.env.GRIDSHIFT_CHAOS_LOGS;
  if (!dir || !app) return;
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${scenario}-${name}.log`), app.output());
}
