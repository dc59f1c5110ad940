import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsumerRunner, JsonProducer, ensureTopics, type ConsumedRecord } from '#gridshift/messaging';
import { createLogger } from '#gridshift/observability';
import { services, testKafka, uniqueSuffix } from '../support/harness.js';
import { readTopic } from '../support/ingest-fixtures.js';

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

  it('a dead-letter write that keeps failing neither stops the consumer nor commits past the record', async () => {
    const topic = `t-dlqdown-${uniqueSuffix()}`;
    const dlq = `${topic}.dlq`; // created only later: until then every dead-letter write fails
    await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    // Few client retries, so each failed write comes back within a second.
    const impatient = new Kafka({
      brokers: services().kafkaBrokers,
      clientId: `t-${uniqueSuffix()}`,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
      logLevel: logLevel.NOTHING,
    });
    const producer = new JsonProducer(kafka);
    cleanups.push(() => producer.disconnect());
    const stored: string[] = [];
    const groupId = `g-${uniqueSuffix()}`;
    const registry = new Registry();
    const runner = new ConsumerRunner<string>({
      kafka: impatient,
      groupId,
      topics: [topic],
      logger,
      registry,
      retry: { baseMs: 100, capMs: 1000 },
      decode: (record) =>
        String(record.value) === 'bad'
          ? { ok: false, code: 'MALFORMED_JSON', message: 'bad' }
          : { ok: true, value: String(record.value) },
      store: (records: ConsumedRecord<string>[]) => {
        stored.push(...records.map((r) => r.decoded));
        return Promise.resolve();
      },
    });
    await runner.startAndWait();
    cleanups.push(() => runner.stop());
    await producer.send(topic, [
      { key: 'k', value: 'one' },
      { key: 'k', value: 'bad' },
      { key: 'k', value: 'two' },
    ]);
    const committed = async () => {
      const admin = kafka.admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      await admin.disconnect();
      return Number(offsets!.partitions[0]!.offset);
    };
    const failures = async () =>
      (await registry.getSingleMetric('gridshift_consumer_dead_letter_failures_total')?.get())?.values[0]
        ?.value ?? 0;
    await expect.poll(failures, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    expect(await committed()).toBe(-1); // nothing committed while the dead letter is not written
    await ensureTopics(kafka, [{ topic: dlq, numPartitions: 1, replicationFactor: 1 }]);
    await expect.poll(committed, { timeout: 30_000 }).toBe(3);
    const [dead] = await readTopic(kafka, dlq, 1);
    expect(dead).toMatchObject({
      value: 'bad',
      headers: { 'error-code': 'MALFORMED_JSON', 'source-offset': '1' },
    });
    expect(stored).toContain('one');
    expect(stored).toContain('two');
    await runner.stop();
  });
});
