import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics } from './topics.js';

// Pure unit test of the retry rule with a stand-in admin client (the real broker path is covered by the
// integration and e2e tiers, which create every topic through ensureTopics).

function fakeKafka(failures: Error[]): { kafka: Kafka; created: string[][]; calls: () => number } {
  const created: string[][] = [];
  let calls = 0;
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    listTopics: () => Promise.resolve([] as string[]),
    createTopics: ({ topics }: { topics: { topic: string }[] }) => {
      calls++;
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      created.push(topics.map((t) => t.topic));
      return Promise.resolve(true);
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, created, calls: () => calls };
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
