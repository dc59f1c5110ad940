import type { Kafka } from 'kafkajs';
import { TOPICS, dlqTopic } from '#gridshift/contracts';
import { ensureTopics } from '#gridshift/messaging';

export interface TopicNames {
  prices: string;
  clusterLoad: string;
  placements: string;
  pricesDlq: string;
  clusterLoadDlq: string;
}

/** The topic names this deployment uses; an optional prefix isolates test runs on a shared broker. */
export function topicNames(prefix = ''): TopicNames {
  return {
    prices: `${prefix}${TOPICS.prices}`,
    clusterLoad: `${prefix}${TOPICS.clusterLoad}`,
    placements: `${prefix}${TOPICS.placements}`,
    pricesDlq: dlqTopic(`${prefix}${TOPICS.prices}`),
    clusterLoadDlq: dlqTopic(`${prefix}${TOPICS.clusterLoad}`),
  };
}

/** Creates every gridshift topic that is missing (idempotent), with the configured partitions and replication. */
async function provisionTopics(
  kafka: Kafka,
  names: TopicNames,
  numPartitions: number,
  replicationFactor: number | undefined,
): Promise<string[]> {
  return ensureTopics(
    kafka,
    [names.prices, names.clusterLoad, names.placements, names.pricesDlq, names.clusterLoadDlq].map(
      (topic) => ({
        topic,
        numPartitions,
        ...(replicationFactor === undefined ? {} : { replicationFactor }),
      }),
    ),
  );
}

/** Shared, memoised topic provisioning: every app creates missing topics at boot; consumers await it first. */
export class TopicProvisioner {
  private pending: Promise<string[]> | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly names: TopicNames,
    private readonly numPartitions: number,
    /** Undefined: derived from the cluster size (`topicReplication`). */
    private readonly replicationFactor: number | undefined,
  ) {}

  ensure(): Promise<string[]> {
    this.pending ??= provisionTopics(
      this.kafka,
      this.names,
      this.numPartitions,
      this.replicationFactor,
    ).catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }
}
