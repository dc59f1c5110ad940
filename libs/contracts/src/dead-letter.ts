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
  'GPU_BUSY_EXCEEDS_TOTAL',
  'GPU_SCHEDULABLE_EXCEEDS_TOTAL',
] as const;

/** Codes the consumer itself adds after decoding: a record that broke the decoder or that PostgreSQL refused. */
export const CONSUMER_DEAD_LETTER_CODES = ['DECODE_FAILED', 'STORE_REJECTED'] as const;

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
  KEY_MISMATCH: 'The key differs from the payload `zone` (prices) or `clusterId` (load, placements).',
  FUTURE_TIMESTAMP:
    'A price `issuedAt` or a load `observedAt` is later than now plus the configured clock-skew tolerance (it would outrank every later correction).',
  UNKNOWN_CURRENCY: 'The `currency` is not in the configured exchange-rate table.',
  OVERLAPPING_INTERVALS: 'Two points (or placement slots) of one message overlap in time.',
  IMPLAUSIBLE_PRICE:
    'A price converted to the base currency per MWh is outside the configured limits (default −10,000..+100,000).',
  GPU_BUSY_EXCEEDS_TOTAL: '`gpuBusy` is greater than `gpuTotal`.',
  GPU_SCHEDULABLE_EXCEEDS_TOTAL: '`gpuSchedulable` is greater than `gpuTotal`.',
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

/** Headers every gridshift producer sets: message-id and content-type. */
export function messageHeaders(messageId: string): Record<string, string> {
  return { [HEADERS.messageId]: messageId, [HEADERS.contentType]: CONTENT_TYPE_JSON };
}
