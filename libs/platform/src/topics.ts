import type { Kafka } from 'kafkajs';
import { DEFAULT_MAX_MESSAGE_BYTES, TOPICS, dlqTopic } from '#gridshift/contracts';
import { BROKER_DEFAULT_MAX_MESSAGE_BYTES, ensureTopics, type TopicSpec } from '#gridshift/messaging';

export interface TopicNames {
  prices: string;
  clusterLoad: string;
  placements: string;
  placementAcks: string;
  usage: string;
  pricesDlq: string;
  clusterLoadDlq: string;
  placementAcksDlq: string;
  usageDlq: string;
  gridEvents: string;
  gridEventsDlq: string;
}

/** The topic names this deployment uses; an optional prefix isolates test runs on a shared broker. */
export function topicNames(prefix = ''): TopicNames {
  return {
    prices: `${prefix}${TOPICS.prices}`,
    clusterLoad: `${prefix}${TOPICS.clusterLoad}`,
    placements: `${prefix}${TOPICS.placements}`,
    placementAcks: `${prefix}${TOPICS.placementAcks}`,
    usage: `${prefix}${TOPICS.usage}`,
    pricesDlq: dlqTopic(`${prefix}${TOPICS.prices}`),
    clusterLoadDlq: dlqTopic(`${prefix}${TOPICS.clusterLoad}`),
    placementAcksDlq: dlqTopic(`${prefix}${TOPICS.placementAcks}`),
    usageDlq: dlqTopic(`${prefix}${TOPICS.usage}`),
    gridEvents: `${prefix}${TOPICS.gridEvents}`,
    gridEventsDlq: dlqTopic(`${prefix}${TOPICS.gridEvents}`),
  };
}

/** Room above the ingest's value limit for key, headers and batch overhead (bytes). */
const RECORD_HEADROOM_BYTES = 64 * 1024;

/**
 * `max.message.bytes` of the ingest's input topics and their dead-letter topics: every value the ingest accepts
 * (`INGEST_MAX_MESSAGE_BYTES`) plus key and headers, and never below the broker default. A dead-letter topic has
 * the same limit, so a rejected value that the ingest would have accepted by size is dead-lettered as it is;
 * anything larger becomes a reference of about 2 KiB.
 */
export function inputTopicMaxBytes(ingestMaxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): number {
  return Math.max(BROKER_DEFAULT_MAX_MESSAGE_BYTES, ingestMaxMessageBytes + RECORD_HEADROOM_BYTES);
}

/** The specs of every gridshift topic; input and dead-letter topics get `max.message.bytes` (inputTopicMaxBytes). */
export function topicSpecs(
  names: TopicNames,
  numPartitions: number,
  /** Undefined: derived from the cluster size (`topicReplication`). */
  replicationFactor: number | undefined,
  ingestMaxMessageBytes?: number,
): TopicSpec[] {
  const limited = [{ name: 'max.message.bytes', value: String(inputTopicMaxBytes(ingestMaxMessageBytes)) }];
  const rf = replicationFactor === undefined ? {} : { replicationFactor };
  return [
    { topic: names.prices, numPartitions, ...rf, configEntries: limited },
    { topic: names.clusterLoad, numPartitions, ...rf, configEntries: limited },
    { topic: names.placements, numPartitions, ...rf },
    { topic: names.pricesDlq, numPartitions, ...rf, configEntries: limited },
    { topic: names.clusterLoadDlq, numPartitions, ...rf, configEntries: limited },
    { topic: names.placementAcks, numPartitions, ...rf, configEntries: limited },
    { topic: names.usage, numPartitions, ...rf, configEntries: limited },
    { topic: names.placementAcksDlq, numPartitions, ...rf, configEntries: limited },
    { topic: names.usageDlq, numPartitions, ...rf, configEntries: limited },
    { topic: names.gridEvents, numPartitions, ...rf, configEntries: limited },
    { topic: names.gridEventsDlq, numPartitions, ...rf, configEntries: limited },
  ];
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
    private readonly ingestMaxMessageBytes?: number,
  ) {}

  /** Creates the missing topics (existing ones keep their settings; the ingest reads the DLQ limits at start). */
  ensure(): Promise<string[]> {
    this.pending ??= ensureTopics(
      this.kafka,
      topicSpecs(this.names, this.numPartitions, this.replicationFactor, this.ingestMaxMessageBytes),
    ).catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }
}
