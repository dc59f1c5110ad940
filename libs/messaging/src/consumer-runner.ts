// The supervised Kafka consumer every input topic uses: batches, decoding, dead letters that always fit, restarts
// with backoff, lag and status. Kept in one file because its state machine (running / restarting / stopped) spans
// all of those.
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Registry } from 'prom-client';
import {
  deadLetterRecord,
  dlqTopic,
  estimatedRecordBytes,
  type ConsumerDeadLetterCode,
  type DeadLetterCode,
  type DeadLetterRecord,
} from '#gridshift/contracts';
import { counter, gauge, histogram, type Logger } from '#gridshift/observability';
import { backoffMs, isRetriable, NonRetriableMessageError } from './errors.js';
import { JsonProducer } from './producer.js';
import { BROKER_DEFAULT_MAX_MESSAGE_BYTES, topicMaxMessageBytes } from './topics.js';

/** What a decoder makes of one raw record. */
export type Decoded<T> =
  { ok: true; value: T } | { ok: false; code: DeadLetterCode | ConsumerDeadLetterCode; message: string };

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ConsumedRecord<T> extends RawRecord {
  decoded: T;
}

/** A record to dead-letter with its code and reason. */
export interface DeadRecord {
  record: RawRecord;
  code: DeadLetterCode | ConsumerDeadLetterCode;
  message: string;
}

/** Broker error types that mean "this record (batch) is too large for the topic". */
const TOO_LARGE_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

type LetterStage = 'fit' | 'reference' | 'minimal';

interface Letter {
  dead: DeadRecord;
  letter: DeadLetterRecord;
  stage: LetterStage;
}

/** True for a broker "too large" answer, also when kafkajs wrapped it (cause chain, aggregate errors). */
function isTooLarge(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const e = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && TOO_LARGE_ERRORS.has(e.type)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isTooLarge(inner, depth + 1))) return true;
  return e.cause !== error && isTooLarge(e.cause, depth + 1);
}

interface DecodedChunk<T> {
  valid: ConsumedRecord<T>[];
  dead: DeadRecord[];
}

export interface ConsumerRunnerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** Validates one record; invalid ones go to `<topic>.dlq` with the code and message. */
  decode: (record: RawRecord) => Decoded<T>;
  /**
   * Durably stores a chunk of valid records (idempotently: a replay changes nothing). It may return records it
   * refused for good (e.g. an unregistered zone); they are dead-lettered with their code, the rest count as stored.
   */
  store: (records: ConsumedRecord<T>[]) => Promise<void | DeadRecord[]>;
  logger: Logger;
  registry?: Registry;
  /** Records written per `store` call; offsets are committed after each chunk. */
  chunkSize?: number;
  retry?: { maxAttempts?: number; baseMs?: number; capMs?: number };
  dlqTopic?: (topic: string) => string;
  /**
   * Records dead letters once their DLQ topic took them (e.g. rows the admin API lists); retried like `store`
   * (retriable errors with backoff), before the offsets are committed. Must be idempotent per source record.
   */
  recordDeadLetters?: (letters: { dead: DeadRecord; dlqTopic: string }[]) => Promise<void>;
  /** Runs before each connect attempt (e.g. creating the topics); a failure counts as a crash and is retried. */
  prepare?: () => Promise<unknown>;
  /** Group session timeout (default 10 s): how long the coordinator waits for a member that vanished. */
  sessionTimeoutMs?: number;
  /** Backoff between restarts of a crashed consumer: capped exponential with jitter (defaults 500 ms, 10 s). */
  restart?: { baseMs?: number; capMs?: number };
  /** How often the lag is measured from the broker's offsets, whatever the consumer does (default 15 s; 0 = off). */
  lagPollMs?: number;
  /** Partitions processed at once (each partition stays in order); default 1. */
  partitionsConsumedConcurrently?: number;
  /** Bytes fetched per partition per request (per request: 4 partitions' worth, at least FETCH_DEFAULTS.maxBytes). */
  maxBytesPerPartition?: number;
}

/**
 * Fetch sizes. kafkajs fetches, then hands the batches to the workers, and fetches again only when they are
 * done, so each fetch round ends with idle time; large fetches (16 MiB per partition, thousands of messages)
 * make the rounds few and leave room to overlap decoding with storing inside a batch.
 */
export const FETCH_DEFAULTS = { maxBytesPerPartition: 16 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 } as const;

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type ConsumerState = 'running' | 'restarting' | 'stopped';
const CONSUMER_STATES: ConsumerState[] = ['running', 'restarting', 'stopped'];

/** What `/ready` and the metrics show of one consumer. */
export interface ConsumerStatus {
  groupId: string;
  topics: string[];
  state: ConsumerState;
  /** Why it is not running (the last crash, or the shutdown); null while running. */
  reason: string | null;
  /** When the consumer entered `state` (ISO 8601). */
  since: string;
  restarts: number;
  lastErrorAt: string | null;
  /** False until the consumer first joined its group (topics exist, partitions assigned). */
  hasRun: boolean;
}

/** A batch the runner gave up on (store retries exhausted, dead letter not written): the consumer restarts. */
export class BatchAbandonedError extends Error {
  // kafkajs retries errors not marked `retriable: false` itself, invisibly; we restart under supervision instead.
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BatchAbandonedError';
  }
}

/** A running consumer stays `running` this long before its restart backoff starts again from the base. */
const STABLE_AFTER_MS = 60_000;

/**
 * At-least-once consumer on kafkajs `eachBatch`: decode, dead-letter the invalid, store the valid in chunks,
 * commit each chunk's offsets only after the store resolved (and the dead letters were acknowledged).
 * Retriable store failures back off with jitter while heartbeating; when retries run out the batch fails
 * uncommitted and the consumer restarts from the last committed offset.
 *
 * Supervised: kafkajs 2.2.4 stops a consumer for good after a non-retriable error, a long broker outage or a
 * failed restart. Here every crash (and every failed start) leads to a fresh kafkajs consumer after a capped
 * exponential backoff with jitter, forever, until `stop()`; `status()` tells which state it is in and why.
 */
export class ConsumerRunner<T> {
  private consumer: Consumer | null = null;
  private readonly dlq: JsonProducer;
  private readonly chunkSize: number;
  private readonly maxAttempts: number;
  private readonly baseMs: number;
  private readonly capMs: number;
  private running = false;
  private readonly metrics;
  private readonly supervision;
  private state: ConsumerState = 'restarting';
  private reason: string | null = 'starting';
  private since = new Date();
  private restarts = 0;
  private lastErrorAt: Date | null = null;
  private hasRun = false;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private lagTimer: NodeJS.Timeout | null = null;
  private admin: Admin | null = null;
  /** Serialises start attempts and stop, so a stop never races a consumer being created. */
  private transition: Promise<void> = Promise.resolve();
  /** `max.message.bytes` of each dead-letter topic, read at each start (the broker default when unknown). */
  private dlqLimits = new Map<string, number>();

  constructor(private readonly options: ConsumerRunnerOptions<T>) {
    this.dlq = new JsonProducer(options.kafka);
    this.chunkSize = options.chunkSize ?? 1000;
    this.maxAttempts = options.retry?.maxAttempts ?? 8;
    this.baseMs = options.retry?.baseMs ?? 200;
    this.capMs = options.retry?.capMs ?? 10_000;
    const registry = options.registry;
    this.metrics = registry
      ? {
          messages: counter(registry, 'gridshift_consumer_messages_total', 'Records consumed by outcome', [
            'topic',
            'outcome',
            'code',
          ]),
          batchSeconds: histogram(registry, 'gridshift_consumer_batch_seconds', 'Chunk processing time', [
            'topic',
          ]),
          lag: gauge(registry, 'gridshift_consumer_lag', 'Records behind the high watermark', [
            'topic',
            'partition',
          ]),
          retries: counter(registry, 'gridshift_consumer_store_retries_total', 'Retried store attempts', [
            'topic',
          ]),
          deadLetterFailures: counter(
            registry,
            'gridshift_consumer_dead_letter_failures_total',
            'Failed dead-letter writes (retried; offsets stay uncommitted until the write succeeds)',
            ['topic'],
          ),
          deadLetterReferences: counter(
            registry,
            'gridshift_consumer_dead_letter_references_total',
            'Dead letters written as a reference (size, SHA-256, first KiB) because the value did not fit the DLQ topic',
            ['topic'],
          ),
        }
      : undefined;
    this.supervision = registry
      ? {
          state: gauge(
            registry,
            'gridshift_consumer_state',
            '1 for the state each consumer group is in (running, restarting, stopped), else 0',
            ['group', 'state'],
          ),
          restarts: counter(
            registry,
            'gridshift_consumer_restarts_total',
            'Consumer restarts after a crash',
            ['group'],
          ),
        }
      : undefined;
    this.setState('restarting', 'starting');
  }

  /** The consumer's state, the reason it is not running, and its restart count. */
  status(): ConsumerStatus {
    return {
      groupId: this.options.groupId,
      topics: [...this.options.topics],
      state: this.state,
      reason: this.reason,
      since: this.since.toISOString(),
      restarts: this.restarts,
      lastErrorAt: this.lastErrorAt?.toISOString() ?? null,
      hasRun: this.hasRun,
    };
  }

  private setState(state: ConsumerState, reason: string | null): void {
    if (state !== this.state) this.since = new Date();
    if (state === 'running') this.hasRun = true;
    this.state = state;
    this.reason = reason;
    for (const s of CONSUMER_STATES)
      this.supervision?.state.set({ group: this.options.groupId, state: s }, s === state ? 1 : 0);
  }

  private createConsumer(): Consumer {
    const perPartition = this.options.maxBytesPerPartition ?? FETCH_DEFAULTS.maxBytesPerPartition;
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      // A member that vanished without leaving (crash, broker restart) holds its partitions until its session
      // expires; the rebalance that hands them on waits that long. Batches heartbeat every second while they
      // store, so a short session is safe.
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: perPartition,
      maxBytes: Math.max(FETCH_DEFAULTS.maxBytes, 4 * perPartition),
      maxWaitTimeInMs: 500,
      // kafkajs restarts only some crashes, and a restart that fails is not retried: supervise them all here.
      // Its retry backoff is capped at 5 s (it was 30 s: after a long broker outage the next attempt came up to
      // 30 s after the broker was back — measured 30 s before, 10 s now, for a 50 s outage).
      retry: {
        retries: 5,
        initialRetryTime: 300,
        maxRetryTime: 5000,
        restartOnFailure: () => Promise.resolve(false),
      },
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (consumer === this.consumer && this.running) this.setState('running', null);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (consumer !== this.consumer) return;
      const error: unknown = event.payload.error;
      this.onCrash(error);
    });
    return consumer;
  }

  /**
   * Starts consuming in the background and returns at once: connecting, joining the group and every restart
   * happen under supervision (see `status()`), so a process can serve `/health` whatever Kafka does.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
    const lagPollMs = this.options.lagPollMs ?? 15_000;
    if (lagPollMs > 0 && this.metrics) {
      this.lagTimer = setInterval(() => void this.measureLag(), lagPollMs);
      this.lagTimer.unref();
    }
  }

  /** Starts and resolves once the consumer joined its group (tests, tools); rejects after `timeoutMs`. */
  async startAndWait(timeoutMs = 60_000): Promise<void> {
    this.start();
    const deadline = Date.now() + timeoutMs;
    while (this.state !== 'running') {
      if (Date.now() > deadline)
        throw new Error(`consumer ${this.options.groupId} not running: ${this.reason}`);
      await sleep(50);
    }
  }

  /** Stops after the in-flight chunk: its offsets are committed only if it was stored, so nothing is lost. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.restartTimer = null;
    this.lagTimer = null;
    await this.transition;
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch(() => undefined);
    await this.dlq.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
    this.setState('stopped', 'stopped by shutdown');
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.transition = this.transition.then(() => this.connectAndRun());
    }, delayMs);
  }

  /** One attempt: a fresh kafkajs consumer, connected, subscribed and running; a failure schedules the next. */
  private async connectAndRun(): Promise<void> {
    if (!this.running) return;
    const previous = this.consumer;
    this.consumer = null;
    await previous?.disconnect().catch(() => undefined);
    const consumer = this.createConsumer();
    this.consumer = consumer;
    try {
      await this.options.prepare?.();
      await this.readDlqLimits();
      await this.dlq.connect();
      await consumer.connect();
      await consumer.subscribe({
        topics: this.options.topics,
        fromBeginning: this.options.fromBeginning ?? true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.onBatch(consumer, payload),
      });
      if (this.consumer === consumer && this.running && this.state !== 'running')
        this.setState('running', null);
    } catch (error) {
      if (this.consumer === consumer) this.onCrash(error);
    }
  }

  private async readDlqLimits(): Promise<void> {
    const targets = this.options.topics.map((t) => this.dlqTopicOf(t));
    // A missing dead-letter topic must not keep the consumer from starting: its writes retry until it exists.
    this.dlqLimits = await topicMaxMessageBytes(this.options.kafka, targets).catch((error: unknown) => {
      this.options.logger.warn(
        { topics: targets, err: error instanceof Error ? error.message : String(error) },
        "could not read the dead-letter topics' max.message.bytes",
      );
      return new Map<string, number>();
    });
    for (const target of targets) {
      if (!this.dlqLimits.has(target)) {
        this.options.logger.warn(
          { topic: target, assumedBytes: BROKER_DEFAULT_MAX_MESSAGE_BYTES },
          'dead-letter topic limit unknown; assuming the broker default',
        );
      }
    }
  }

  private onCrash(error: unknown): void {
    if (!this.running) return;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (this.state === 'running' && Date.now() - this.since.getTime() > STABLE_AFTER_MS)
      this.restartAttempt = 0;
    const delay = backoffMs(
      this.restartAttempt,
      this.options.restart?.baseMs ?? 500,
      this.options.restart?.capMs ?? 10_000,
    );
    this.restartAttempt += 1;
    this.restarts += 1;
    this.lastErrorAt = new Date();
    this.supervision?.restarts.inc({ group: this.options.groupId });
    this.setState('restarting', message);
    this.options.logger.error(
      { group: this.options.groupId, err: message, restarts: this.restarts, delayMs: delay },
      'consumer stopped; restarting',
    );
    this.schedule(delay);
  }

  /** Lag per partition from the broker (high watermark − committed offset): measured even when nothing consumes. */
  private async measureLag(): Promise<void> {
    try {
      this.admin ??= this.options.kafka.admin({ retry: { retries: 0 } });
      await this.admin.connect();
      const committed = await this.admin.fetchOffsets({
        groupId: this.options.groupId,
        topics: this.options.topics,
      });
      for (const { topic, partitions } of committed) {
        const ends = await this.admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const offset = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          const from = BigInt(offset) >= 0n ? BigInt(offset) : BigInt(end.low);
          const lag = BigInt(end.high) - from;
          this.metrics?.lag.set({ topic, partition: String(end.partition) }, Number(lag > 0n ? lag : 0n));
        }
      }
    } catch (error) {
      this.options.logger.debug({ err: error, group: this.options.groupId }, 'lag not measured');
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
    }
  }

  private async onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    // kafkajs heartbeats only when asked: keep the membership while a chunk is stored (short session timeout).
    const heartbeats = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    const isRunning = () => payload.isRunning();
    const isStale = () => payload.isStale();
    const { topic, partition } = batch;
    // Two-stage pipeline: chunk i+1 is decoded (CPU) while chunk i is being stored (database I/O). Chunks are
    // stored and committed strictly in order; if a store fails, the chunks after it are neither stored nor
    // committed, and kafkajs redelivers from the last committed offset.
    let inFlight: Promise<void> | undefined;
    try {
      for (let i = 0; i < batch.messages.length; i += this.chunkSize) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(i, i + this.chunkSize);
        const last = chunk[chunk.length - 1];
        if (!last) continue;
        const timer = this.metrics?.batchSeconds.startTimer({ topic }); // decode to commit
        const decoded = this.decodeChunk(topic, partition, chunk);
        if (inFlight) await inFlight;
        inFlight = undefined;
        if (!isRunning() || isStale()) break;
        inFlight = this.persistChunk(topic, decoded, heartbeat, isRunning).then(async () => {
          payload.resolveOffset(last.offset);
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
          timer?.();
          await heartbeat();
        });
        // Handled where it is awaited (next chunk, or finally); this only stops an early unhandled-rejection report.
        inFlight.catch(() => undefined);
      }
      if (inFlight) await inFlight; // the last chunk
      inFlight = undefined;
    } catch (error) {
      // Never leave a store running unobserved.
      if (inFlight) await inFlight.catch(() => undefined);
      // kafkajs's own errors (rebalance, coordinator moved, broker gone) keep kafkajs's handling.
      if (error instanceof Error && error.name.startsWith('KafkaJS')) throw error;
      throw new BatchAbandonedError(
        `batch ${topic}[${partition}] abandoned: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    } finally {
      clearInterval(heartbeats);
    }
    this.metrics?.lag.set({ topic, partition: String(partition) }, Number(batch.offsetLag()));
  }

  private decodeChunk(topic: string, partition: number, messages: KafkaMessage[]): DecodedChunk<T> {
    const valid: ConsumedRecord<T>[] = [];
    const dead: DeadRecord[] = [];
    for (const message of messages) {
      const record: RawRecord = {
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: headersToStrings(message.headers),
      };
      let decoded: Decoded<T>;
      try {
        decoded = this.options.decode(record);
      } catch (error) {
        decoded = {
          ok: false,
          code: 'DECODE_FAILED',
          message: error instanceof Error ? error.message : String(error),
        };
      }
      if (decoded.ok) {
        const consumed = record as ConsumedRecord<T>;
        consumed.decoded = decoded.value; // the record becomes the consumed record (no copy per message)
        valid.push(consumed);
      } else dead.push({ record, code: decoded.code, message: decoded.message });
    }
    return { valid, dead };
  }

  private async persistChunk(
    topic: string,
    { valid, dead }: DecodedChunk<T>,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    let rejectedByStore = 0;
    if (valid.length > 0) {
      const rejected = await this.storeWithRetry(topic, valid, heartbeat, isRunning);
      rejectedByStore = rejected.length;
      dead.push(...rejected);
    }
    if (dead.length > 0) {
      await this.deadLetter(dead, heartbeat, isRunning);
      await this.recordDeadLetters(topic, dead, heartbeat, isRunning);
    }
    for (const d of dead) {
      this.options.logger.warn(
        { topic, partition: d.record.partition, offset: d.record.offset, code: d.code, reason: d.message },
        'record dead-lettered',
      );
      this.metrics?.messages.inc({ topic, outcome: 'dead_lettered', code: d.code });
    }
    this.metrics?.messages.inc({ topic, outcome: 'accepted', code: '' }, valid.length - rejectedByStore);
  }

  /** Stores with retries; a chunk rejected non-retriably is split so only the offending records are dead-lettered. */
  private async storeWithRetry(
    topic: string,
    records: ConsumedRecord<T>[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<DeadRecord[]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await this.options.store(records)) ?? [];
      } catch (error) {
        if (!isRetriable(error)) {
          if (records.length === 1) {
            const only = records[0]!;
            const code = error instanceof NonRetriableMessageError ? error.code : 'STORE_REJECTED';
            return [{ record: only, code, message: error instanceof Error ? error.message : String(error) }];
          }
          const mid = Math.ceil(records.length / 2);
          const left = await this.storeWithRetry(topic, records.slice(0, mid), heartbeat, isRunning);
          const right = await this.storeWithRetry(topic, records.slice(mid), heartbeat, isRunning);
          return [...left, ...right];
        }
        if (attempt + 1 >= this.maxAttempts || !isRunning()) throw error;
        this.metrics?.retries.inc({ topic });
        const delay = backoffMs(attempt, this.baseMs, this.capMs);
        this.options.logger.warn(
          {
            topic,
            attempt: attempt + 1,
            delayMs: delay,
            err: error instanceof Error ? error.message : String(error),
          },
          'store failed, retrying',
        );
        // Sleep in short slices so the group keeps our membership while the database is away.
        for (let waited = 0; waited < delay && isRunning(); waited += 1000) {
          await sleep(Math.min(1000, delay - waited));
          await heartbeat();
        }
      }
    }
  }

  /** `recordDeadLetters` with retries of retriable errors (a non-retriable one is logged: Kafka has the letters). */
  private async recordDeadLetters(
    topic: string,
    dead: DeadRecord[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const record = this.options.recordDeadLetters;
    if (!record) return;
    const letters = dead.map((d) => ({ dead: d, dlqTopic: this.dlqTopicOf(d.record.topic) }));
    for (let attempt = 0; ; attempt += 1) {
      try {
        await record(letters);
        return;
      } catch (error) {
        const err = error instanceof Error ? error.message : String(error);
        if (!isRetriable(error)) {
          this.options.logger.error({ topic, err }, 'dead letters written to Kafka but not recorded');
          return;
        }
        if (attempt + 1 >= this.maxAttempts || !isRunning()) throw error;
        this.metrics?.retries.inc({ topic });
        const delay = backoffMs(attempt, this.baseMs, this.capMs);
        this.options.logger.warn(
          { topic, attempt: attempt + 1, delayMs: delay, err },
          'recording dead letters failed, retrying',
        );
        for (let waited = 0; waited < delay && isRunning(); waited += 1000) {
          await sleep(Math.min(1000, delay - waited));
          await heartbeat();
        }
      }
    }
  }

  private dlqTopicOf(topic: string): string {
    return (this.options.dlqTopic ?? dlqTopic)(topic);
  }

  /**
   * Writes the dead letters, each as the original record when it fits its DLQ topic's `max.message.bytes`, else
   * as a reference (see deadLetterRecord). Records go in groups that fit one batch. A group the broker refuses
   * as too large is resent record by record, a refused record as a reference, then as a minimal one. Any other
   * failure (broker away, topic missing) is retried with backoff while heartbeating for as long as the consumer
   * runs — logged and counted, never skipped: the offsets stay uncommitted until the dead letters are written.
   */
  private async deadLetter(
    dead: DeadRecord[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const byTopic = new Map<string, DeadRecord[]>();
    for (const d of dead) {
      const target = this.dlqTopicOf(d.record.topic);
      byTopic.set(target, [...(byTopic.get(target) ?? []), d]);
    }
    for (const [target, items] of byTopic) {
      const limit = this.dlqLimits.get(target) ?? BROKER_DEFAULT_MAX_MESSAGE_BYTES;
      const letters: Letter[] = items.map((d) => ({
        dead: d,
        letter: this.letterOf(d, limit, 'fit'),
        stage: 'fit',
      }));
      // Groups whose estimated total fits one record batch (kafkajs sends one batch per partition per request).
      let group: Letter[] = [];
      let groupBytes = 0;
      const budget = limit / 2;
      for (const item of letters) {
        const bytes = estimatedRecordBytes(item.letter);
        if (group.length > 0 && groupBytes + bytes > budget) {
          await this.sendLetters(target, group, limit, heartbeat, isRunning);
          group = [];
          groupBytes = 0;
        }
        group.push(item);
        groupBytes += bytes;
      }
      if (group.length > 0) await this.sendLetters(target, group, limit, heartbeat, isRunning);
    }
  }

  /** `fit`: the original when it fits `limit`, else a reference; `reference`: always one; `minimal`: no key or original headers. */
  private letterOf(d: DeadRecord, limit: number, stage: LetterStage): DeadLetterRecord {
    return deadLetterRecord(
      {
        code: d.code,
        message: d.message,
        sourceTopic: d.record.topic,
        sourcePartition: d.record.partition,
        sourceOffset: d.record.offset,
        originalHeaders: d.record.headers,
        key: d.record.key,
        value: d.record.value,
      },
      stage === 'fit' ? limit : 0,
      stage === 'minimal',
    );
  }

  private async sendLetters(
    target: string,
    group: Letter[],
    limit: number,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.dlq.sendRaw(
          target,
          group.map(({ letter }) => ({ key: letter.key, value: letter.value, headers: letter.headers })),
        );
        for (const { letter } of group) {
          if (letter.valueKind === 'reference') this.metrics?.deadLetterReferences.inc({ topic: target });
        }
        return;
      } catch (error) {
        this.metrics?.deadLetterFailures.inc({ topic: target });
        if (isTooLarge(error)) {
          if (group.length > 1) {
            for (const item of group) await this.sendLetters(target, [item], limit, heartbeat, isRunning);
            return;
          }
          const only = group[0]!;
          if (only.stage !== 'minimal') {
            // Our estimate of the limit was off (or the topic changed since start): send a smaller dead letter.
            const stage = only.stage === 'fit' ? 'reference' : 'minimal';
            this.options.logger.warn(
              { topic: target, offset: only.dead.record.offset, stage },
              'dead letter refused as too large; sending a smaller one',
            );
            const letter = this.letterOf(only.dead, limit, stage);
            await this.sendLetters(target, [{ dead: only.dead, letter, stage }], limit, heartbeat, isRunning);
            return;
          }
        }
        if (!isRunning()) throw error;
        const delay = backoffMs(attempt, this.baseMs, this.capMs);
        this.options.logger.error(
          {
            topic: target,
            attempt: attempt + 1,
            delayMs: delay,
            records: group.length,
            err: error instanceof Error ? error.message : String(error),
          },
          'dead-letter write failed; retrying (offsets stay uncommitted)',
        );
        for (let waited = 0; waited < delay && isRunning(); waited += 1000) {
          await sleep(Math.min(1000, delay - waited));
          await heartbeat();
        }
      }
    }
  }
}
