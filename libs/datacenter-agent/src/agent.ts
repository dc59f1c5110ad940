import type { Consumer, Kafka } from 'kafkajs';
import {
  decodeOrderReasons,
  decodePlacementOrder,
  deadLetterHeaders,
  dlqTopic,
  HEADERS,
  MAX_USAGE_ROWS,
  type OrderReasonV1,
  type PlacementAckV1,
  type PlacementOrderV1,
} from '#gridshift/contracts';
import { JsonProducer } from '#gridshift/messaging';
import { seededRandom } from '#gridshift/placement';
import { applyOrder, realizedUsage, type ClusterBehaviour } from './behaviour.js';
import type { AgentState, StateStore } from './state.js';

/** Topic names the agent uses (with any deployment prefix). */
export interface AgentTopics {
  placements: string;
  placementAcks: string;
  usage: string;
}

/** Something that happened in an agent (for logs, tests and the demo's summary). */
export type AgentEvent =
  | {
      kind: 'applied';
      clusterId: string;
      order: PlacementOrderV1;
      ack: PlacementAckV1;
      /** Why gridshift issued the order (header `gridshift-reasons`), e.g. the grid events it honours. */
      reasons: OrderReasonV1[];
    }
  | { kind: 'duplicate'; clusterId: string; version: number; messageId: string; reAcked: boolean }
  | { kind: 'stale'; clusterId: string; version: number; appliedVersion: number }
  | { kind: 'dropped'; clusterId: string; version: number; messageId: string }
  | { kind: 'invalid'; clusterId: string; code: string; message: string }
  | { kind: 'usage'; clusterId: string; rows: number };

export interface DataCenterAgentOptions {
  kafka: Kafka;
  clusterId: string;
  topics: AgentTopics;
  store: StateStore;
  behaviour?: ClusterBehaviour;
  /**
   * Largest order accepted, bytes (default 64 MiB): gridshift compresses orders on the wire, but one order of 5,000
   * jobs × 24 slots is ~0.3 MB of JSON — more than the 256 KiB the ingest allows for inbound messages.
   */
  maxOrderBytes?: number;
  /** Consumer group (default `gridshift-datacenter-agent.<clusterId>`). */
  groupId?: string;
  /** Ignore this many first deliveries without acknowledging them (to exercise gridshift's resend). */
  dropFirstDeliveries?: number;
  /** How often usage of slots that ended is reported (default 60 s). */
  usageIntervalMs?: number;
  /**
   * Report usage by itself (after each apply and every `usageIntervalMs`; default true). A replay of past days turns
   * it off and calls `reportUsage()` once the final orders are in, so re-plans of slots already over are not
   * reported as if several orders had run in them.
   */
  autoReportUsage?: boolean;
  /** Seed of the usage noise. */
  seed?: number;
  /** The clock (default Date.now). */
  now?: () => number;
  onEvent?: (event: AgentEvent) => void;
}

const MAX_SEEN = 1000;

/**
 * A reference data-center agent: consumes the placement orders of one cluster (read_committed), dedupes them by
 * `message-id`, ignores versions ≤ the applied one, applies them to a simulated cluster (`applyOrder`), records the
 * new state durably *before* acknowledging (so a crash never applies a version twice), publishes the ack on
 * `gridshift.placement-acks.v1` and realized usage of ended slots on `gridshift.usage.v1`. An order that arrives
 * again (gridshift resends unacknowledged orders with the same message-id) gets its ack again.
 */
export class DataCenterAgent {
  private consumer: Consumer | null = null;
  private readonly producer: JsonProducer;
  private state: AgentState;
  private dropsLeft: number;
  private usageTimer: NodeJS.Timeout | null = null;
  private readonly random: () => number;
  private readonly now: () => number;
  private reporting: Promise<void> = Promise.resolve();

  constructor(private readonly options: DataCenterAgentOptions) {
    this.producer = new JsonProducer(options.kafka);
    this.state = options.store.load(options.clusterId);
    this.dropsLeft = options.dropFirstDeliveries ?? 0;
    this.random = seededRandom(options.seed ?? 1);
    this.now = options.now ?? Date.now;
  }

  /** Ignores the next `count` deliveries without acknowledging them (fault injection: gridshift must resend). */
  dropNextDeliveries(count: number): void {
    this.dropsLeft = count;
  }

  /** The agent's state (a copy). */
  get snapshot(): AgentState {
    return structuredClone(this.state);
  }

  async start(): Promise<void> {
    await this.producer.connect();
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId ?? `gridshift-datacenter-agent.${this.options.clusterId}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      this.emit({
        kind: 'invalid',
        clusterId: this.options.clusterId,
        code: 'CONSUMER_CRASH',
        message: `${String(event.payload.error)} (restart: ${String(event.payload.restart)})`,
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topics.placements, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString('utf8') !== this.options.clusterId) return;
        const messageId = message.headers?.[HEADERS.messageId]?.toString() ?? '';
        await this.handle(message.key, message.value, messageId, message.headers);
      },
    });
    if (this.options.autoReportUsage !== false) {
      this.usageTimer = setInterval(() => this.reportUsageSoon(), this.options.usageIntervalMs ?? 60_000);
      this.usageTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.usageTimer) clearInterval(this.usageTimer);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
    await this.reporting;
    await this.producer.disconnect().catch(() => undefined);
  }

  private emit(event: AgentEvent): void {
    this.options.onEvent?.(event);
  }

  private async handle(
    key: Buffer,
    value: Buffer | null,
    messageId: string,
    headers: Record<string, unknown> | undefined,
  ): Promise<void> {
    const { clusterId, topics } = this.options;
    const decoded = decodePlacementOrder(key, value, {
      maxBytes: this.options.maxOrderBytes ?? 64 * 1024 * 1024,
    });
    if (!decoded.ok) {
      this.emit({ kind: 'invalid', clusterId, code: decoded.code, message: decoded.message });
      const original: Record<string, string> = {};
      for (const [name, v] of Object.entries(headers ?? {}))
        if (typeof v === 'string' || Buffer.isBuffer(v)) original[name] = v.toString();
      await this.producer.sendRaw(dlqTopic(topics.placements), [
        {
          key,
          value,
          headers: deadLetterHeaders({
            code: decoded.code,
            message: decoded.message,
            sourceTopic: topics.placements,
            sourcePartition: -1,
            sourceOffset: '-1',
            originalHeaders: original,
          }),
        },
      ]);
      return;
    }
    const order = decoded.value;
    if (this.dropsLeft > 0) {
      this.dropsLeft -= 1;
      this.emit({ kind: 'dropped', clusterId, version: order.scheduleVersion, messageId });
      return;
    }
    if (this.state.seenMessageIds.includes(messageId) || order.scheduleVersion <= this.state.appliedVersion) {
      const last = this.state.lastAck;
      if (last !== null && last.ack.messageId === messageId) {
        // gridshift did not get (or store) our ack: send the same ack again (same message-id, deduped there).
        await this.sendAck(last.ack, last.ackMessageId);
        this.emit({ kind: 'duplicate', clusterId, version: order.scheduleVersion, messageId, reAcked: true });
      } else if (this.state.seenMessageIds.includes(messageId)) {
        this.emit({
          kind: 'duplicate',
          clusterId,
          version: order.scheduleVersion,
          messageId,
          reAcked: false,
        });
      } else {
        this.emit({
          kind: 'stale',
          clusterId,
          version: order.scheduleVersion,
          appliedVersion: this.state.appliedVersion,
        });
      }
      return;
    }
    // The reasons explain the order; a malformed header is reported and the order still applied.
    const reasonsHeader = headers?.[HEADERS.reasons];
    const decodedReasons = decodeOrderReasons(
      typeof reasonsHeader === 'string' || Buffer.isBuffer(reasonsHeader) ? reasonsHeader : undefined,
    );
    if (!decodedReasons.ok)
      this.emit({ kind: 'invalid', clusterId, code: 'INVALID_REASONS', message: decodedReasons.message });
    const reasons = decodedReasons.ok ? decodedReasons.reasons : [];
    const applied = applyOrder(order, this.options.behaviour ?? {});
    const at = new Date(this.now()).toISOString();
    const ack: PlacementAckV1 = {
      clusterId,
      scheduleId: order.scheduleId,
      version: order.scheduleVersion,
      messageId,
      status: applied.status,
      at,
      reasons: applied.reasons,
      ...(applied.differences.length > 0 ? { applied: applied.differences } : {}),
    };
    const ackMessageId = `ack:${messageId}:${order.scheduleVersion}`;
    // Durable before anything leaves: a crash after this line re-acks instead of re-applying.
    this.state = {
      ...this.state,
      appliedVersion: order.scheduleVersion,
      appliedLog: [
        ...this.state.appliedLog,
        {
          version: order.scheduleVersion,
          scheduleId: order.scheduleId,
          messageId,
          status: applied.status,
          appliedAt: at,
          ...(reasons.length > 0 ? { reasons } : {}),
        },
      ],
      lastAck: { ack, ackMessageId },
      seenMessageIds: [...this.state.seenMessageIds, messageId].slice(-MAX_SEEN),
      slots: applied.slots,
    };
    this.options.store.save(this.state);
    await this.sendAck(ack, ackMessageId);
    this.emit({ kind: 'applied', clusterId, order, ack, reasons });
    if (this.options.autoReportUsage !== false) this.reportUsageSoon();
  }

  private async sendAck(ack: PlacementAckV1, ackMessageId: string): Promise<void> {
    await this.producer.send(this.options.topics.placementAcks, [
      { key: this.options.clusterId, value: ack, messageId: ackMessageId },
    ]);
  }

  private reportUsageSoon(): void {
    this.reporting = this.reporting
      .then(async () => {
        await this.reportUsage();
      })
      .catch((error: unknown) => {
        this.emit({
          kind: 'invalid',
          clusterId: this.options.clusterId,
          code: 'USAGE_SEND_FAILED',
          message: String(error),
        });
      });
  }

  /** Reports realized usage of the applied slots that ended and were not reported yet. */
  async reportUsage(): Promise<number> {
    const nowMs = this.now();
    const done = new Set(this.state.reported);
    const rows = realizedUsage(this.state.slots, this.options.behaviour ?? {}, nowMs, this.random).filter(
      (r) => !done.has(`${r.jobId}@${r.slotStart}`),
    );
    if (rows.length === 0) return 0;
    const observedAt = new Date(nowMs).toISOString();
    const messages = [];
    for (let i = 0; i < rows.length; i += MAX_USAGE_ROWS) {
      messages.push({
        key: this.options.clusterId,
        value: { clusterId: this.options.clusterId, observedAt, rows: rows.slice(i, i + MAX_USAGE_ROWS) },
        messageId: `usage:${this.options.clusterId}:${observedAt}:${i}`,
      });
    }
    await this.producer.send(this.options.topics.usage, messages);
    this.state = {
      ...this.state,
      reported: [...this.state.reported, ...rows.map((r) => `${r.jobId}@${r.slotStart}`)],
    };
    this.options.store.save(this.state);
    this.emit({ kind: 'usage', clusterId: this.options.clusterId, rows: rows.length });
    return rows.length;
  }
}
