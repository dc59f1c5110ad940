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

/** A producer that, like kafkajs 2.2.4 after a leader move, leaves out the partitions in `drops[n]` on call n. */
function droppingProducer(drops: number[][]): { producer: Producer; batches: ProducerBatch[] } {
  const batches: ProducerBatch[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      batches.push(batch);
      const dropped = new Set(drops[batches.length - 1] ?? []);
      const written = new Set(
        (batch.topicMessages ?? [])
          .flatMap((t) => t.messages.map((m) => m.partition!))
          .filter((p) => !dropped.has(p)),
      );
      return Promise.resolve(
        [...written].map((partition): RecordMetadata => ({ topicName: 't', partition, errorCode: 0 })),
      );
    },
  } as unknown as Producer;
  return { producer, batches };
}

const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

describe('CompleteSender', () => {
  it('gives every message its partition and re-sends only the partitions left unacknowledged', async () => {
    const { producer, batches } = droppingProducer([[1]]);
    const records = await new CompleteSender(kafka).sendBatch(producer, {
      acks: -1,
      topicMessages: [{ topic: 't', messages }],
    });

    expect(batches).toHaveLength(2);
    const first = batches[0]!.topicMessages![0]!.messages;
    expect(first.every((m) => m.partition !== undefined && m.partition >= 0 && m.partition < 3)).toBe(true);
    const resent = batches[1]!.topicMessages![0]!.messages;
    expect(resent.length).toBeGreaterThan(0);
    expect(resent.every((m) => m.partition === 1)).toBe(true);
    expect(resent).toEqual(first.filter((m) => m.partition === 1)); // the same records, same partition, same order
    expect(records.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
  });

  it('gives up with a retriable IncompleteSendError when a partition is never acknowledged', async () => {
    const { producer, batches } = droppingProducer(Array.from({ length: 10 }, () => [2]));
    const send = new CompleteSender(kafka).sendBatch(producer, {
      acks: -1,
      topicMessages: [{ topic: 't', messages }],
    });
    await expect(send).rejects.toBeInstanceOf(IncompleteSendError);
    await expect(send).rejects.toMatchObject({ retriable: true, missing: ['t:2'] });
    expect(batches).toHaveLength(6); // the first send and 5 re-sends
  });
});
