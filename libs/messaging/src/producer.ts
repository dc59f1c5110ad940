import { randomUUID } from 'node:crypto';
import { CompressionTypes, Partitioners, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import { messageHeaders } from '#gridshift/contracts';
import { CompleteSender } from './complete-send.js';

export interface OutgoingMessage {
  key: string;
  value: unknown;
  /** Stable id for consumers to dedupe on; a random UUID when omitted. */
  messageId?: string;
  headers?: Record<string, string>;
}

/**
 * JSON producer: idempotent, acks=all, `message-id` and `content-type` headers on every record; a send resolves
 * only once every partition it wrote to acknowledged (`CompleteSender`).
 */
export class JsonProducer {
  private readonly producer: Producer;
  private readonly sender: CompleteSender;
  private connected = false;

  constructor(kafka: Kafka, options: { transactionalId?: string } = {}) {
    this.sender = new CompleteSender(kafka);
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioner: a key lands on the same partition as with any other client.
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  /** Sends the messages to `topic` and resolves once the broker acknowledged all of them. */
  async send(topic: string, messages: OutgoingMessage[]): Promise<RecordMetadata[]> {
    await this.connect();
    return this.sender.sendBatch(this.producer, {
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [
        {
          topic,
          messages: messages.map((m) => ({
            key: m.key,
            value:
              typeof m.value === 'string' || Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
            headers: { ...messageHeaders(m.messageId ?? randomUUID()), ...m.headers },
          })),
        },
      ],
    });
  }

  /** Raw send of already-encoded records (the dead-letter path keeps the original bytes). */
  async sendRaw(
    topic: string,
    messages: {
      key: Buffer | string | null;
      value: Buffer | string | null;
      headers: Record<string, string | Buffer>;
    }[],
  ): Promise<void> {
    await this.connect();
    await this.sender.sendBatch(this.producer, { acks: -1, topicMessages: [{ topic, messages }] });
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.sender.close();
    await this.producer.disconnect();
  }
}
