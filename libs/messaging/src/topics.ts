import type { Admin, Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries?: { name: string; value: string }[];
}

/** Creates the topics that do not exist yet (idempotent, safe to race from several processes). */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (error) {
      // Another process created one of them between listTopics and createTopics.
      if (!(error instanceof Error) || !/already exists|TOPIC_ALREADY_EXISTS/i.test(JSON.stringify(error)))
        throw error;
    }
    return missing.map((s) => s.topic);
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
