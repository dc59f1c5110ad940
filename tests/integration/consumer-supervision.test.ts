import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import {
  ConsumerRunner,
  ensureTopics,
  JsonProducer,
  RetriableError,
  type ConsumedRecord,
} from '#gridshift/messaging';
import { createLogger, createMetricsRegistry } from '#gridshift/observability';
import { testKafka, uniqueSuffix } from '../support/harness.js';

// Supervised consumers: a crash (here: a batch abandoned after its store failed) is followed by a restart
// with backoff, and the consumer then consumes; a consumer that cannot reach Kafka keeps trying, visibly.

const kafka = testKafka();
const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ConsumerRunner supervision', () => {
  it('restarts a consumer whose batch failed, and then consumes everything (handler fails once)', async () => {
    const topic = `t-superv-${uniqueSuffix()}`;
    await ensureTopics(kafka, [
      { topic, numPartitions: 1, replicationFactor: 1 },
      { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ]);
    const producer = new JsonProducer(kafka);
    cleanups.push(() => producer.disconnect());
    await producer.send(
      topic,
      Array.from({ length: 20 }, (_, n) => ({ key: 'k', value: { n } })),
    );

    const registry = createMetricsRegistry('test');
    const stored = new Set<number>();
    let calls = 0;
    const groupId = `g-superv-${uniqueSuffix()}`;
    const runner = new ConsumerRunner<{ n: number }>({
      kafka,
      groupId,
      topics: [topic],
      logger,
      registry,
      retry: { maxAttempts: 1 },
      restart: { baseMs: 200, capMs: 1000 },
      decode: (record) => ({ ok: true, value: JSON.parse(String(record.value)) as { n: number } }),
      store: (records: ConsumedRecord<{ n: number }>[]) => {
        calls += 1;
        // The first store fails past its retries: the batch is abandoned uncommitted and the consumer crashes.
        if (calls === 1) return Promise.reject(new RetriableError('database away'));
        for (const r of records) stored.add(r.decoded.n);
        return Promise.resolve();
      },
    });
    cleanups.push(() => runner.stop());
    runner.start();
    await expect.poll(() => stored.size, { timeout: 60_000 }).toBe(20);
    const status = runner.status();
    expect(status).toMatchObject({ groupId, state: 'running', reason: null, restarts: 1 });
    expect(status.lastErrorAt).not.toBeNull();
    const metrics = await registry.metrics();
    expect(metrics).toMatch(new RegExp(`gridshift_consumer_restarts_total\\{group="${groupId}"[^}]*\\} 1`));
    expect(metrics).toMatch(
      new RegExp(`gridshift_consumer_state\\{group="${groupId}",state="running"[^}]*\\} 1`),
    );
    await runner.stop();
    expect(runner.status()).toMatchObject({ state: 'stopped', reason: 'stopped by shutdown' });
  });

  it('keeps restarting with backoff while the broker is unreachable, with the reason', async () => {
    const port = await closedPort();
    // Few client retries, so each failed connect comes back within a second.
    const unreachable = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: `t-${uniqueSuffix()}`,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
      logLevel: logLevel.NOTHING,
    });
    const runner = new ConsumerRunner<unknown>({
      kafka: unreachable,
      groupId: `g-unreach-${uniqueSuffix()}`,
      topics: ['nowhere'],
      logger,
      restart: { baseMs: 100, capMs: 500 },
      decode: () => ({ ok: true, value: null }),
      store: () => Promise.resolve(),
    });
    cleanups.push(() => runner.stop());
    runner.start();
    await expect
      .poll(() => runner.status().restarts, { timeout: 90_000, interval: 500 })
      .toBeGreaterThanOrEqual(3);
    expect(runner.status()).toMatchObject({ state: 'restarting' });
    expect(runner.status().reason).toMatch(/KafkaJS|ECONNREFUSED|connect/i);
    await runner.stop();
  });
});
