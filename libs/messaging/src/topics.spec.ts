import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics, topicReplication } from './topics.js';

// Pure unit test of the retry rule with a stand-in admin client (the real broker path is covered by the
// integration and e2e tiers, which create every topic through ensureTopics).

interface SentSpec {
  topic: string;
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
}

function fakeKafka(
  failures: Error[],
  brokerCount = 1,
): { kafka: Kafka; created: string[][]; sent: SentSpec[]; calls: () => number } {
  const created: string[][] = [];
  const sent: SentSpec[] = [];
  let calls = 0;
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    listTopics: () => Promise.resolve([] as string[]),
    describeCluster: () =>
      Promise.resolve({ brokers: Array.from({ length: brokerCount }, (_, i) => ({ nodeId: i + 1 })) }),
    createTopics: ({ topics }: { topics: SentSpec[] }) => {
      calls++;
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      created.push(topics.map((t) => t.topic));
      sent.push(...topics);
      return Promise.resolve(true);
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, created, sent, calls: () => calls };
}

const spec = [{ topic: 't', numPartitions: 1, replicationFactor: 1 }];
const notHosted = Object.assign(new Error('This server does not host this topic-partition'), {
  retriable: true,
});

describe('ensureTopics', () => {
  it('retries a retriable broker error and then creates the topics', async () => {
    const { kafka, created, calls } = fakeKafka([notHosted, notHosted]);
    await expect(ensureTopics(kafka, spec)).resolves.toEqual(['t']);
    expect(calls()).toBe(3);
    expect(created).toEqual([['t']]);
  });

  it('gives up after the last attempt and does not retry other errors', async () => {
    const retriable = fakeKafka([notHosted, notHosted]);
    await expect(ensureTopics(retriable.kafka, spec, 2)).rejects.toThrow('does not host');
    expect(retriable.calls()).toBe(2);
    const fatal = fakeKafka([new Error('authorization failed')]);
    await expect(ensureTopics(fatal.kafka, spec)).rejects.toThrow('authorization failed');
    expect(fatal.calls()).toBe(1);
  });
});

describe('topicReplication', () => {
  // One replica per broker up to 3; min.insync.replicas 2 only from 3 replicas on (so one broker may be down).
  it.each([
    {
      name: 'single broker',
      brokers: 1,
      requested: undefined,
      want: { replicationFactor: 1, minInsyncReplicas: 1 },
    },
    {
      name: 'two brokers',
      brokers: 2,
      requested: undefined,
      want: { replicationFactor: 2, minInsyncReplicas: 1 },
    },
    {
      name: 'three brokers',
      brokers: 3,
      requested: undefined,
      want: { replicationFactor: 3, minInsyncReplicas: 2 },
    },
    {
      name: 'capped at 3',
      brokers: 7,
      requested: undefined,
      want: { replicationFactor: 3, minInsyncReplicas: 2 },
    },
    {
      name: 'no broker reported',
      brokers: 0,
      requested: undefined,
      want: { replicationFactor: 1, minInsyncReplicas: 1 },
    },
    {
      name: 'requested wins',
      brokers: 5,
      requested: 5,
      want: { replicationFactor: 5, minInsyncReplicas: 2 },
    },
    {
      name: 'requested 1 on 3',
      brokers: 3,
      requested: 1,
      want: { replicationFactor: 1, minInsyncReplicas: 1 },
    },
  ])('$name', ({ brokers, requested, want }) => {
    expect(topicReplication(brokers, requested)).toEqual(want);
  });

  it('ensureTopics derives the factor from the brokers the cluster reports and sets min.insync.replicas', async () => {
    const { kafka, sent } = fakeKafka([], 3);
    await ensureTopics(kafka, [
      { topic: 'auto', numPartitions: 3 },
      { topic: 'pinned', numPartitions: 1, replicationFactor: 1 },
      { topic: 'own', numPartitions: 1, configEntries: [{ name: 'min.insync.replicas', value: '3' }] },
    ]);
    expect(sent).toMatchObject([
      { topic: 'auto', replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      { topic: 'pinned', replicationFactor: 1, configEntries: [{ name: 'min.insync.replicas', value: '1' }] },
      { topic: 'own', replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] },
    ]);
  });
});
