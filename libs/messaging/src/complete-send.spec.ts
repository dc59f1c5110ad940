import type { Kafka, Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CompleteSender, IncompleteSendError } from './complete-send.js';

// Pure unit test with stand-ins for the admin client and producer: the broker-failover path itself is covered by
// tests/integration/kafka-cluster.test.ts (a SIGKILLed broker of a real 3-node cluster).

const partitions = [0, 1, 2].map((partitionId) => ({
  partitionErrorCode: 0,
  partitionId,
  leader: partitionId + 1,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
}));
const kafka = {
  admin: () => ({
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    fetchTopicMetadata: () => Promise.resolve({ topics: [{ name: 't', partitions }] }),
  }),
} as unknown as Kafka;

const partitionsOf = (batch: ProducerBatch) =>
  new Set(batch.topicMessages!.flatMap((t) => t.messages.map((m) => m.partition!)));

/** A producer that, like kafkajs 2.2.4 after a leader move, leaves partition p out of its first `drops[p]` sends. */
function droppingProducer(drops: Record<number, number>): { producer: Producer; batches: ProducerBatch[] } {
  const batches: ProducerBatch[] = [];
  const left = new Map(Object.entries(drops).map(([p, n]) => [Number(p), n]));
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      batches.push(batch);
      const written = [...partitionsOf(batch)].filter((p) => {
        const n = left.get(p) ?? 0;
        left.set(p, n - 1);
        return n <= 0;
      });
      return Promise.resolve(
        written.map((partition): RecordMetadata => ({ topicName: 't', partition, errorCode: 0 })),
      );
    },
  } as unknown as Producer;
  return { producer, batches };
}

const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

describe('CompleteSender', () => {
  it('sends each partition in its own call (one broker per call) and re-sends a partition left unacknowledged', async () => {
    const { producer, batches } = droppingProducer({ 1: 1 });
    const records = await new CompleteSender(kafka).sendBatch(producer, {
      acks: -1,
      topicMessages: [{ topic: 't', messages }],
    });

    // p0, p1 (dropped), p1 again, p2
    expect(batches.map((b) => [...partitionsOf(b)])).toEqual([[0], [1], [1], [2]]);
    const sent = batches.flatMap((b) => b.topicMessages![0]!.messages);
    expect(sent.every((m) => m.partition !== undefined && m.partition >= 0 && m.partition < 3)).toBe(true);
    // the same records, same partition, same order
    expect(batches[2]!.topicMessages![0]!.messages).toEqual(batches[1]!.topicMessages![0]!.messages);
    expect([0, 1, 3].flatMap((i) => batches[i]!.topicMessages![0]!.messages)).toHaveLength(messages.length);
    expect(records.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
  });

  it('gives up with a retriable IncompleteSendError when a partition is never acknowledged', async () => {
    const { producer, batches } = droppingProducer({ 2: 10 });
    const send = new CompleteSender(kafka).sendBatch(producer, {
      acks: -1,
      topicMessages: [{ topic: 't', messages }],
    });
    await expect(send).rejects.toBeInstanceOf(IncompleteSendError);
    await expect(send).rejects.toMatchObject({ retriable: true, missing: ['t:2'] });
    expect(batches.filter((b) => partitionsOf(b).has(2))).toHaveLength(6); // the first send and 5 re-sends
  });
});
