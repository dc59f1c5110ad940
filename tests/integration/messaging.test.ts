import { afterAll, describe, expect, it } from 'vitest';
import { ConsumerRunner, JsonProducer, ensureTopics, type ConsumedRecord } from '#gridshift/messaging';
import { createLogger } from '#gridshift/observability';
import { testKafka, uniqueSuffix } from '../support/harness.js';

const kafka = testKafka();
const logger = createLogger({ name: 'test', level: 'warn', format: 'json' });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('kafka round trip', () => {
  it('consumes back what was produced: key, headers and value intact', async () => {
    const topic = `t-roundtrip-${uniqueSuffix()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const producer = new JsonProducer(kafka);
    cleanups.push(() => producer.disconnect());
    const value = { zone: 'DE-LU', price: -5.17, note: 'ünïcødé ⚡' };
    await producer.send(topic, [{ key: 'DE-LU', value, messageId: 'm-1', headers: { 'x-trace': 'abc' } }]);

    const consumer = kafka.consumer({ groupId: `g-${uniqueSuffix()}` });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; headers: Record<string, string>; value: unknown }>(
      (resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => {
            const headers = Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            );
            resolve({ key: String(message.key), headers, value: JSON.parse(String(message.value)) });
            return Promise.resolve();
          },
        });
      },
    );
    expect(received.key).toBe('DE-LU');
    expect(received.value).toEqual(value);
    expect(received.headers).toMatchObject({
      'message-id': 'm-1',
      'content-type': 'application/json',
      'x-trace': 'abc',
    });
  });

  it('ConsumerRunner stores valid records, dead-letters invalid ones with the reason, and commits', async () => {
    const topic = `t-runner-${uniqueSuffix()}`;
    const dlq = `${topic}.dlq`;
    await ensureTopics(kafka, [
      { topic, numPartitions: 2, replicationFactor: 1 },
      { topic: dlq, numPartitions: 1, replicationFactor: 1 },
    ]);
    const producer = new JsonProducer(kafka);
    cleanups.push(() => producer.disconnect());
    await producer.send(
      topic,
      Array.from({ length: 50 }, (_, i) => ({
        key: `k${i % 5}`,
        value: i % 10 === 3 ? 'not json{' : { n: i },
      })),
    );

    const stored: number[] = [];
    const groupId = `g-${uniqueSuffix()}`;
    const runner = new ConsumerRunner<{ n: number }>({
      kafka,
      groupId,
      topics: [topic],
      logger,
      decode: (record) => {
        try {
          return { ok: true, value: JSON.parse(String(record.value)) as { n: number } };
        } catch {
          return { ok: false, code: 'MALFORMED_JSON', message: 'value is not JSON' };
        }
      },
      store: (records: ConsumedRecord<{ n: number }>[]) => {
        stored.push(...records.map((r) => r.decoded.n));
        return Promise.resolve();
      },
    });
    await runner.startAndWait();
    cleanups.push(() => runner.stop());

    const dlqConsumer = kafka.consumer({ groupId: `g-${uniqueSuffix()}` });
    cleanups.push(() => dlqConsumer.disconnect());
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: dlq, fromBeginning: true });
    const dead: Record<string, string>[] = [];
    await dlqConsumer.run({
      eachMessage: ({ message }) => {
        dead.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        return Promise.resolve();
      },
    });
    await expect.poll(() => stored.length + dead.length, { timeout: 30_000 }).toBe(50);
    expect(stored.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 10 !== 3),
    );
    expect(dead).toHaveLength(5);
    for (const h of dead) {
      expect(h).toMatchObject({
        'error-code': 'MALFORMED_JSON',
        'source-topic': topic,
        'error-message': 'value is not JSON',
      });
      expect(Number(h['source-offset'])).toBeGreaterThanOrEqual(0);
      expect(h).toHaveProperty('message-id');
    }
    await runner.stop();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(50);
  });
});
