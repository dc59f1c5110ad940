import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_PRICE_LIMITS, MAX_CARBON_G_PER_KWH, type PriceLimits } from './constants.js';
import {
  describeValue,
  fail,
  firstOverlap,
  preflight,
  schemaFailure,
  type DecodeOptions,
  type RawBytes,
  type Span,
} from './decode.js';
import type { DecodeResult } from './dead-letter.js';
import { isKnownCurrency, toBasePerMwh, type ExchangeRates } from './fx.js';
import { TimestampSchema, ZoneSchema } from './schemas.js';
import { MS_PER_MINUTE, isAlignedMs, msToUtcIso, timestampToMs } from './time.js';

// gridshift.grid-events.v1 — demand-response events from energy partners, shaped after OpenADR 3 events
// (program, event with intervals, payloads by type) so an OpenADR VEN adapter is a field mapping:
//   OpenADR event.id → eventId, programID → programId, modificationNumber, priority, targets (zone / cluster
//   names), intervals[].intervalPeriod {start, duration} → {start, durationMinutes}, payloads[] {type, values[0]}.

/** Grid-event interval starts and lengths are whole multiples of this many minutes. */
export const GRID_EVENT_GRID_MINUTES = 5;
/** Longest event interval: 7 days. */
export const MAX_GRID_EVENT_INTERVAL_MINUTES = 7 * 24 * 60;

const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/)
    .describe(`${what}: 1–128 characters [A-Za-z0-9._:-], starting with a letter or digit.`);

export const GRID_EVENT_PAYLOAD_TYPES = ['IMPORT_CAPACITY_LIMIT', 'LOAD_REDUCTION', 'PRICE', 'GHG'] as const;
export type GridEventPayloadType = (typeof GRID_EVENT_PAYLOAD_TYPES)[number];

export const GridEventPayloadV1Schema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('IMPORT_CAPACITY_LIMIT'),
      value: z
        .number()
        .min(0)
        .describe('Most facility power (kW) gridshift work may draw from the grid in the targets.'),
    }),
    z.strictObject({
      type: z.literal('LOAD_REDUCTION'),
      value: z.number().min(0).describe('Reduction below the plan in force before the event.'),
      unit: z.enum(['KW', 'PERCENT']).describe('`KW` (absolute) or `PERCENT` (0..100 of that plan).'),
    }),
    z.strictObject({
      type: z.literal('PRICE'),
      value: z.number().describe('Price adder per MWh in `currency`, added to the zone price.'),
    }),
    z.strictObject({
      type: z.literal('GHG'),
      value: z
        .number()
        .min(0)
        .max(MAX_CARBON_G_PER_KWH)
        .describe('Grid carbon intensity for the interval, gCO2eq/kWh; replaces the zone value.'),
    }),
  ])
  .describe('One signal of an interval; at most one payload of each type per interval.');

export const GridEventIntervalV1Schema = z
  .strictObject({
    start: TimestampSchema.describe('Interval start; a multiple of 5 minutes on the UTC grid.'),
    durationMinutes: z
      .int()
      .min(GRID_EVENT_GRID_MINUTES)
      .max(MAX_GRID_EVENT_INTERVAL_MINUTES)
      .describe('Interval length in minutes: a multiple of 5, at most 7 days.'),
    payloads: z.array(GridEventPayloadV1Schema).min(1).max(4),
  })
  .describe('One event interval (OpenADR intervalPeriod + payloads).');

export const GridEventMessageV1Schema = z
  .strictObject({
    eventId: identifier('Event (stable across modifications)'),
    programId: identifier('Demand-response program the event belongs to'),
    modificationNumber: z
      .int()
      .min(0)
      .describe(
        'Revision of the event; the highest one received wins, older ones arriving late are ignored.',
      ),
    priority: z
      .int()
      .min(0)
      .max(1000)
      .describe('OpenADR priority, 0 = highest; shown to operators (overlapping caps: the lowest cap wins).'),
    targets: z
      .strictObject({
        zones: z
          .array(ZoneSchema)
          .min(1)
          .max(32)
          .describe('Price zones the event applies to; the key is one of them.'),
        clusters: z
          .array(identifier('Cluster'))
          .min(1)
          .max(256)
          .optional()
          .describe(
            'Narrows capacity payloads to these clusters of the zones (default: every cluster in them).',
          ),
      })
      .describe('Where the event applies.'),
    intervals: z.array(GridEventIntervalV1Schema).min(1).max(96).describe('1..96 non-overlapping intervals.'),
    compliance: z
      .enum(['mandatory', 'voluntary'])
      .describe(
        '`mandatory`: capacity payloads are hard caps. `voluntary`: followed exactly when the incentive pays for it.',
      ),
    incentivePerMwh: z
      .number()
      .min(0)
      .optional()
      .describe(
        'Voluntary events: what the partner pays per MWh not drawn above the requested level, in `currency`.',
      ),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional()
      .describe('ISO 4217 code of PRICE values and `incentivePerMwh`; required when either is present.'),
    cancelled: z
      .boolean()
      .optional()
      .describe('True cancels the event (send it with a higher modificationNumber).'),
  })
  .meta({
    title: 'GridEventMessageV1',
    description:
      'Topic gridshift.grid-events.v1 (energy partners → gridshift). Key: a zone of targets.zones.',
    examples: [
      {
        eventId: 'evt-2023-03-15-de-evening',
        programId: 'tso-de-flex',
        modificationNumber: 0,
        priority: 1,
        targets: { zones: ['DE-LU'] },
        intervals: [
          {
            start: '2023-03-15T17:00:00Z',
            durationMinutes: 180,
            payloads: [{ type: 'LOAD_REDUCTION', value: 30, unit: 'PERCENT' }],
          },
        ],
        compliance: 'mandatory',
      },
    ],
  });

export type GridEventPayloadV1 = z.infer<typeof GridEventPayloadV1Schema>;
export type GridEventIntervalV1 = z.infer<typeof GridEventIntervalV1Schema>;
export type GridEventMessageV1 = z.infer<typeof GridEventMessageV1Schema>;

export interface GridEventDecodeOptions extends DecodeOptions {
  fx: ExchangeRates;
  /** PRICE adders must lie in these limits after conversion (base currency per MWh). */
  priceLimits?: PriceLimits;
}

/**
 * Validates an already-parsed grid event against its key. Order: schema, KEY_MISMATCH (key not in
 * targets.zones), MISALIGNED_INTERVAL, OVERLAPPING_INTERVALS, SCHEMA_VIOLATION (a payload type twice in an
 * interval), MISSING_CURRENCY, UNKNOWN_CURRENCY, MISSING_INCENTIVE, IMPLAUSIBLE_PAYLOAD.
 */
export function validateGridEventMessage(
  key: string,
  input: unknown,
  opts: GridEventDecodeOptions,
): DecodeResult<GridEventMessageV1> {
  const parsed = GridEventMessageV1Schema.safeParse(input);
  if (!parsed.success) return schemaFailure(parsed.error, input);
  const msg = parsed.data;
  if (!msg.targets.zones.includes(key)) {
    return fail(
      'KEY_MISMATCH',
      `key ${describeValue(key)} is not one of targets.zones ${describeValue(msg.targets.zones)}`,
    );
  }
  const spans: Span[] = [];
  for (const [index, interval] of msg.intervals.entries()) {
    const startMs = timestampToMs(interval.start);
    if (
      !isAlignedMs(startMs, GRID_EVENT_GRID_MINUTES) ||
      interval.durationMinutes % GRID_EVENT_GRID_MINUTES !== 0
    ) {
      return fail(
        'MISALIGNED_INTERVAL',
        `intervals[${index}]: start ${interval.start} and durationMinutes ${interval.durationMinutes} must be multiples of ${GRID_EVENT_GRID_MINUTES} minutes on the UTC grid`,
      );
    }
    spans.push({ index, startMs, endMs: startMs + interval.durationMinutes * MS_PER_MINUTE });
  }
  const overlap = firstOverlap(spans);
  if (overlap !== null) {
    return fail(
      'OVERLAPPING_INTERVALS',
      `intervals[${overlap[1].index}] overlaps intervals[${overlap[0].index}]`,
    );
  }
  let hasPrice = false;
  let hasCapacity = false;
  for (const [index, interval] of msg.intervals.entries()) {
    const seen = new Set<string>();
    for (const [p, payload] of interval.payloads.entries()) {
      if (seen.has(payload.type)) {
        return fail(
          'SCHEMA_VIOLATION',
          `intervals[${index}].payloads[${p}].type: ${payload.type} appears twice`,
        );
      }
      seen.add(payload.type);
      if (payload.type === 'PRICE') hasPrice = true;
      if (payload.type === 'IMPORT_CAPACITY_LIMIT' || payload.type === 'LOAD_REDUCTION') hasCapacity = true;
    }
  }
  if ((hasPrice || msg.incentivePerMwh !== undefined) && msg.currency === undefined) {
    return fail('MISSING_CURRENCY', 'currency: required with a PRICE payload or incentivePerMwh');
  }
  if (msg.currency !== undefined && !isKnownCurrency(msg.currency, opts.fx)) {
    return fail(
      'UNKNOWN_CURRENCY',
      `currency: ${msg.currency} is not in the exchange-rate table (base ${opts.fx.base})`,
    );
  }
  if (msg.compliance === 'voluntary' && hasCapacity && msg.incentivePerMwh === undefined) {
    return fail('MISSING_INCENTIVE', 'incentivePerMwh: a voluntary event with a capacity payload needs one');
  }
  const limits = opts.priceLimits ?? DEFAULT_PRICE_LIMITS;
  for (const [index, interval] of msg.intervals.entries()) {
    for (const [p, payload] of interval.payloads.entries()) {
      if (payload.type === 'LOAD_REDUCTION' && payload.unit === 'PERCENT' && payload.value > 100) {
        return fail(
          'IMPLAUSIBLE_PAYLOAD',
          `intervals[${index}].payloads[${p}].value: ${payload.value} % is above 100 %`,
        );
      }
      if (payload.type === 'PRICE') {
        const base = toBasePerMwh(payload.value, msg.currency!, 'MWh', opts.fx);
        if (base < limits.minPerMwhBase || base > limits.maxPerMwhBase) {
          return fail(
            'IMPLAUSIBLE_PAYLOAD',
            `intervals[${index}].payloads[${p}].value: PRICE adder ${payload.value} ${msg.currency}/MWh is outside [${limits.minPerMwhBase}, ${limits.maxPerMwhBase}] ${opts.fx.base}/MWh`,
          );
        }
      }
    }
  }
  return { ok: true, value: msg };
}

/** Decodes a gridshift.grid-events.v1 record (key = a zone of targets.zones) into a validated event or a dead-letter code. */
export function decodeGridEventMessage(
  key: RawBytes,
  value: RawBytes,
  opts: GridEventDecodeOptions,
): DecodeResult<GridEventMessageV1> {
  const pre = preflight(key, value, opts);
  return pre.ok ? validateGridEventMessage(pre.key, pre.json, opts) : pre;
}

/** One event interval in UTC and base units. */
export interface NormalizedGridEventInterval {
  startUtc: string;
  endUtc: string;
  /** IMPORT_CAPACITY_LIMIT, kW (facility power of gridshift work in the targets). */
  capKw: number | null;
  /** LOAD_REDUCTION in kW below the plan in force before the event. */
  reductionKw: number | null;
  /** LOAD_REDUCTION in % of the plan in force before the event. */
  reductionPct: number | null;
  /** PRICE adder, base currency per MWh. */
  priceAdderPerMwh: number | null;
  /** GHG, gCO2eq/kWh (replaces the zone's intensity). */
  carbonGPerKwh: number | null;
}

/** A validated event as gridshift stores it: UTC, base currency, a hash of its content. */
export interface NormalizedGridEvent {
  eventId: string;
  programId: string;
  modificationNumber: number;
  priority: number;
  zones: string[];
  clusterIds: string[] | null;
  compliance: 'mandatory' | 'voluntary';
  /** Base currency per MWh; null when none was sent. */
  incentivePerMwh: number | null;
  cancelled: boolean;
  intervals: NormalizedGridEventInterval[];
  /** SHA-256 (hex) of the message's content: the same (eventId, modificationNumber) must carry the same. */
  contentHash: string;
}

/** Converts a validated event to UTC and the base currency (pure; throws only on inputs that could not validate). */
export function normalizeGridEvent(msg: GridEventMessageV1, fx: ExchangeRates): NormalizedGridEvent {
  const toBase = (value: number) => toBasePerMwh(value, msg.currency!, 'MWh', fx);
  const intervals = msg.intervals
    .map((interval): NormalizedGridEventInterval => {
      const startMs = timestampToMs(interval.start);
      const out: NormalizedGridEventInterval = {
        startUtc: msToUtcIso(startMs),
        endUtc: msToUtcIso(startMs + interval.durationMinutes * MS_PER_MINUTE),
        capKw: null,
        reductionKw: null,
        reductionPct: null,
        priceAdderPerMwh: null,
        carbonGPerKwh: null,
      };
      for (const payload of interval.payloads) {
        switch (payload.type) {
          case 'IMPORT_CAPACITY_LIMIT':
            out.capKw = payload.value;
            break;
          case 'LOAD_REDUCTION':
            if (payload.unit === 'KW') out.reductionKw = payload.value;
            else out.reductionPct = payload.value;
            break;
          case 'PRICE':
            out.priceAdderPerMwh = toBase(payload.value);
            break;
          case 'GHG':
            out.carbonGPerKwh = payload.value;
            break;
        }
      }
      return out;
    })
    .sort((a, b) => a.startUtc.localeCompare(b.startUtc));
  const zones = [...new Set(msg.targets.zones)].sort();
  const clusterIds = msg.targets.clusters ? [...new Set(msg.targets.clusters)].sort() : null;
  const incentivePerMwh = msg.incentivePerMwh === undefined ? null : toBase(msg.incentivePerMwh);
  const content = {
    programId: msg.programId,
    priority: msg.priority,
    zones,
    clusterIds,
    compliance: msg.compliance,
    incentivePerMwh,
    cancelled: msg.cancelled === true,
    intervals,
  };
  return {
    eventId: msg.eventId,
    modificationNumber: msg.modificationNumber,
    ...content,
    contentHash: createHash('sha256').update(JSON.stringify(content)).digest('hex'),
  };
}
