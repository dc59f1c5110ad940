// The local Kafka scripts (infra/kafka/*.sh) against a private broker on its own free ports and temporary
// data dir, so the shared broker on 9092 that other tests use is never touched.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type IHeaders, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, PRIVATE_PORT_RANGES, runKafkaScript as runScript } from '../support/kafka-scripts.js';

interface PlainMessage {
  key: string | null;
  headers: Record<string, string>;
  value: string | null;
}

/** Header values as UTF-8 strings (kafkajs hands them back as Buffers). */
function plainHeaders(headers: IHeaders | undefined): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) plain[name] = Array.isArray(value) ? value.join(',') : value.toString();
  }
  return plain;
}

/** Key, headers and value of a consumed message as strings. */
function plainMessage(message: KafkaMessage): PlainMessage {
  return {
    key: message.key?.toString() ?? null,
    headers: plainHeaders(message.headers),
    value: message.value?.toString() ?? null,
  };
}

describe('infra/kafka scripts (private broker)', () => {
  let dataDir = '';
  let port = 0;
  let env: NodeJS.ProcessEnv = {};

  const kafkaClient = (): Kafka =>
    new Kafka({
      clientId: 'kafka-infra-test',
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8 },
    });

  const readPid = async (): Promise<number> =>
    Number((await readFile(join(dataDir, 'kafka.pid'), 'utf8')).trim());

  /** Creates a fresh single-partition topic and produces the messages to it. */
  const produce = async (topic: string, messages: PlainMessage[]): Promise<void> => {
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
        true,
      );
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  };

  /** Reads `count` messages of the topic from the beginning with a fresh consumer group. */
  const consume = async (topic: string, count: number): Promise<PlainMessage[]> => {
    const consumer = kafkaClient().consumer({ groupId: `kafka-infra-test-${randomUUID()}` });
    const received: PlainMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${received.length}/${count} messages of ${topic} within 60 s`)),
          60_000,
        );
        consumer
          .run({
            eachMessage: ({ message }) => {
              received.push(plainMessage(message));
              if (received.length >= count) {
                clearTimeout(timer);
                resolve();
              }
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return received;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gridshift-kafka-infra-'));
    port = await freePortRange(2, ...PRIVATE_PORT_RANGES.kafkaInfra);
    const controllerPort = port + 1;
    env = {
      ...process.env,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_DATA_DIR: dataDir,
      KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
      KAFKA_NUM_PARTITIONS: '2',
    };
    const started = await runScript('start.sh', env);
    expect(started.exitCode, `start.sh failed:\n${started.stdout}\n${started.stderr}`).toBe(0);
    expect(started.stdout).toContain(`started on 127.0.0.1:${port}`);
  }, 180_000);

  afterAll(async () => {
    if (dataDir === '') return;
    const stopped = await runScript('stop.sh', env);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('start.sh is a no-op when the broker already runs', async () => {
    const pidBefore = await readPid();

    const again = await runScript('start.sh', env);

    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('already running');
    expect(await readPid()).toBe(pidBefore);
    expect(again.durationMs).toBeLessThan(15_000);
    const status = await runScript('status.sh', env);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`pid ${pidBefore}`);
    expect(status.stdout).toContain(`127.0.0.1:${port}`);
  });

  it('a message produced with kafkajs is consumed back with key, headers and value intact', async () => {
    const topic = `kafka-infra-roundtrip-${randomUUID()}`;
    const sent: PlainMessage = {
      key: 'site-eu-north-1',
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': randomUUID(),
        'x-unicode': 'Ünïcødé ⚡',
      },
      value: JSON.stringify({ siteId: 'eu-north-1', pricePerMwh: 41.27, powerKw: 1250 }),
    };

    await produce(topic, [sent]);
    const [received] = await consume(topic, 1);

    expect(received).toEqual(sent);
  });

  it('stop then start keeps earlier topics and messages', async () => {
    const topic = `kafka-infra-persist-${randomUUID()}`;
    const sent: PlainMessage[] = [1, 2, 3].map((n) => ({
      key: `key-${n}`,
      headers: { seq: String(n), source: 'kafka-infra-test' },
      value: `value-${n}`,
    }));
    await produce(topic, sent);
    const pidBefore = await readPid();

    const stopped = await runScript('stop.sh', env);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    const statusStopped = await runScript('status.sh', env);
    expect(statusStopped.exitCode).toBe(3);
    const stoppedAgain = await runScript('stop.sh', env);
    expect(stoppedAgain.exitCode).toBe(0);
    expect(stoppedAgain.stdout).toContain('not running');

    const restarted = await runScript('start.sh', env);
    expect(restarted.exitCode, `start.sh failed:\n${restarted.stdout}\n${restarted.stderr}`).toBe(0);
    expect(restarted.stdout).toContain('started');
    expect(await readPid()).not.toBe(pidBefore);

    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain(topic);
    } finally {
      await admin.disconnect();
    }
    expect(await consume(topic, sent.length)).toEqual(sent);
  }, 240_000);
});
