import { createHash } from 'node:crypto';
import { HEADERS, CONTENT_TYPE_JSON } from './constants.js';

/** Every reason a message is dead-lettered. One code per record: the first failing check wins. */
export const DEAD_LETTER_CODES = [
  'OVERSIZED',
  'EMPTY_KEY',
  'MALFORMED_JSON',
  'NAIVE_TIMESTAMP',
  'UNKNOWN_MARKET',
  'NEGATIVE_COUNT',
  'MISALIGNED_INTERVAL',
  'SCHEMA_VIOLATION',
  'KEY_MISMATCH',
  'FUTURE_TIMESTAMP',
  'UNKNOWN_CURRENCY',
  'OVERLAPPING_INTERVALS',
  'IMPLAUSIBLE_PRICE',
  'FUTURE_INTERVAL',
  'GPU_BUSY_EXCEEDS_TOTAL',
  'GPU_SCHEDULABLE_EXCEEDS_TOTAL',
  'MISSING_CURRENCY',
  'MISSING_INCENTIVE',
  'IMPLAUSIBLE_PAYLOAD',
] as const;

/**
 * Codes the consumer adds after decoding, against what is stored: an unregistered zone or cluster, a re-issue that
 * contradicts the stored one, a record that broke the decoder or that PostgreSQL refused.
 */
export const CONSUMER_DEAD_LETTER_CODES = [
  'UNKNOWN_ZONE',
  'UNKNOWN_CLUSTER',
  'CONFLICTING_REISSUE',
  'UNKNOWN_ORDER',
  'DECODE_FAILED',
  'STORE_REJECTED',
] as const;

export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[number];
export type ConsumerDeadLetterCode = (typeof CONSUMER_DEAD_LETTER_CODES)[number];

/** One sentence per code, for docs, logs and metric help. */
export const DEAD_LETTER_CODE_DESCRIPTIONS: Record<DeadLetterCode | ConsumerDeadLetterCode, string> = {
  OVERSIZED: 'The value is larger than the configured maximum (default 256 KiB).',
  EMPTY_KEY: 'The message key is missing, empty or blank; keys give per-zone / per-cluster ordering.',
  MALFORMED_JSON: 'The value is missing (tombstone), not UTF-8, or not parseable JSON.',
  NAIVE_TIMESTAMP: 'A timestamp has no offset or `Z` (e.g. `2023-03-02T00:00:00`); the path names it.',
  UNKNOWN_MARKET: 'The `market` is not one of day_ahead, intraday, real_time, forecast.',
  NEGATIVE_COUNT: 'A GPU count is negative.',
  MISALIGNED_INTERVAL:
    'An interval length is not 5, 15, 30 or 60 minutes, or its start is not a multiple of its length on the UTC grid.',
  SCHEMA_VIOLATION:
    'The JSON does not match the schema (missing/extra field, wrong type, out-of-range value); the message names the field path.',
  KEY_MISMATCH:
    'The key differs from the payload `zone` (prices) or `clusterId` (load, placements, acknowledgements, usage).',
  FUTURE_TIMESTAMP:
    'A price `issuedAt`, a load or usage `observedAt` or an acknowledgement `at` is later than now plus the configured clock-skew tolerance (it would outrank every later correction).',
  UNKNOWN_CURRENCY: 'The `currency` is not in the configured exchange-rate table.',
  OVERLAPPING_INTERVALS: 'Two points (or placement slots) of one message overlap in time.',
  IMPLAUSIBLE_PRICE:
    'A price converted to the base currency per MWh is outside the configured limits (default −10,000..+100,000).',
  FUTURE_INTERVAL:
    'A price interval starts more than the configured horizon (default 14 days) after the message `issuedAt` (no market publishes that far ahead), or a usage slot starts after the message `observedAt`.',
  GPU_BUSY_EXCEEDS_TOTAL: '`gpuBusy` is greater than `gpuTotal`.',
  GPU_SCHEDULABLE_EXCEEDS_TOTAL: '`gpuSchedulable` is greater than `gpuTotal`.',
  MISSING_CURRENCY:
    'A grid event carries a PRICE payload or an `incentivePerMwh` but no `currency` to convert it with.',
  MISSING_INCENTIVE:
    'A voluntary grid event with a capacity payload (IMPORT_CAPACITY_LIMIT or LOAD_REDUCTION) has no `incentivePerMwh`: following it could never pay.',
  IMPLAUSIBLE_PAYLOAD:
    'A grid-event payload value is out of range: a LOAD_REDUCTION above 100 %, or a PRICE adder outside the configured price limits.',
  UNKNOWN_ZONE:
    'A price for a zone nobody registered (neither a zone nor the zone of a cluster in the admin API); replay it with `npm run dlq:replay` once registered.',
  UNKNOWN_CLUSTER:
    'A load report for a cluster nobody registered in the admin API; replay it with `npm run dlq:replay` once registered.',
  CONFLICTING_REISSUE:
    'A price re-sends a stored interval of an issue (same partner, zone, market, `issuedAt`, interval and currency) with a different price or carbon, or a grid event re-sends a stored (eventId, modificationNumber) with different content; the stored one stays. An identical re-send is a no-op; other intervals of a price issue are welcome.',
  UNKNOWN_ORDER:
    'An acknowledgement names an order gridshift never sent to that cluster (scheduleId, version and clusterId do not match a sent placement order).',
  DECODE_FAILED:
    "The decoder itself failed on the record (a gridshift bug, never the partner's input alone); the message says how.",
  STORE_REJECTED:
    'The record passed validation but PostgreSQL refused it for good (e.g. a constraint); isolated by bisecting its chunk.',
};

/** Outcome of decoding one Kafka record. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; code: DeadLetterCode; message: string };

/** Longest `error-message` header value we write (characters). */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;

export interface DeadLetterInput {
  code: DeadLetterCode | ConsumerDeadLetterCode;
  message: string;
  sourceTopic: string;
  sourcePartition: number;
  /** Kafka offsets are int64 strings in kafkajs. */
  sourceOffset: string;
  /** Headers of the original record, kept on the dead letter (error headers override same-named ones). */
  originalHeaders?: Readonly<Record<string, string | Buffer | undefined>>;
}

/** Headers of a dead-letter record: the original ones plus error-code, error-message and source coordinates. */
export function deadLetterHeaders(input: DeadLetterInput): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.originalHeaders ?? {})) {
    if (value !== undefined) headers[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  headers[HEADERS.errorCode] = input.code;
  headers[HEADERS.errorMessage] = input.message.slice(0, MAX_ERROR_MESSAGE_CHARS);
  headers[HEADERS.sourceTopic] = input.sourceTopic;
  headers[HEADERS.sourcePartition] = String(input.sourcePartition);
  headers[HEADERS.sourceOffset] = input.sourceOffset;
  return headers;
}

/** What the value of a dead letter is: the source record's bytes, or a DeadLetterReference to them. */
export type DeadLetterValueKind = 'original' | 'reference';

/** The value of a dead letter whose original value did not fit the dead-letter topic (JSON, UTF-8). */
export interface DeadLetterReference {
  kind: 'gridshift.dead-letter-reference.v1';
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  /** Size of the original value in bytes (0 for a tombstone). */
  valueBytes: number;
  /** Hex SHA-256 of the original value's bytes. */
  valueSha256: string;
  /** The first KiB of the original value, base64. */
  valueHeadBase64: string;
  /** Size of the original key in bytes; the key itself is kept unless it is longer than a KiB. */
  keyBytes: number;
  /** True when the original headers were left off (too large); the error headers are always there. */
  originalHeadersDropped: boolean;
}

/** Bytes of the original value a DeadLetterReference keeps. */
export const DEAD_LETTER_HEAD_BYTES = 1024;

/** Bytes a record batch of one record adds beyond its key, value and header bytes (Kafka v2 format, rounded up). */
const RECORD_OVERHEAD_BYTES = 128;
const HEADER_OVERHEAD_BYTES = 8;
/** Headroom under the topic's limit for the size arithmetic we do not model exactly. */
const LIMIT_MARGIN_BYTES = 1024;
/** Original headers a reference keeps at most (bytes); larger sets are left off. */
const REFERENCE_HEADER_BYTES = 16 * 1024;

export interface DeadLetterRecord {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  valueKind: DeadLetterValueKind;
}

function byteLength(value: Buffer | string | null | undefined): number {
  return value === null || value === undefined ? 0 : Buffer.byteLength(value);
}

function headersBytes(headers: Record<string, string>): number {
  let sum = 0;
  for (const [name, value] of Object.entries(headers))
    sum += Buffer.byteLength(name) + Buffer.byteLength(value) + HEADER_OVERHEAD_BYTES;
  return sum;
}

/** Upper estimate of a record's size in a one-record batch: what the broker compares with `max.message.bytes`. */
export function estimatedRecordBytes(record: {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, string>;
}): number {
  return (
    RECORD_OVERHEAD_BYTES + byteLength(record.key) + byteLength(record.value) + headersBytes(record.headers)
  );
}

/**
 * The dead letter of a source record for a topic that accepts records up to `maxRecordBytes`: the original key,
 * value and headers when they fit, otherwise a DeadLetterReference (size, SHA-256, first KiB) with the error
 * headers, so a dead letter always fits. `minimal` leaves off the original headers and key whatever their size
 * (the last resort when the broker refused a reference).
 */
export function deadLetterRecord(
  input: DeadLetterInput & { key: Buffer | null; value: Buffer | null },
  maxRecordBytes: number,
  minimal = false,
): DeadLetterRecord {
  const budget = maxRecordBytes - LIMIT_MARGIN_BYTES;
  const withOriginal = deadLetterHeaders(input);
  withOriginal[HEADERS.deadLetterValue] = 'original';
  const value = input.value ?? Buffer.alloc(0);
  if (!minimal && estimatedRecordBytes({ key: input.key, value, headers: withOriginal }) <= budget) {
    return { key: input.key, value, headers: withOriginal, valueKind: 'original' };
  }
  const keyBytes = byteLength(input.key);
  const key = !minimal && keyBytes <= DEAD_LETTER_HEAD_BYTES ? input.key : null;
  let headers = withOriginal;
  const dropHeaders = minimal || headersBytes(withOriginal) > REFERENCE_HEADER_BYTES;
  if (dropHeaders) {
    headers = deadLetterHeaders({
      code: input.code,
      message: input.message.slice(0, 200),
      sourceTopic: input.sourceTopic,
      sourcePartition: input.sourcePartition,
      sourceOffset: input.sourceOffset,
    });
  }
  headers[HEADERS.deadLetterValue] = 'reference';
  const reference: DeadLetterReference = {
    kind: 'gridshift.dead-letter-reference.v1',
    sourceTopic: input.sourceTopic,
    sourcePartition: input.sourcePartition,
    sourceOffset: input.sourceOffset,
    valueBytes: value.length,
    valueSha256: createHash('sha256').update(value).digest('hex'),
    valueHeadBase64: value.subarray(0, DEAD_LETTER_HEAD_BYTES).toString('base64'),
    keyBytes,
    originalHeadersDropped: dropHeaders,
  };
  return { key, value: Buffer.from(JSON.stringify(reference), 'utf8'), headers, valueKind: 'reference' };
}

/** Headers every gridshift producer sets: message-id and content-type. */
export function messageHeaders(messageId: string): Record<string, string> {
  return { [HEADERS.messageId]: messageId, [HEADERS.contentType]: CONTENT_TYPE_JSON };
}
