import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';

/** ConfigResourceTypes.TOPIC; kafkajs is CommonJS and Node's ESM loader does not see that named export. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Replicas per partition; when omitted, derived from the cluster size (`topicReplication`). */
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/** Most replicas a topic gets by default: 3 survives one broker down with `min.insync.replicas` 2. */
export const MAX_DEFAULT_REPLICATION_FACTOR = 3;

export interface TopicReplication {
  replicationFactor: number;
  /** Replicas that must have a write before an acks=all produce succeeds. */
  minInsyncReplicas: number;
}

/**
 * The replication of a new topic on a cluster of `brokerCount` brokers: the requested factor, else one replica per
 * broker capped at 3; `min.insync.replicas` 2 from 3 replicas on (one broker may be down, an acknowledged write
 * is still on two), else 1 (with 1–2 replicas a stricter minimum would stop every write while one broker is down).
 */
export function topicReplication(brokerCount: number, requested?: number): TopicReplication {
  const replicationFactor = requested ?? Math.max(1, Math.min(brokerCount, MAX_DEFAULT_REPLICATION_FACTOR));
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

/** The spec as sent to the broker: replication resolved and `min.insync.replicas` set unless the spec sets it. */
function resolveSpec(
  spec: TopicSpec,
  brokerCount: number,
): TopicSpec & { replicationFactor: number; configEntries: { name: string; value: string }[] } {
  const { replicationFactor, minInsyncReplicas } = topicReplication(brokerCount, spec.replicationFactor);
  const configEntries = spec.configEntries ?? [];
  const hasMinIsr = configEntries.some((e) => e.name === 'min.insync.replicas');
  return {
    ...spec,
    replicationFactor,
    configEntries: hasMinIsr
      ? configEntries
      : [...configEntries, { name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
  };
}

/** True for an error kafkajs marks retriable (e.g. a topic created a moment ago whose metadata has not spread). */
function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

/**
 * Creates the topics that do not exist yet (idempotent, safe to race from several processes), each replicated as
 * `topicReplication` says for the number of brokers the cluster reports. Retriable broker
 * errors — two processes creating the same topics at once can see "This server does not host this
 * topic-partition" until the new topic's metadata has spread — are retried with backoff (`attempts` in all).
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], attempts = 6): Promise<string[]> {
  // Topics this call asked the broker to create: a retry after a timeout (e.g. waiting for leaders) finds them
  // existing and still reports them as created by this call.
  const requested = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopicsOnce(kafka, specs, requested);
      return specs.map((s) => s.topic).filter((t) => requested.has(t));
    } catch (error) {
      if (attempt >= attempts || !isRetriable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
}

async function ensureTopicsOnce(kafka: Kafka, specs: TopicSpec[], requested: Set<string>): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return;
    const { brokers } = await admin.describeCluster();
    for (const s of missing) requested.add(s.topic);
    try {
      await admin.createTopics({
        topics: missing.map((s) => resolveSpec(s, brokers.length)),
        waitForLeaders: true,
      });
    } catch (error) {
      // Another process created one of them between listTopics and createTopics.
      if (!(error instanceof Error) || !/already exists|TOPIC_ALREADY_EXISTS/i.test(JSON.stringify(error)))
        throw error;
    }
  } finally {
    await admin.disconnect();
  }
}

/** The broker's default `message.max.bytes` (1 MiB + 12 B): the limit of a topic created without one. */
export const BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Each topic's `max.message.bytes` as the broker reports it (topics it does not know are left out). */
export async function topicMaxMessageBytes(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['max.message.bytes'],
      })),
    });
    const limits = new Map<string, number>();
    for (const resource of resources) {
      const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
      const bytes = Number(entry?.configValue);
      if (resource.errorCode === 0 && Number.isFinite(bytes) && bytes > 0)
        limits.set(resource.resourceName, bytes);
    }
    return limits;
  } finally {
    await admin.disconnect();
  }
}

/** True when the cluster answers a metadata request within the client's timeouts. */
export async function kafkaReachable(kafka: Kafka): Promise<boolean> {
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
