import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { CONTENT_TYPE_JSON, HEADERS } from '#gridshift/contracts';
import { backoffMs, CompleteSender } from '#gridshift/messaging';
import { counter, gauge, histogram, type Logger } from '#gridshift/observability';
import { markPublished } from './lifecycle.js';

export interface OutboxRelayOptions {
  dataSource: DataSource;
  kafka: Kafka;
  /** Prepended to the outbox rows' logical topic (test isolation on a shared broker). */
  topicPrefix?: string;
  logger: Logger;
  registry?: import('prom-client').Registry;
  /** Rows read and sent per round trip (default 500). */
  batchSize?: number;
  /** Poll interval when nothing woke the relay (default 1000 ms). */
  pollMs?: number;
  /** Backoff after a failed send: base and cap (defaults 200 ms, 30 s), with jitter. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Compression of the Kafka batches (default gzip: a 5k-job order stays far below the broker's limit). */
  compression?: CompressionTypes;
}

interface OutboxRow {
  id: string;
  message_id: string;
  topic: string;
  message_key: string;
  payload: string;
  headers: Record<string, string>;
  schedule_id: string;
  schedule_version: number;
  cluster_id: string;
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
}

/**
 * The transactional outbox relay. Publishes pending rows in id order (= version order per cluster, since
 * approvals are serialised) with an idempotent producer (acks=all, one request in flight, key clusterId,
 * header message-id), marks them sent, and marks a schedule published once all its rows are sent. A failed
 * send is retried with backoff; a cluster whose oldest pending row is backing off sends nothing newer, so
 * per-cluster order holds. A crash between send and mark re-sends the same message ids (consumers dedupe).
 * Every database write declares the leader epoch, so a deposed relay's writes are rejected.
 */
export class OutboxRelay {
  private producer: Producer | null = null;
  /** Re-sends the partitions kafkajs leaves unacknowledged when a leader moves mid-send (see CompleteSender). */
  private sender: CompleteSender | null = null;
  private running = false;
  private starting: Promise<void> | null = null;
  private epoch = 0;
  private loop: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly metrics;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 1000;
    const registry: Registry | undefined = options.registry;
    this.metrics = registry
      ? {
          published: counter(registry, 'gridshift_outbox_published_total', 'Placement orders published'),
          failures: counter(
            registry,
            'gridshift_outbox_publish_failures_total',
            'Failed outbox send attempts',
          ),
          sendSeconds: histogram(registry, 'gridshift_outbox_send_seconds', 'Time to send one outbox batch'),
          backlog: gauge(registry, 'gridshift_outbox_backlog', 'Pending outbox rows'),
          oldestAge: gauge(
            registry,
            'gridshift_outbox_oldest_pending_age_seconds',
            'Age of the oldest pending outbox row',
          ),
        }
      : undefined;
  }

  /** True while the relay loop runs. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Starts relaying under `epoch` (the leader's). Resumes whatever is pending. Concurrent calls share one start. */
  start(epoch: number): Promise<void> {
    this.starting ??= this.doStart(epoch).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async doStart(epoch: number): Promise<void> {
    if (this.running) await this.stop();
    this.epoch = epoch;
    const producer = this.options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 5000 },
    });
    await producer.connect();
    this.producer = producer;
    this.sender = new CompleteSender(this.options.kafka);
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in flight. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
    await this.sender?.close().catch(() => undefined);
    this.sender = null;
  }

  /** Wakes the relay now (new rows were committed). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Pending rows and the age of the oldest one. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const rows = await this.options.dataSource.query<{ pending: number; age: number | null }[]>(
      `select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as age
       from outbox where status = 'pending'`,
    );
    const pending = rows[0]?.pending ?? 0;
    const oldestAgeSeconds = rows[0]?.age ?? 0;
    this.metrics?.backlog.set(pending);
    this.metrics?.oldestAge.set(oldestAgeSeconds);
    return { pending, oldestAgeSeconds };
  }

  private async sleep(msToWait: number): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, msToWait);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = null;
    this.woken = false;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = this.pollMs;
      try {
        const outcome = await this.relayOnce();
        if (outcome.sent > 0 || outcome.failed > 0) continue;
        if (outcome.nextAttemptInMs !== null)
          waitMs = Math.min(waitMs, Math.max(10, outcome.nextAttemptInMs));
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox relay round failed');
        waitMs = Math.min(5000, this.pollMs * 2);
      }
      await this.sleep(waitMs);
    }
  }

  /**
   * One round: read up to `batchSize` pending rows in id order, send the sendable ones, record the outcome.
   * Exposed for tests; the loop calls it.
   */
  async relayOnce(): Promise<{ sent: number; failed: number; nextAttemptInMs: number | null }> {
    const db = this.options.dataSource;
    const rows = await db.query<OutboxRow[]>(
      `select id::text as id, message_id, topic, message_key, payload::text as payload, headers, schedule_id,
              schedule_version, cluster_id, attempts, next_attempt_at, created_at
       from outbox where status = 'pending' order by outbox.id limit $1`,
      [this.batchSize],
    );
    const oldest = rows[0];
    this.metrics?.oldestAge.set(oldest ? (Date.now() - oldest.created_at.getTime()) / 1000 : 0);
    if (rows.length === 0) {
      this.metrics?.backlog.set(0);
      return { sent: 0, failed: 0, nextAttemptInMs: null };
    }
    // Per cluster, stop at the first row that is still backing off: nothing newer may overtake it.
    const now = Date.now();
    const blocked = new Set<string>();
    const sendable: OutboxRow[] = [];
    let nextAttemptInMs: number | null = null;
    for (const row of rows) {
      if (blocked.has(row.cluster_id)) continue;
      const wait = row.next_attempt_at.getTime() - now;
      if (wait > 0) {
        blocked.add(row.cluster_id);
        nextAttemptInMs = nextAttemptInMs === null ? wait : Math.min(nextAttemptInMs, wait);
        continue;
      }
      sendable.push(row);
    }
    if (sendable.length === 0) return { sent: 0, failed: 0, nextAttemptInMs };

    const byTopic = new Map<string, Message[]>();
    for (const row of sendable) {
      const topic = `${this.options.topicPrefix ?? ''}${row.topic}`;
      const messages = byTopic.get(topic) ?? [];
      messages.push({
        key: row.message_key,
        value: row.payload,
        headers: {
          ...row.headers,
          [HEADERS.messageId]: row.message_id,
          [HEADERS.contentType]: CONTENT_TYPE_JSON,
        },
      });
      byTopic.set(topic, messages);
    }
    const ids = sendable.map((r) => r.id);
    const timer = this.metrics?.sendSeconds.startTimer();
    try {
      await this.sender!.sendBatch(this.producer!, {
        acks: -1,
        compression: this.options.compression ?? CompressionTypes.GZIP,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      timer?.();
      this.metrics?.failures.inc(sendable.length);
      const attempts = Math.max(...sendable.map((r) => r.attempts)) + 1;
      const delay = backoffMs(
        attempts - 1,
        this.options.retryBaseMs ?? 200,
        this.options.retryCapMs ?? 30_000,
      );
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.warn(
        { err: error, rows: ids.length, attempts, delayMs: delay },
        'outbox send failed; backing off',
      );
      await this.inEpoch((m) =>
        m.query(
          `update outbox set attempts = attempts + 1, last_error = $2,
                  next_attempt_at = now() + $3 * interval '1 millisecond'
           where id = any($1::bigint[]) and status = 'pending'`,
          [ids, message.slice(0, 2000), delay],
        ),
      );
      return { sent: 0, failed: sendable.length, nextAttemptInMs: delay };
    }
    timer?.();
    const scheduleIds = [...new Set(sendable.map((r) => r.schedule_id))];
    const published = await this.inEpoch(async (m) => {
      await m.query(
        `update outbox set status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = null
         where id = any($1::bigint[]) and status = 'pending'`,
        [ids],
      );
      const complete = await m.query<{ id: string }[]>(
        `select s.id from schedules s where s.id = any($1::uuid[]) and s.status = 'approved'
           and not exists (select 1 from outbox o where o.schedule_id = s.id and o.status = 'pending')`,
        [scheduleIds],
      );
      return complete.length > 0
        ? markPublished(
            m,
            complete.map((c) => c.id),
          )
        : [];
    });
    this.metrics?.published.inc(sendable.length);
    if (published.length > 0) this.options.logger.info({ versions: published }, 'schedule published');
    return { sent: sendable.length, failed: 0, nextAttemptInMs };
  }

  private inEpoch<T>(work: (manager: import('typeorm').EntityManager) => Promise<T>): Promise<T> {
    return this.options.dataSource.transaction(async (manager) => {
      await manager.query(
        `select set_config('gridshift.leader_epoch', $1, true),
                set_config('idle_in_transaction_session_timeout', '10s', true)`,
        [String(this.epoch)],
      );
      return work(manager);
    });
  }
}
