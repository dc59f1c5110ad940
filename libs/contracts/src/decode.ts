// Decoders of the v1 prices, cluster-load, placement, ack and usage messages, with the shared preflight checks
// (size, key, JSON, schema) every topic's decoder uses; each function maps one input to one dead-letter code.
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import {
  DEFAULT_MAX_INTERVAL_LEAD_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PRICE_LIMITS,
  MARKETS,
  type PriceLimits,
} from './constants.js';
import type { DeadLetterCode, DecodeResult } from './dead-letter.js';
import type { GridEventMessageV1 } from './grid-events.js';
import { acceptPriceMessage } from './fast-price.js';
import { isKnownCurrency, toBasePerMwh, type ExchangeRates } from './fx.js';
import {
  ClusterLoadMessageV1Schema,
  PlacementAckV1Schema,
  PlacementOrderV1Schema,
  PriceMessageV1Schema,
  UsageMessageV1Schema,
  type ClusterLoadMessageV1,
  type PlacementAckV1,
  type PlacementOrderV1,
  type PriceMessageV1,
  type UsageMessageV1,
} from './schemas.js';
import { isAlignedMs, isNaiveTimestamp, timestampToMs, MS_PER_MINUTE } from './time.js';

// Check order (the first failure decides the code, so every record gets exactly one):
//   1. OVERSIZED      value bytes > maxBytes (before any parsing)
//   2. EMPTY_KEY      key null / empty / blank
//   3. MALFORMED_JSON value null (tombstone), invalid UTF-8, or JSON.parse fails
//   4. schema         first zod issue → NAIVE_TIMESTAMP | UNKNOWN_MARKET | NEGATIVE_COUNT |
//                     MISALIGNED_INTERVAL (interval length) | SCHEMA_VIOLATION
//   5. semantics      KEY_MISMATCH, FUTURE_TIMESTAMP (if notAfterMs is set), then per topic: UNKNOWN_CURRENCY,
//                     MISALIGNED_INTERVAL (start),
//                     OVERLAPPING_INTERVALS, IMPLAUSIBLE_PRICE, FUTURE_INTERVAL | GPU_BUSY_EXCEEDS_TOTAL, GPU_SCHEDULABLE_EXCEEDS_TOTAL

export interface DecodeOptions {
  /** Largest accepted value in bytes; default DEFAULT_MAX_MESSAGE_BYTES (256 KiB). */
  maxBytes?: number;
  /**
   * Latest accepted price `issuedAt` / load `observedAt` (epoch ms; the consumer passes now + its clock-skew
   * tolerance). A later one is `FUTURE_TIMESTAMP`: it would supersede every correction sent after it. Unset: no
   * check.
   */
  notAfterMs?: number;
}

function futureFailure(field: string, value: string, notAfterMs: number | undefined): Failure | undefined {
  if (notAfterMs === undefined || timestampToMs(value) <= notAfterMs) return undefined;
  return fail(
    'FUTURE_TIMESTAMP',
    `${field}: ${value} is after ${new Date(notAfterMs).toISOString()} (now plus the clock-skew tolerance)`,
  );
}

export interface PriceDecodeOptions extends DecodeOptions {
  /** Exchange-rate table; its currencies are the accepted ones. */
  fx: ExchangeRates;
  /** Plausible range per MWh in fx.base; default DEFAULT_PRICE_LIMITS. */
  priceLimits?: PriceLimits;
  /** Latest accepted interval start after the message's issuedAt (ms); default DEFAULT_MAX_INTERVAL_LEAD_MS (14 days). */
  maxIntervalLeadMs?: number;
}

/** A Kafka key or value as kafkajs hands it over (Buffer) or as a string. */
export type RawBytes = string | Buffer | null | undefined;

/** A failed decode (shared with the grid-event decoder). */
export type Failure = { ok: false; code: DeadLetterCode; message: string };

const MAX_MESSAGE_CHARS = 500;
const COUNT_FIELDS = new Set<PropertyKey>(['gpuTotal', 'gpuBusy', 'gpuSchedulable', 'gpus']);
const INTERVAL_FIELDS = new Set<PropertyKey>(['intervalMinutes', 'minutes']);

/** A failure whose message is cut to the header budget. */
export function fail(code: DeadLetterCode, message: string): Failure {
  return {
    ok: false,
    code,
    message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, 497)}...` : message,
  };
}

/** Human path of a zod issue: ['points', 3, 'price'] → `points[3].price`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** A short JSON rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function classifyIssue(issue: z.core.$ZodIssue, input: unknown): { code: DeadLetterCode; message: string } {
  const raw = valueAt(input, issue.path);
  const where = formatPath(issue.path);
  const field = issue.path.at(-1);
  if (issue.code === 'invalid_format' && typeof raw === 'string' && isNaiveTimestamp(raw)) {
    return {
      code: 'NAIVE_TIMESTAMP',
      message: `${where}: ${describeValue(raw)} has no UTC offset; send Z or ±hh:mm (e.g. 2023-03-02T00:00:00Z)`,
    };
  }
  if (issue.path.length === 1 && field === 'market' && typeof raw === 'string') {
    return {
      code: 'UNKNOWN_MARKET',
      message: `market: ${describeValue(raw)} is not one of ${MARKETS.join('|')}`,
    };
  }
  if (field !== undefined && COUNT_FIELDS.has(field) && typeof raw === 'number' && raw < 0) {
    return { code: 'NEGATIVE_COUNT', message: `${where}: ${raw} is negative; GPU counts must be ≥ 0` };
  }
  if (field !== undefined && INTERVAL_FIELDS.has(field) && typeof raw === 'number') {
    return { code: 'MISALIGNED_INTERVAL', message: `${where}: ${raw} minutes is not one of 5, 15, 30, 60` };
  }
  if (issue.code === 'unrecognized_keys') {
    return { code: 'SCHEMA_VIOLATION', message: `${where}: unknown field(s) ${issue.keys.join(', ')}` };
  }
  return { code: 'SCHEMA_VIOLATION', message: `${where}: ${issue.message}` };
}

/** The dead-letter code and message of a zod error (its first issue decides). */
export function schemaFailure(error: z.ZodError, input: unknown): Failure {
  const [first, ...rest] = error.issues;
  if (first === undefined) return fail('SCHEMA_VIOLATION', '(root): invalid');
  const { code, message } = classifyIssue(first, input);
  const paths = [...new Set(rest.map((i) => formatPath(i.path)))];
  const more = rest.length === 0 ? '' : ` (+${rest.length} more at ${paths.slice(0, 5).join(', ')})`;
  return fail(code, `${message}${more}`);
}

function keyText(key: RawBytes): string | null {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? key : key.toString('utf8');
}

/** Size, key and JSON checks every topic shares. */
export function preflight(
  key: RawBytes,
  value: RawBytes,
  opts: DecodeOptions | undefined,
): Failure | { ok: true; key: string; json: unknown } {
  const maxBytes = opts?.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const bytes = value === null || value === undefined ? 0 : Buffer.byteLength(value);
  if (bytes > maxBytes) return fail('OVERSIZED', `value is ${bytes} bytes; the limit is ${maxBytes}`);
  const keyString = keyText(key);
  if (keyString === null || keyString.trim() === '') {
    return fail('EMPTY_KEY', keyString === null ? 'the message has no key' : 'the message key is empty');
  }
  if (value === null || value === undefined) return fail('MALFORMED_JSON', 'the value is null (tombstone)');
  if (typeof value !== 'string' && !isUtf8(value))
    return fail('MALFORMED_JSON', 'the value is not valid UTF-8');
  const text = typeof value === 'string' ? value : value.toString('utf8');
  try {
    return { ok: true, key: keyString, json: JSON.parse(text) as unknown };
  } catch (error) {
    return fail('MALFORMED_JSON', `the value is not JSON: ${(error as Error).message}`);
  }
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** An interval of a message, for overlap checks. */
export interface Span {
  index: number;
  startMs: number;
  endMs: number;
}

/** The first two overlapping spans (in message order), or null. */
export function firstOverlap(spans: Span[]): [Span, Span] | null {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs || a.index - b.index);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (previous !== undefined && current !== undefined && current.startMs < previous.endMs) {
      return previous.index < current.index ? [previous, current] : [current, previous];
    }
  }
  return null;
}

/** Validates an already-parsed price message (schema + semantics) against its key; no byte/JSON checks. */
export function validatePriceMessage(
  key: string,
  input: unknown,
  opts: PriceDecodeOptions,
): DecodeResult<PriceMessageV1> {
  const accepted = acceptPriceMessage(key, input, opts);
  return accepted === undefined ? validatePriceMessageFully(key, input, opts) : { ok: true, value: accepted };
}

/** The full validation behind validatePriceMessage: zod schema, then semantics; names the first failure. */
export function validatePriceMessageFully(
  key: string,
  input: unknown,
  opts: PriceDecodeOptions,
): DecodeResult<PriceMessageV1> {
  const parsed = PriceMessageV1Schema.safeParse(input);
  if (!parsed.success) return schemaFailure(parsed.error, input);
  const msg = parsed.data;
  if (key !== msg.zone)
    return fail('KEY_MISMATCH', `key ${describeValue(key)} ≠ zone ${describeValue(msg.zone)}`);
  const future = futureFailure('issuedAt', msg.issuedAt, opts.notAfterMs);
  if (future) return future;
  if (!isKnownCurrency(msg.currency, opts.fx)) {
    return fail(
      'UNKNOWN_CURRENCY',
      `currency: ${msg.currency} is not in the exchange-rate table (base ${opts.fx.base}; known: ${Object.keys(
        opts.fx.perBase,
      ).join(', ')})`,
    );
  }
  const spans: Span[] = [];
  for (const [index, point] of msg.points.entries()) {
    const startMs = timestampToMs(point.intervalStart);
    if (!isAlignedMs(startMs, point.intervalMinutes)) {
      return fail(
        'MISALIGNED_INTERVAL',
        `points[${index}].intervalStart: ${point.intervalStart} is not on the ${point.intervalMinutes}-minute UTC grid`,
      );
    }
    spans.push({ index, startMs, endMs: startMs + point.intervalMinutes * MS_PER_MINUTE });
  }
  const overlap = firstOverlap(spans);
  if (overlap !== null) {
    const [a, b] = overlap;
    return fail('OVERLAPPING_INTERVALS', `points[${b.index}] overlaps points[${a.index}]`);
  }
  const limits = opts.priceLimits ?? DEFAULT_PRICE_LIMITS;
  for (const [index, point] of msg.points.entries()) {
    const basePerMwh = toBasePerMwh(point.price, msg.currency, msg.unit, opts.fx);
    if (basePerMwh < limits.minPerMwhBase || basePerMwh > limits.maxPerMwhBase) {
      return fail(
        'IMPLAUSIBLE_PRICE',
        `points[${index}].price: ${point.price} ${msg.currency}/${msg.unit} = ${fmt(basePerMwh)} ${opts.fx.base}/MWh ` +
          `is outside [${limits.minPerMwhBase}, ${limits.maxPerMwhBase}] ${opts.fx.base}/MWh`,
      );
    }
  }
  const leadMs = opts.maxIntervalLeadMs ?? DEFAULT_MAX_INTERVAL_LEAD_MS;
  const latestStartMs = timestampToMs(msg.issuedAt) + leadMs;
  for (const span of spans) {
    if (span.startMs > latestStartMs) {
      return fail(
        'FUTURE_INTERVAL',
        `points[${span.index}].intervalStart: ${msg.points[span.index]!.intervalStart} is more than ` +
          `${fmt(leadMs / 86_400_000)} days after issuedAt ${msg.issuedAt}`,
      );
    }
  }
  return { ok: true, value: msg };
}

/** Validates an already-parsed cluster-load message (schema + semantics) against its key. */
export function validateLoadMessage(
  key: string,
  input: unknown,
  opts: Pick<DecodeOptions, 'notAfterMs'> = {},
): DecodeResult<ClusterLoadMessageV1> {
  const parsed = ClusterLoadMessageV1Schema.safeParse(input);
  if (!parsed.success) return schemaFailure(parsed.error, input);
  const msg = parsed.data;
  if (key !== msg.clusterId) {
    return fail('KEY_MISMATCH', `key ${describeValue(key)} ≠ clusterId ${describeValue(msg.clusterId)}`);
  }
  const future = futureFailure('observedAt', msg.observedAt, opts.notAfterMs);
  if (future) return future;
  if (msg.gpuBusy > msg.gpuTotal) {
    return fail('GPU_BUSY_EXCEEDS_TOTAL', `gpuBusy ${msg.gpuBusy} > gpuTotal ${msg.gpuTotal}`);
  }
  if (msg.gpuSchedulable > msg.gpuTotal) {
    return fail(
      'GPU_SCHEDULABLE_EXCEEDS_TOTAL',
      `gpuSchedulable ${msg.gpuSchedulable} > gpuTotal ${msg.gpuTotal}`,
    );
  }
  return { ok: true, value: msg };
}

/** Validates a placement order (what the planner is about to publish, or what a data center received). */
export function validatePlacementOrder(key: string, input: unknown): DecodeResult<PlacementOrderV1> {
  const parsed = PlacementOrderV1Schema.safeParse(input);
  if (!parsed.success) return schemaFailure(parsed.error, input);
  const order = parsed.data;
  if (key !== order.clusterId) {
    return fail('KEY_MISMATCH', `key ${describeValue(key)} ≠ clusterId ${describeValue(order.clusterId)}`);
  }
  if (order.supersedesVersion !== null && order.supersedesVersion >= order.scheduleVersion) {
    return fail(
      'SCHEMA_VIOLATION',
      `supersedesVersion: ${order.supersedesVersion} must be < scheduleVersion ${order.scheduleVersion}`,
    );
  }
  const spans: Span[] = [];
  for (const [index, slot] of order.slots.entries()) {
    const startMs = timestampToMs(slot.start);
    if (!isAlignedMs(startMs, slot.minutes)) {
      return fail(
        'MISALIGNED_INTERVAL',
        `slots[${index}].start: ${slot.start} is not on the ${slot.minutes}-minute UTC grid`,
      );
    }
    const seen = new Set<string>();
    for (const [j, assignment] of slot.assignments.entries()) {
      if (seen.has(assignment.jobId)) {
        return fail(
          'SCHEMA_VIOLATION',
          `slots[${index}].assignments[${j}].jobId: ${assignment.jobId} appears twice`,
        );
      }
      seen.add(assignment.jobId);
    }
    spans.push({ index, startMs, endMs: startMs + slot.minutes * MS_PER_MINUTE });
  }
  const overlap = firstOverlap(spans);
  if (overlap !== null) {
    const [a, b] = overlap;
    return fail('OVERLAPPING_INTERVALS', `slots[${b.index}] overlaps slots[${a.index}]`);
  }
  return { ok: true, value: order };
}

/**
 * Validates an already-parsed placement acknowledgement against its key: schema, KEY_MISMATCH, FUTURE_TIMESTAMP
 * (`at`), then: `rejected` / `partially-applied` need a reason; a (jobId, slotStart) in `applied` at most once.
 */
export function validatePlacementAck(
  key: string,
  input: unknown,
  opts: Pick<DecodeOptions, 'notAfterMs'> = {},
): DecodeResult<PlacementAckV1> {
  const parsed = PlacementAckV1Schema.safeParse(input);
  if (!parsed.success) return schemaFailure(parsed.error, input);
  const ack = parsed.data;
  if (key !== ack.clusterId) {
    return fail('KEY_MISMATCH', `key ${describeValue(key)} ≠ clusterId ${describeValue(ack.clusterId)}`);
  }
  const future = futureFailure('at', ack.at, opts.notAfterMs);
  if (future) return future;
  if ((ack.status === 'rejected' || ack.status === 'partially-applied') && ack.reasons.length === 0) {
    return fail('SCHEMA_VIOLATION', `reasons: a ${ack.status} acknowledgement needs at least one reason`);
  }
  const seen = new Set<string>();
  for (const [index, a] of (ack.applied ?? []).entries()) {
    const cell = `${a.jobId}@${timestampToMs(a.slotStart)}`;
    if (seen.has(cell)) {
      return fail(
        'SCHEMA_VIOLATION',
        `applied[${index}]: job ${a.jobId} in slot ${a.slotStart} appears twice`,
      );
    }
    seen.add(cell);
  }
  return { ok: true, value: ack };
}

/**
 * Validates an already-parsed usage report against its key: schema, KEY_MISMATCH, FUTURE_TIMESTAMP
 * (`observedAt`), then per row MISALIGNED_INTERVAL (start off its grid), FUTURE_INTERVAL (an interval starting
 * after `observedAt`: nothing can have been used yet), and a (jobId, slotStart) at most once.
 */
export function validateUsageMessage(
  key: string,
  input: unknown,
  opts: Pick<DecodeOptions, 'notAfterMs'> = {},
): DecodeResult<UsageMessageV1> {
  const parsed = UsageMessageV1Schema.safeParse(input);
  if (!parsed.success) return schemaFailure(parsed.error, input);
  const msg = parsed.data;
  if (key !== msg.clusterId) {
    return fail('KEY_MISMATCH', `key ${describeValue(key)} ≠ clusterId ${describeValue(msg.clusterId)}`);
  }
  const future = futureFailure('observedAt', msg.observedAt, opts.notAfterMs);
  if (future) return future;
  const observedMs = timestampToMs(msg.observedAt);
  const seen = new Set<string>();
  for (const [index, row] of msg.rows.entries()) {
    const startMs = timestampToMs(row.slotStart);
    if (!isAlignedMs(startMs, row.minutes)) {
      return fail(
        'MISALIGNED_INTERVAL',
        `rows[${index}].slotStart: ${row.slotStart} is not on the ${row.minutes}-minute UTC grid`,
      );
    }
    if (startMs >= observedMs) {
      return fail(
        'FUTURE_INTERVAL',
        `rows[${index}].slotStart: ${row.slotStart} is not before observedAt ${msg.observedAt}`,
      );
    }
    const cell = `${row.jobId}@${startMs}`;
    if (seen.has(cell)) {
      return fail(
        'SCHEMA_VIOLATION',
        `rows[${index}]: job ${row.jobId} in slot ${row.slotStart} appears twice`,
      );
    }
    seen.add(cell);
  }
  return { ok: true, value: msg };
}

/** Decodes a gridshift.placement-acks.v1 record (key = clusterId) into a validated ack or a dead-letter code. */
export function decodePlacementAck(
  key: RawBytes,
  value: RawBytes,
  opts?: DecodeOptions,
): DecodeResult<PlacementAckV1> {
  const pre = preflight(key, value, opts);
  return pre.ok ? validatePlacementAck(pre.key, pre.json, opts) : pre;
}

/** Decodes a gridshift.usage.v1 record (key = clusterId) into a validated report or a dead-letter code. */
export function decodeUsageMessage(
  key: RawBytes,
  value: RawBytes,
  opts?: DecodeOptions,
): DecodeResult<UsageMessageV1> {
  const pre = preflight(key, value, opts);
  return pre.ok ? validateUsageMessage(pre.key, pre.json, opts) : pre;
}

/** Decodes a gridshift.prices.v1 record (key = zone) into a validated message or a dead-letter code and reason. */
export function decodePriceMessage(
  key: RawBytes,
  value: RawBytes,
  opts: PriceDecodeOptions,
): DecodeResult<PriceMessageV1> {
  const pre = preflight(key, value, opts);
  return pre.ok ? validatePriceMessage(pre.key, pre.json, opts) : pre;
}

/** Decodes a gridshift.cluster-load.v1 record (key = clusterId) into a validated message or a dead-letter code and reason. */
export function decodeLoadMessage(
  key: RawBytes,
  value: RawBytes,
  opts?: DecodeOptions,
): DecodeResult<ClusterLoadMessageV1> {
  const pre = preflight(key, value, opts);
  return pre.ok ? validateLoadMessage(pre.key, pre.json, opts) : pre;
}

/** Decodes a gridshift.placements.v1 record (key = clusterId), as a data center would. */
export function decodePlacementOrder(
  key: RawBytes,
  value: RawBytes,
  opts?: DecodeOptions,
): DecodeResult<PlacementOrderV1> {
  const pre = preflight(key, value, opts);
  return pre.ok ? validatePlacementOrder(pre.key, pre.json) : pre;
}

/** Serialises a message value as UTF-8 JSON (what producers put on the wire). */
export function encodeMessage(
  message:
    | PriceMessageV1
    | ClusterLoadMessageV1
    | PlacementOrderV1
    | PlacementAckV1
    | UsageMessageV1
    | GridEventMessageV1,
): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}
