import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { CONTENT_TYPE_JSON, HEADERS } from '#gridshift/contracts';
import { backoffMs, CompleteSender } from '#gridshift/messaging';
import { counter, gauge, histogram, type Logger } from '#gridshift/observability';
import { OutboxRepository, PlannerLeaseRepository, type PendingOutboxRow } from '#gridshift/persistence';
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
  /**
   * Kafka transactional id shared by every relay of one deployment (default `gridshift-outbox-relay.<prefix>`):
   * a relay that starts fences the producer of any earlier one, so a deposed relay cannot publish.
   */
  transactionalId?: string;
  /** Awaited after a batch was claimed and right before it is sent (tests pause a relay there). */
  beforeSend?: () => Promise<void>;
  /** Checked before each batch (the leader's local view of its lease); false stops the relay at once. */
  stillLeading?: () => boolean;
}

/** The relay lost the lease (the lease row names a newer epoch, or the leader says it no longer leads). */
export class RelayLeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelayLeaseLostError';
  }
}

/**
 * The transactional outbox relay. Publishes pending rows in id order (= version order per cluster, since
 * approvals are serialised) with an idempotent producer (acks=all, one request in flight, key clusterId,
 * header message-id), marks them sent, and marks a schedule published once all its rows are sent. A failed
 * send is retried with backoff; a cluster whose oldest pending row is backing off sends nothing newer, so
 * per-cluster order holds. A crash between send and mark re-sends the same message ids (consumers dedupe).
 *
 * Fenced end to end, so a deposed relay that still runs (paused, partitioned) publishes nothing:
 * 1. each batch runs in one database transaction that first reads the lease row `for share` and checks its
 *    epoch (a takeover, which bumps the epoch, waits for the transaction), then claims the rows `for update`,
 *    sends, and marks them sent — every write also carries the epoch for the fencing trigger;
 * 2. the send is a Kafka transaction of a producer whose transactional id every relay shares: a new relay's
 *    producer fences the old one (its sends and commit fail, its open transaction is aborted), so even a batch
 *    that was on the wire when the relay was paused never becomes visible to read_committed consumers;
 * 3. the leader's local view of its lease (`stillLeading`) is checked before each batch.
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
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
    this.epoch = epoch;
    await this.connectProducer();
    this.running = true;
    this.loop = this.run();
  }

  /** A transactional producer; connecting it fences every earlier producer with the same transactional id. */
  private async connectProducer(): Promise<Producer> {
    const producer = this.options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionalId:
        this.options.transactionalId ?? `gridshift-outbox-relay.${this.options.topicPrefix ?? ''}`,
      transactionTimeout: 30_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 5000 },
    });
    await producer.connect();
    // kafkajs registers the transactional id (InitProducerId, which fences earlier producers and aborts their
    // open transaction) only when the first transaction begins: do it now, before any batch is claimed.
    const init = await producer.transaction();
    await init.abort();
    this.producer = producer;
    this.sender ??= new CompleteSender(this.options.kafka);
    return producer;
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
    const { pending, oldestAgeSeconds } = await new OutboxRepository(this.options.dataSource).backlog();
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
        if (error instanceof RelayLeaseLostError) {
          this.options.logger.warn(
            { epoch: this.epoch, reason: error.message },
            'outbox relay stopped: lease lost',
          );
          this.running = false;
          await this.producer?.disconnect().catch(() => undefined);
          this.producer = null;
          break;
        }
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
    if (this.options.stillLeading && !this.options.stillLeading())
      throw new RelayLeaseLostError(`this process no longer leads (epoch ${this.epoch})`);
    return this.inEpoch((m) => this.relayBatch(m));
  }

  /** One batch inside the fenced transaction: lease check, claim, send, record the outcome. */
  private async relayBatch(
    m: EntityManager,
  ): Promise<{ sent: number; failed: number; nextAttemptInMs: number | null }> {
    // `for share`: a takeover bumps the epoch with an update of this row, so it waits for this transaction.
    const leaseEpoch = await new PlannerLeaseRepository(m).epochForShare();
    if (leaseEpoch !== this.epoch)
      throw new RelayLeaseLostError(
        `lease epoch is ${leaseEpoch ?? 'missing'}, this relay's is ${this.epoch}`,
      );
    const outbox = new OutboxRepository(m);
    const rows = await outbox.claimPending(this.batchSize);
    const oldest = rows[0];
    this.metrics?.oldestAge.set(oldest ? (Date.now() - oldest.createdAt.getTime()) / 1000 : 0);
    if (rows.length === 0) {
      this.metrics?.backlog.set(0);
      return { sent: 0, failed: 0, nextAttemptInMs: null };
    }
    // Per cluster, stop at the first row that is still backing off: nothing newer may overtake it.
    const now = Date.now();
    const blocked = new Set<string>();
    const sendable: PendingOutboxRow[] = [];
    let nextAttemptInMs: number | null = null;
    for (const row of rows) {
      if (blocked.has(row.clusterId)) continue;
      const wait = row.nextAttemptAt.getTime() - now;
      if (wait > 0) {
        blocked.add(row.clusterId);
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
        key: row.messageKey,
        value: row.payload,
        headers: {
          ...row.headers,
          [HEADERS.messageId]: row.messageId,
          [HEADERS.contentType]: CONTENT_TYPE_JSON,
        },
      });
      byTopic.set(topic, messages);
    }
    const ids = sendable.map((r) => r.id);
    const timer = this.metrics?.sendSeconds.startTimer();
    await this.options.beforeSend?.();
    try {
      await this.sendInKafkaTransaction([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    } catch (error) {
      timer?.();
      if (isFenced(error))
        throw new RelayLeaseLostError(`producer fenced by a newer relay: ${(error as Error).message}`);
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
      await outbox.markAttemptFailed(ids, message, delay);
      return { sent: 0, failed: sendable.length, nextAttemptInMs: delay };
    }
    timer?.();
    const scheduleIds = [...new Set(sendable.map((r) => r.scheduleId))];
    await outbox.markSent(ids);
    const complete = await outbox.fullySentApprovedSchedules(scheduleIds);
    const published = complete.length > 0 ? await markPublished(m, complete) : [];
    this.metrics?.published.inc(sendable.length);
    if (published.length > 0) this.options.logger.info({ versions: published }, 'schedule published');
    return { sent: sendable.length, failed: 0, nextAttemptInMs };
  }

  /** Sends the batch as one Kafka transaction; on failure it is aborted and the producer replaced. */
  private async sendInKafkaTransaction(
    topicMessages: { topic: string; messages: Message[] }[],
  ): Promise<void> {
    const producer = this.producer ?? (await this.connectProducer());
    const transaction = await producer.transaction();
    try {
      await this.sender!.sendBatch(transaction, {
        acks: -1,
        compression: this.options.compression ?? CompressionTypes.GZIP,
        topicMessages,
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // A failed transactional producer may be left in an unusable state: the next batch starts a new one.
      this.producer = null;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private inEpoch<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.options.dataSource.transaction(async (manager) => {
      await new PlannerLeaseRepository(manager).declareWriterEpoch(this.epoch);
      return work(manager);
    });
  }
}

/** Kafka's answer to a producer whose transactional id was taken over by a newer one. */
function isFenced(error: unknown): boolean {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type;
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED') return true;
    if (
      /fenced|INVALID_PRODUCER_EPOCH|producer epoch/i.test(
        ((e as { message?: unknown }).message as string) ?? '',
      )
    )
      return true;
  }
  return false;
}
