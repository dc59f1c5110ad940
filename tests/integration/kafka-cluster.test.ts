// A 3-broker KRaft cluster from infra/kafka (`--brokers 3`) on its own free ports and temporary data dir (the
// shared single broker on 9092 is never touched): topics the apps' ensureTopics creates get replication factor 3
// and min.insync.replicas 2, acks=all producing and consuming go on with one broker SIGKILLed.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics, JsonProducer } from '#gridshift/messaging';
import { freePortRange, PRIVATE_PORT_RANGES, runKafkaScript } from '../support/kafka-scripts.js';

const BROKERS = 3;
const PARTITIONS = 3;
/** How long producing (or consuming everything) may take once a broker is gone: its session expires in 6 s. */
const DEGRADED_BOUND_MS = 60_000;

describe('infra/kafka --brokers 3 (private cluster)', () => {
  let dataDir = '';
  let env: NodeJS.ProcessEnv = {};
  let brokers: string[] = [];
  const args = ['--brokers', String(BROKERS)];

  const kafkaClient = (): Kafka => createKafka({ brokers, clientId: 'kafka-cluster-test' });

  const nodePid = async (node: number): Promise<number> =>
    Number((await readFile(join(dataDir, `node-${node}`, 'kafka.pid'), 'utf8')).trim());

  /** Messages keyed k<i> with value `<round>-<i>` (keys spread over the partitions). */
  const batch = (round: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      key: `k${i}`,
      value: `${round}-${i}`,
      messageId: `${round}-${i}`,
    }));

  /** Reads the topic from the beginning with a fresh group until `want` distinct values arrived. */
  const consumeDistinct = async (topic: string, want: number): Promise<Set<string>> => {
    const consumer = kafkaClient().consumer({ groupId: `kafka-cluster-test-${randomUUID()}` });
    const seen = new Set<string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`got ${seen.size}/${want} messages of ${topic} within ${DEGRADED_BOUND_MS} ms`)),
          DEGRADED_BOUND_MS,
        );
        consumer
          .run({
            eachMessage: ({ message }) => {
              seen.add(message.value?.toString() ?? '');
              if (seen.size >= want) {
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
    return seen;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gridshift-kafka-cluster-'));
    // Below the kernel's ephemeral range: the previous 30000–40000 lay in it (32768–60999), where an outgoing
    // connection's source port can take a node's port before its JVM binds it (the node then exits).
    const port = await freePortRange(2 * BROKERS, ...PRIVATE_PORT_RANGES.kafkaCluster);
    const controllerPort = port + BROKERS;
    env = {
      ...process.env,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_DATA_DIR: dataDir,
      KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
      // Three JVMs on two busy cores: the last broker has been seen still fenced after the default 90 s.
      KAFKA_START_TIMEOUT_S: '160',
    };
    brokers = Array.from({ length: BROKERS }, (_, i) => `127.0.0.1:${port + i}`);
    const started = await runKafkaScript('start.sh', env, args);
    expect(started.exitCode, `start.sh --brokers 3 failed:\n${started.stdout}\n${started.stderr}`).toBe(0);
    expect(started.stdout).toContain(`cluster started: 3 brokers on ${brokers.join(',')}`);
  }, 240_000);

  afterAll(async () => {
    if (dataDir === '') return;
    const stopped = await runKafkaScript('stop.sh', env, args);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    const status = await runKafkaScript('status.sh', env, args);
    expect(status.exitCode).toBe(3); // none of the nodes runs
    await rm(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('status.sh and logs.sh cover every node', async () => {
    const status = await runKafkaScript('status.sh', env, args);
    expect(status.exitCode, status.stdout).toBe(0);
    expect(status.stdout).toContain('3 of 3 nodes running');
    for (const broker of brokers) expect(status.stdout).toContain(`port ${broker}`);
    const logs = await runKafkaScript('logs.sh', env, [...args, '-n', '1']);
    expect(logs.exitCode, logs.stderr).toBe(0);
    for (let node = 1; node <= BROKERS; node++)
      expect(logs.stdout).toContain(`node-${node}/logs/server.log <==`);
  });

  it('ensureTopics gives RF 3 / min.insync 2; acks=all produce and consume survive a SIGKILLed broker', async () => {
    const kafka = kafkaClient();
    const topic = `kafka-cluster-${randomUUID()}`;
    expect(await ensureTopics(kafka, [{ topic, numPartitions: PARTITIONS }])).toEqual([topic]);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(metadata?.partitions).toHaveLength(PARTITIONS);
      for (const partition of metadata?.partitions ?? []) expect(partition.replicas).toHaveLength(3);
      // A new topic reaches each broker's metadata on its own time: a broker that has not applied it yet answers
      // describeConfigs with "does not host this topic-partition" (seen once at load 10) — asked again until all do.
      const minInsync = async () => {
        try {
          const configs = await admin.describeConfigs({
            includeSynonyms: false,
            resources: [
              { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] },
            ],
          });
          return configs.resources[0]?.configEntries.map((e) => `${e.configName}=${e.configValue}`);
        } catch (error) {
          return String(error);
        }
      };
      await expect.poll(minInsync, { timeout: 30_000, interval: 250 }).toEqual(['min.insync.replicas=2']);
    } finally {
      await admin.disconnect();
    }

    const producer = new JsonProducer(kafka); // acks=all (-1) on every send
    try {
      await producer.send(topic, batch('before', 30));

      const victim = 2;
      process.kill(await nodePid(victim), 'SIGKILL');
      const degraded = await runKafkaScript('status.sh', env, args);
      expect(degraded.exitCode, degraded.stdout).toBe(1); // some nodes run, not all
      expect(degraded.stdout).toContain(`Kafka node ${victim}/3 stopped`);

      // Two replicas of every partition remain = min.insync.replicas, so acks=all writes succeed again once the
      // controller has fenced the dead broker (broker.session.timeout.ms) and moved its leaderships; until then a
      // send to a partition it led fails with a retriable error, and the sender retries (as the apps' senders do).
      const startedMs = performance.now();
      let attempts = 0;
      let acks: Awaited<ReturnType<JsonProducer['send']>> | undefined;
      while (acks === undefined) {
        attempts++;
        try {
          acks = await producer.send(topic, batch('after', 30));
        } catch (error) {
          if (performance.now() - startedMs > DEGRADED_BOUND_MS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      const degradedProduceMs = performance.now() - startedMs;
      console.log(
        `acks=all produce with node ${victim} down: ${attempts} attempt(s), ${Math.round(degradedProduceMs)} ms`,
      );
      expect(acks.every((ack) => ack.errorCode === 0)).toBe(true);
      expect(degradedProduceMs).toBeLessThan(DEGRADED_BOUND_MS);

      const seen = await consumeDistinct(topic, 60);
      expect([...seen].sort()).toEqual(
        [...batch('before', 30), ...batch('after', 30)].map((m) => m.value).sort(),
      );
    } finally {
      await producer.disconnect();
    }
  }, 240_000);
});
