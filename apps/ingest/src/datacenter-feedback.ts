import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { decodePlacementAck, decodeUsageMessage, HEADERS, toUtcIso } from '#gridshift/contracts';
import {
  ConsumerRunner,
  RetriableError,
  type ConsumedRecord,
  type ConsumerRunnerOptions,
  type DeadRecord,
  type Decoded,
  type RawRecord,
} from '#gridshift/messaging';
import { counter, type Logger } from '#gridshift/observability';
import { DeliveryRepository, UsageRepository, type AckRow, type UsageRow } from '#gridshift/persistence';
import type { IngestConfig } from './config.js';
import type { RegisteredIds } from './registered-ids.js';

type DecodeConfig = Pick<IngestConfig, 'INGEST_MAX_MESSAGE_BYTES' | 'INGEST_MAX_CLOCK_SKEW_SECONDS'>;

/** Decodes one acknowledgement record into the row to store (or a dead-letter code). */
export function decodeAckRecord(record: RawRecord, config: DecodeConfig): Decoded<AckRow> {
  const decoded = decodePlacementAck(record.key, record.value, {
    maxBytes: config.INGEST_MAX_MESSAGE_BYTES,
    notAfterMs: Date.now() + config.INGEST_MAX_CLOCK_SKEW_SECONDS * 1000,
  });
  if (!decoded.ok) return decoded;
  const a = decoded.value;
  const at = toUtcIso(a.at);
  // Without a message-id header the ack's content identifies it, so a replay is still a no-op.
  const ackMessageId =
    record.headers[HEADERS.messageId] ??
    `ack:${createHash('sha256').update(`${a.clusterId}|${a.scheduleId}|${a.version}|${a.status}|${at}`).digest('hex')}`;
  return {
    ok: true,
    value: {
      ackMessageId,
      scheduleId: a.scheduleId,
      version: a.version,
      clusterId: a.clusterId,
      orderMessageId: a.messageId,
      status: a.status,
      at,
      reasons: a.reasons,
      applied:
        a.applied === undefined
          ? null
          : a.applied.map((x) => ({ jobId: x.jobId, slotStart: toUtcIso(x.slotStart), gpus: x.gpus })),
    },
  };
}

/** Decodes one usage record into the rows to store (or a dead-letter code). */
export function decodeUsageRecord(record: RawRecord, config: DecodeConfig): Decoded<UsageRow[]> {
  const decoded = decodeUsageMessage(record.key, record.value, {
    maxBytes: config.INGEST_MAX_MESSAGE_BYTES,
    notAfterMs: Date.now() + config.INGEST_MAX_CLOCK_SKEW_SECONDS * 1000,
  });
  if (!decoded.ok) return decoded;
  const m = decoded.value;
  const observedAt = toUtcIso(m.observedAt);
  const messageId = record.headers[HEADERS.messageId] ?? null;
  return {
    ok: true,
    value: m.rows.map((r) => ({
      clusterId: m.clusterId,
      jobId: r.jobId,
      slotStart: toUtcIso(r.slotStart),
      minutes: r.minutes,
      gpuHours: r.gpuHours,
      energyKwh: r.energyKwh,
      observedAt,
      messageId,
    })),
  };
}

export interface FeedbackRunnerOptions {
  kafka: Kafka;
  dataSource: DataSource;
  config: IngestConfig;
  logger: Logger;
  registry: Registry;
  topics: { placementAcks: string; usage: string };
  prepare: () => Promise<unknown>;
  /** Records dead letters for the admin API (`deadLetterRecorder`). */
  recordDeadLetters?: ConsumerRunnerOptions<unknown>['recordDeadLetters'];
  /** Registered clusters (UNKNOWN_CLUSTER for usage of others); undefined = no check. */
  clusters: RegisteredIds | undefined;
}

/**
 * The consumers of what data centers send back: acknowledgements (delivery state, refusals → exclusions;
 * UNKNOWN_ORDER for orders never sent to that cluster) and realized usage (upserted, the later report wins).
 */
export function feedbackRunners(options: FeedbackRunnerOptions): ConsumerRunner<unknown>[] {
  const { config, dataSource } = options;
  const deliveries = new DeliveryRepository(dataSource);
  const usage = new UsageRepository(dataSource);
  const acksStored = counter(
    options.registry,
    'gridshift_ingest_acks_total',
    'Acknowledgements of placement orders stored (replays not counted); superseded = for an older version',
    ['superseded'],
  );
  const usageRows = counter(
    options.registry,
    'gridshift_ingest_usage_rows_total',
    'Usage rows written (new, or a later observation of a stored one)',
  );
  const exclusions = counter(
    options.registry,
    'gridshift_ingest_exclusions_total',
    'Job × cluster exclusions created from data-center refusals (policy)',
  );
  const common = {
    kafka: options.kafka,
    prepare: options.prepare,
    ...(options.recordDeadLetters ? { recordDeadLetters: options.recordDeadLetters } : {}),
    logger: options.logger,
    registry: options.registry,
    chunkSize: config.INGEST_CHUNK_SIZE,
    partitionsConsumedConcurrently: config.INGEST_CONCURRENCY,
    maxBytesPerPartition: config.INGEST_FETCH_PARTITION_BYTES,
  };
  const ackRunner = new ConsumerRunner<AckRow>({
    ...common,
    groupId: `${config.INGEST_GROUP_ID}-acks`,
    topics: [options.topics.placementAcks],
    decode: (record) => decodeAckRecord(record, config),
    store: async (records: ConsumedRecord<AckRow>[]) => {
      const outcome = await dataSource.transaction(async (manager) => {
        const result = await deliveries.recordAcks(
          records.map((r) => r.decoded),
          manager,
        );
        // The relay marks an order sent right after Kafka took it; an ack can be faster. Retry shortly.
        if (result.notYetSent.length > 0)
          throw new RetriableError(
            `${result.notYetSent.length} acknowledgement(s) name orders the relay has not marked sent yet`,
          );
        return result;
      });
      acksStored.inc({ superseded: 'true' }, outcome.superseded);
      acksStored.inc({ superseded: 'false' }, outcome.stored - outcome.superseded);
      exclusions.inc(outcome.exclusions);
      return outcome.unknown.map((i): DeadRecord => ({
        record: records[i]!,
        code: 'UNKNOWN_ORDER',
        message: `no order of schedule ${records[i]!.decoded.scheduleId} version ${records[i]!.decoded.version} was sent to cluster ${records[i]!.decoded.clusterId}`,
      }));
    },
  });
  const usageRunner = new ConsumerRunner<UsageRow[]>({
    ...common,
    groupId: `${config.INGEST_GROUP_ID}-usage`,
    topics: [options.topics.usage],
    decode: (record) => decodeUsageRecord(record, config),
    store: async (records: ConsumedRecord<UsageRow[]>[]) => {
      const dead: DeadRecord[] = [];
      let kept = records;
      if (options.clusters !== undefined) {
        const unregistered = await options.clusters.unregistered(records.map((r) => r.decoded[0]!.clusterId));
        if (unregistered.size > 0) {
          kept = [];
          for (const r of records) {
            const id = r.decoded[0]!.clusterId;
            if (!unregistered.has(id)) kept.push(r);
            else
              dead.push({
                record: r,
                code: 'UNKNOWN_CLUSTER',
                message: `cluster ${JSON.stringify(id)} is not registered; register it in the admin API, then replay with npm run dlq:replay`,
              });
          }
        }
      }
      const rows = kept.flatMap((r) => r.decoded);
      if (rows.length > 0) usageRows.inc(await usage.store(rows));
      return dead;
    },
  });
  return [ackRunner as ConsumerRunner<unknown>, usageRunner as ConsumerRunner<unknown>];
}
