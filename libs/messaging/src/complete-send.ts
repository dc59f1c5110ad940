import {
  Partitioners,
  type Admin,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
  type TopicMessages,
} from 'kafkajs';

/** How long a topic's partition list is reused before it is read again. */
const PARTITIONS_TTL_MS = 60_000;
/** Sends of the partitions left without an acknowledgement, after the first one. */
const RESEND_ATTEMPTS = 5;

/** Thrown when partitions of a batch stay unacknowledged after every re-send; retriable (a leader may still move). */
export class IncompleteSendError extends Error {
  readonly retriable = true;
  constructor(readonly missing: string[]) {
    super(`the broker acknowledged no write for ${missing.join(', ')} after ${RESEND_ATTEMPTS + 1} sends`);
    this.name = 'IncompleteSendError';
  }
}

/**
 * `producer.sendBatch` that never drops part of a batch. kafkajs 2.2.4 keys a send's progress by broker: when a
 * partition's leader dies mid-send and the partition moves to a broker that already acknowledged its own part,
 * that partition's messages are never sent and the send still resolves (kafkajs issue #1303; seen here with a
 * SIGKILLed broker of a 3-node cluster). So each message gets its partition up front (the producer's own
 * DefaultPartitioner over the topic's partitions), and the partitions that come back without an acknowledgement
 * are sent again, to the same partitions, until all are acknowledged.
 *
 * Each kafkajs call carries one partition, so it talks to one broker. A call spanning brokers can write a batch
 * twice: kafkajs 2.2.4 sends to every leader at once and, when one broker fails retriably (e.g.
 * CONCURRENT_TRANSACTIONS right after the previous transaction's commit), retries at once, re-sending to each broker
 * whose answer has not arrived yet — a request still in flight — with new sequence numbers, so the broker keeps both
 * copies (in a transaction, both commit). Found by the chaos suite on a 3-broker cluster (tests/chaos).
 */
export class CompleteSender {
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly partitions = new Map<string, { metadata: PartitionMetadata[]; readAtMs: number }>();
  private admin: Admin | undefined;

  constructor(private readonly kafka: Kafka) {}

  /** Sends every message of the batch (acks as given; with acks=0 there is nothing to check); `producer` may be a transaction. */
  async sendBatch(producer: Pick<Producer, 'sendBatch'>, batch: ProducerBatch): Promise<RecordMetadata[]> {
    const acknowledged: RecordMetadata[] = [];
    for (const { topic, messages } of await this.withPartitions(batch.topicMessages ?? [])) {
      const byPartition = new Map<number, Message[]>();
      for (const message of messages) {
        const partition = message.partition!;
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), message]);
      }
      for (const [partition, partitionMessages] of [...byPartition].sort(([a], [b]) => a - b))
        acknowledged.push(
          ...(await this.sendPartition(producer, batch, topic, partition, partitionMessages)),
        );
    }
    return acknowledged;
  }

  /** One partition's messages, sent again while the broker has not acknowledged them. */
  private async sendPartition(
    producer: Pick<Producer, 'sendBatch'>,
    batch: ProducerBatch,
    topic: string,
    partition: number,
    messages: Message[],
  ): Promise<RecordMetadata[]> {
    for (let attempt = 0; ; attempt++) {
      const records = await producer.sendBatch({ ...batch, topicMessages: [{ topic, messages }] });
      if (batch.acks === 0) return records;
      const acked = records.filter(
        (r) => r.errorCode === 0 && r.topicName === topic && r.partition === partition,
      );
      if (acked.length > 0) return acked;
      if (attempt >= RESEND_ATTEMPTS) throw new IncompleteSendError([`${topic}:${partition}`]);
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect();
  }

  /** The batch with each message's partition set (kept where the caller set it). */
  private async withPartitions(
    topicMessages: TopicMessages[],
  ): Promise<(TopicMessages & { messages: Message[] })[]> {
    const result = [];
    for (const { topic, messages } of topicMessages) {
      const partitionMetadata = await this.partitionMetadata(topic);
      result.push({
        topic,
        messages: messages.map((message) =>
          message.partition === undefined
            ? { ...message, partition: this.partitioner({ topic, partitionMetadata, message }) }
            : message,
        ),
      });
    }
    return result;
  }

  private async partitionMetadata(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.partitions.get(topic);
    if (cached && Date.now() - cached.readAtMs < PARTITIONS_TTL_MS) return cached.metadata;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const metadata = topics[0]?.partitions ?? [];
    if (metadata.length === 0) throw new Error(`topic ${topic} has no partitions in the cluster's metadata`);
    this.partitions.set(topic, { metadata, readAtMs: Date.now() });
    return metadata;
  }
}
