import { createHash } from 'node:crypto';
import {
  GridEventMessageV1Schema,
  type GridEventMessageV1,
  type GridEventPayloadType,
} from '#gridshift/contracts';
import { isoDurationMs, OpenAdrEventSchema, type OpenAdrEvent } from './openadr.js';

// OpenADR 3 event → gridshift.grid-events.v1 (pure). Field by field:
//   id → eventId (`<prefix><id>`, characters outside [A-Za-z0-9._:-] → `_`); programID → programId (same rule);
//   priority → priority (null = OpenADR's lowest → 1000); modificationDateTime (else createdDateTime) →
//   modificationNumber = whole seconds since 2020-01-01T00:00:00Z (monotonic as the VTN modifies the event);
//   targets of type `zoneTargetType` (default ZONE) → targets.zones (else the configured zones); RESOURCE_NAME →
//   targets.clusters; each interval's intervalPeriod (else the event's: interval i starts i × duration after the
//   event's start) → start, durationMinutes; payloads by type:
//     IMPORT_CAPACITY_LIMIT (units KW, MW or W; default KW) → IMPORT_CAPACITY_LIMIT kW
//     DISPATCH_SETPOINT_RELATIVE < 0 (kW)                     → LOAD_REDUCTION KW of its magnitude
//     PRICE (units KWH or MWH; default KWH; currency)        → PRICE per MWh (gridshift adds it to the zone price)
//     GHG (g/kWh)                                            → GHG
//   other payload types are skipped (counted); an interval with nothing mappable is dropped; an event with no
//   interval left cannot be mapped. compliance, incentive and currency come from the VEN's configuration (OpenADR
//   events do not say whether they are mandatory). `cancelled: true` (a VTN extension) cancels.

/** Seconds since this instant are the modificationNumber (fits PostgreSQL's integer until 2088). */
export const MODIFICATION_EPOCH_MS = Date.UTC(2020, 0, 1);

/** Why an OpenADR event could not be mapped (dead-letter `error-code`). */
export type OpenAdrDeadLetterCode =
  | 'OPENADR_SCHEMA_VIOLATION'
  | 'OPENADR_NO_ZONE'
  | 'OPENADR_BAD_INTERVAL'
  | 'OPENADR_UNMAPPABLE'
  | 'OPENADR_CONTRACT_VIOLATION';

export interface MappingConfig {
  /** Zones an event applies to when it has no target of `zoneTargetType`. */
  zones: readonly string[];
  /** OpenADR target type whose values are gridshift zones (default `ZONE`). */
  zoneTargetType?: string;
  /** Prepended to the OpenADR event id (default `oadr:`). */
  eventIdPrefix?: string;
  compliance: 'mandatory' | 'voluntary';
  incentivePerMwh?: number;
  /** Currency of PRICE payloads without one in their descriptor, and of the incentive. */
  currency?: string;
}

export type MapResult =
  | { ok: true; message: GridEventMessageV1; skippedPayloads: string[] }
  | { ok: false; code: OpenAdrDeadLetterCode; message: string };

const UNSAFE = /[^A-Za-z0-9._:-]/g;

function identifier(text: string, prefix = ''): string {
  const clean = `${prefix}${text}`.replace(UNSAFE, '_');
  const start = /^[A-Za-z0-9]/.test(clean) ? clean : `x${clean}`;
  return start.length <= 128
    ? start
    : `${start.slice(0, 111)}~${createHash('sha256').update(start).digest('hex').slice(0, 16)}`;
}

/** The modificationNumber of an instant (whole seconds since 2020-01-01), null for an unparseable one. */
export function modificationNumberAt(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms < MODIFICATION_EPOCH_MS) return null;
  return Math.floor((ms - MODIFICATION_EPOCH_MS) / 1000);
}

const POWER_UNITS_TO_KW: Record<string, number> = { KW: 1, MW: 1000, W: 0.001 };
const PRICE_UNITS_TO_PER_MWH: Record<string, number> = { KWH: 1000, MWH: 1 };

function firstNumber(values: readonly unknown[]): number | null {
  const v = values[0];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Maps one element of a VTN's `/events` answer (not yet validated) onto a grid event; `modificationNumber` is
 * the one computed from the event's own timestamps unless `fallbackModificationNumber` is needed (none given).
 */
export function mapOpenAdrEvent(
  raw: unknown,
  config: MappingConfig,
  fallbackModificationNumber: number,
): MapResult {
  const parsed = OpenAdrEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      code: 'OPENADR_SCHEMA_VIOLATION',
      message: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const event: OpenAdrEvent = parsed.data;
  const targets = event.targets ?? [];
  const zoneType = config.zoneTargetType ?? 'ZONE';
  const zoneTargets = targets
    .filter((t) => t.type === zoneType)
    .flatMap((t) => t.values)
    .filter((v): v is string => typeof v === 'string');
  const zones = [...new Set(zoneTargets.length > 0 ? zoneTargets : config.zones)];
  if (zones.length === 0)
    return {
      ok: false,
      code: 'OPENADR_NO_ZONE',
      message: `event ${event.id} has no ${zoneType} target and the VEN has no default zone`,
    };
  const clusters = [
    ...new Set(
      targets
        .filter((t) => t.type === 'RESOURCE_NAME')
        .flatMap((t) => t.values)
        .filter((v): v is string => typeof v === 'string'),
    ),
  ];
  const descriptor = (type: string) => (event.payloadDescriptors ?? []).find((d) => d.payloadType === type);

  const eventStartMs = event.intervalPeriod?.start ? Date.parse(event.intervalPeriod.start) : Number.NaN;
  const eventDurationMs = event.intervalPeriod?.duration
    ? isoDurationMs(event.intervalPeriod.duration)
    : null;
  const skippedPayloads: string[] = [];
  let currency: string | undefined;
  const intervals: GridEventMessageV1['intervals'] = [];
  for (const [i, interval] of event.intervals.entries()) {
    const ownStart = interval.intervalPeriod?.start;
    const ownDuration = interval.intervalPeriod?.duration;
    const durationMs = ownDuration ? isoDurationMs(ownDuration) : eventDurationMs;
    const startMs = ownStart
      ? Date.parse(ownStart)
      : eventDurationMs !== null
        ? eventStartMs + i * eventDurationMs
        : Number.NaN;
    if (!Number.isFinite(startMs) || durationMs === null || durationMs <= 0 || durationMs % 60_000 !== 0)
      return {
        ok: false,
        code: 'OPENADR_BAD_INTERVAL',
        message: `event ${event.id} interval ${interval.id}: no start, or a duration that is not a whole number of minutes (years, months and "infinite" included)`,
      };
    const payloads: GridEventMessageV1['intervals'][number]['payloads'] = [];
    const seen = new Set<GridEventPayloadType>();
    const add = (payload: GridEventMessageV1['intervals'][number]['payloads'][number]) => {
      if (seen.has(payload.type)) return;
      seen.add(payload.type);
      payloads.push(payload);
    };
    for (const p of interval.payloads) {
      const value = firstNumber(p.values);
      const units = descriptor(p.type)?.units?.toUpperCase();
      if (value === null) {
        skippedPayloads.push(`${p.type} (no number)`);
        continue;
      }
      if (p.type === 'IMPORT_CAPACITY_LIMIT') {
        const factor = POWER_UNITS_TO_KW[units ?? 'KW'];
        if (factor === undefined || value < 0) skippedPayloads.push(`${p.type} (${units ?? ''} ${value})`);
        else add({ type: 'IMPORT_CAPACITY_LIMIT', value: value * factor });
      } else if (p.type === 'DISPATCH_SETPOINT_RELATIVE') {
        const factor = POWER_UNITS_TO_KW[units ?? 'KW'];
        if (factor === undefined || value >= 0) skippedPayloads.push(`${p.type} (${units ?? ''} ${value})`);
        else add({ type: 'LOAD_REDUCTION', value: -value * factor, unit: 'KW' });
      } else if (p.type === 'PRICE') {
        const factor = PRICE_UNITS_TO_PER_MWH[units ?? 'KWH'];
        const priceCurrency = descriptor(p.type)?.currency ?? config.currency;
        if (factor === undefined || !priceCurrency) {
          skippedPayloads.push(`${p.type} (units ${units ?? 'KWH'}, currency ${priceCurrency ?? 'none'})`);
          continue;
        }
        if (currency !== undefined && currency !== priceCurrency) {
          skippedPayloads.push(`${p.type} (a second currency ${priceCurrency})`);
          continue;
        }
        currency = priceCurrency;
        add({ type: 'PRICE', value: value * factor });
      } else if (p.type === 'GHG') {
        add({ type: 'GHG', value });
      } else {
        skippedPayloads.push(p.type);
      }
    }
    if (payloads.length === 0) continue;
    intervals.push({
      start: new Date(startMs).toISOString(),
      durationMinutes: durationMs / 60_000,
      payloads,
    });
  }
  if (intervals.length === 0)
    return {
      ok: false,
      code: 'OPENADR_UNMAPPABLE',
      message: `event ${event.id}: no interval has a payload gridshift uses (IMPORT_CAPACITY_LIMIT, DISPATCH_SETPOINT_RELATIVE < 0, PRICE, GHG); skipped ${skippedPayloads.join(', ')}`,
    };
  const voluntary = config.compliance === 'voluntary';
  if (voluntary) currency ??= config.currency;
  const message: GridEventMessageV1 = {
    eventId: identifier(event.id, config.eventIdPrefix ?? 'oadr:'),
    programId: identifier(event.programID),
    modificationNumber:
      modificationNumberAt(event.modificationDateTime) ??
      modificationNumberAt(event.createdDateTime) ??
      fallbackModificationNumber,
    priority: Math.min(1000, event.priority ?? 1000),
    targets: { zones, ...(clusters.length > 0 ? { clusters: clusters.map((c) => identifier(c)) } : {}) },
    intervals: intervals.sort((a, b) => Date.parse(a.start) - Date.parse(b.start)),
    compliance: config.compliance,
    ...(voluntary && config.incentivePerMwh !== undefined ? { incentivePerMwh: config.incentivePerMwh } : {}),
    ...(currency !== undefined ? { currency } : {}),
    ...(event.cancelled === true ? { cancelled: true } : {}),
  };
  const valid = GridEventMessageV1Schema.safeParse(message);
  if (!valid.success) {
    const issue = valid.error.issues[0];
    return {
      ok: false,
      code: 'OPENADR_CONTRACT_VIOLATION',
      message: `event ${event.id} maps onto an invalid grid event: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
    };
  }
  return { ok: true, message: valid.data, skippedPayloads };
}

/** The content of a grid event without its revision: two messages with the same content need no new revision. */
export function gridEventContent(message: GridEventMessageV1): string {
  const { modificationNumber: _revision, ...content } = message;
  return JSON.stringify(content);
}
