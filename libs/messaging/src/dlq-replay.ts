import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { HEADERS } from '#gridshift/contracts';
import { JsonProducer } from './producer.js';

export interface ReplayOptions {
  /** The dead-letter topic to read, e.g. `gridshift.prices.v1.dlq`. */
  topic: string;
  /** Only dead letters with this `error-code`. */
  code: string;
  /** Only dead letters written at or after this instant (epoch ms, the record timestamp). */
  sinceMs?: number;
  /** Count what would be replayed, send nothing. */
  dryRun?: boolean;
}

/** A matching dead letter that carries a reference instead of the original value: it cannot be replayed. */
export interface UnreplayableLetter {
  sourceTopic: string;
  sourcePartition: string;
  sourceOffset: string;
  dlqPartition: number;
  dlqOffset: string;
}

export interface ReplayReport {
  /** Dead letters read (up to the end of the topic when the replay started). */
  scanned: number;
  /** Of them, with the code (and since). */
  matched: number;
  /** Re-published to their source topic (0 on a dry run). */
  replayed: number;
  unreplayable: UnreplayableLetter[];
}

/** Headers the dead-letter path added; the replayed record gets the original headers only. */
const ADDED_HEADERS = new Set<string>([
  HEADERS.errorCode,
  HEADERS.errorMessage,
  HEADERS.sourceTopic,
  HEADERS.sourcePartition,
  HEADERS.sourceOffset,
  HEADERS.deadLetterValue,
]);

/** Header naming the dead letter a replayed record came from (`<dlq topic>/<partition>/<offset>`). */
export const REPLAYED_FROM_HEADER = 'dlq-replayed-from';

function text(value: IHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

/**
 * Re-publishes the original key, value and headers of the dead letters with `code` to their `source-topic`
 * (same key, so the same partition and order as the original). Reads the topic up to its end at the start (so
 * records that come back to the dead-letter topic during the run are not read again). Dead letters holding a
 * reference (the value was too large for the dead-letter topic) are reported, not replayed. Running it twice
 * publishes twice; the ingest stores idempotently, so the second run changes nothing stored.
 */
export async function replayDeadLetters(kafka: Kafka, options: ReplayOptions): Promise<ReplayReport> {
  const report: ReplayReport = { scanned: 0, matched: 0, replayed: 0, unreplayable: [] };
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `gridshift-dlq-replay-${randomUUID()}`;
  const producer = new JsonProducer(kafka);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  try {
    const ends = (await admin.fetchTopicOffsets(options.topic)).filter((p) => BigInt(p.high) > BigInt(p.low));
    const remaining = new Map(ends.map((p) => [p.partition, BigInt(p.high) - 1n]));
    if (remaining.size === 0) return report;
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    let fail: (error: unknown) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      fail = reject;
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            const last = remaining.get(batch.partition);
            if (last === undefined) return;
            const out: {
              topic: string;
              key: Buffer | null;
              value: Buffer | null;
              headers: Record<string, string>;
            }[] = [];
            for (const message of batch.messages) {
              if (BigInt(message.offset) > last) break;
              report.scanned += 1;
              const headers = message.headers ?? {};
              if (text(headers[HEADERS.errorCode]) !== options.code) continue;
              if (options.sinceMs !== undefined && Number(message.timestamp) < options.sinceMs) continue;
              report.matched += 1;
              const sourceTopic = text(headers[HEADERS.sourceTopic]) ?? '';
              if (text(headers[HEADERS.deadLetterValue]) === 'reference' || sourceTopic === '') {
                report.unreplayable.push({
                  sourceTopic,
                  sourcePartition: text(headers[HEADERS.sourcePartition]) ?? '',
                  sourceOffset: text(headers[HEADERS.sourceOffset]) ?? '',
                  dlqPartition: batch.partition,
                  dlqOffset: message.offset,
                });
                continue;
              }
              const original: Record<string, string> = {};
              for (const name of Object.keys(headers)) {
                const value = text(headers[name]);
                if (!ADDED_HEADERS.has(name) && value !== undefined) original[name] = value;
              }
              original[REPLAYED_FROM_HEADER] = `${options.topic}/${batch.partition}/${message.offset}`;
              out.push({ topic: sourceTopic, key: message.key, value: message.value, headers: original });
            }
            if (!options.dryRun) {
              for (const record of out) {
                await producer.sendRaw(record.topic, [
                  { key: record.key, value: record.value, headers: record.headers },
                ]);
                report.replayed += 1;
              }
            }
            await payload.heartbeat();
            const seen = batch.messages.at(-1);
            if (seen !== undefined && BigInt(seen.offset) >= last) remaining.delete(batch.partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    consumer.on(consumer.events.CRASH, (event) => fail(event.payload.error));
    await finished;
    return report;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
