import {
  DEFAULT_MAX_INTERVAL_LEAD_MS,
  DEFAULT_PRICE_LIMITS,
  MARKETS,
  MAX_CARBON_G_PER_KWH,
  PRICE_UNITS,
  type PriceLimits,
} from './constants.js';
import { toBasePerMwh, type ExchangeRates } from './fx.js';
import { TimestampSchema, type PriceMessageV1 } from './schemas.js';
import { MS_PER_MINUTE } from './time.js';

// The hot path of ingest. A price message that is plainly valid is accepted here without zod, which
// costs ~4× the JSON.parse of the same message. Anything unusual returns undefined and the caller runs
// the full validation (zod + semantics), which decides — and names the dead-letter code. So this check
// may be stricter than the full one, never looser: whatever it accepts, the full path accepts too, with
// the same value (checked by fast-price.spec.ts on generated and mutated messages).

const MESSAGE_KEYS = new Set(['partnerId', 'zone', 'market', 'currency', 'unit', 'issuedAt', 'points']);
const POINT_KEYS = new Set(['intervalStart', 'intervalMinutes', 'price', 'carbonGPerKwh']);
const MARKET_SET = new Set<unknown>(MARKETS);
const UNIT_SET = new Set<unknown>(PRICE_UNITS);
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const ZONE = /^[A-Z]{2}[A-Z0-9]*(?:-[A-Z0-9]+)*$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * Epoch ms of timestamps that TimestampSchema accepts and Date.parse reads, keyed by their text. Feeds repeat
 * the same interval starts across zones, partners and markets, so a bounded cache turns the schema's regex
 * and the date parse into one map lookup per point. Only accepted timestamps are cached.
 */
const timestamps = new Map<string, number>();
const TIMESTAMP_CACHE_LIMIT = 100_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `i` as a number, or -1. */
function two(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Epoch ms of the canonical UTC form `YYYY-MM-DDTHH:MM:SS[.sss]Z` (what most partners send), read digit by
 * digit with every field range-checked; undefined for anything else (the schema then decides).
 */
export function canonicalUtcMs(text: string): number | undefined {
  const n = text.length;
  if ((n !== 20 && n !== 24) || text.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  )
    return undefined;
  const century = two(text, 0);
  const yy = two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  let ms = 0;
  if (n === 24) {
    const c = text.charCodeAt(22) - 48;
    ms = text.charCodeAt(19) === 46 /* . */ && c >= 0 && c <= 9 ? two(text, 20) * 10 + c : -1;
    if (ms < 0) return undefined;
  }
  if (century < 10 || yy < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const year = century * 100 + yy;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  return (
    daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms
  );
}

/** Epoch ms of an accepted RFC 3339 timestamp with offset, or undefined if the schema would reject it. */
export function acceptedTimestampMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const canonical = canonicalUtcMs(value);
  if (canonical !== undefined) return canonical;
  const cached = timestamps.get(value);
  if (cached !== undefined) return cached;
  if (!TimestampSchema.safeParse(value).success) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  if (timestamps.size >= TIMESTAMP_CACHE_LIMIT) timestamps.clear();
  timestamps.set(value, ms);
  return ms;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnly(object: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in object) if (!allowed.has(key)) return false;
  return true;
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 128 && IDENTIFIER.test(value);
}

function isZone(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 2 && value.length <= 32 && ZONE.test(value);
}

function isIntervalMinutes(value: unknown): value is 5 | 15 | 30 | 60 {
  return value === 60 || value === 15 || value === 30 || value === 5;
}

export interface FastPriceOptions {
  fx: ExchangeRates;
  priceLimits?: PriceLimits;
  notAfterMs?: number;
  maxIntervalLeadMs?: number;
}

/**
 * Accepts a parsed price message whose key matches, whose points are in ascending, non-overlapping order on
 * their grid and whose prices are plausible; returns it as the typed message. Returns undefined when the
 * full validation has to look (it may still accept, e.g. points out of order).
 */
export function acceptPriceMessage(
  key: string,
  input: unknown,
  opts: FastPriceOptions,
): PriceMessageV1 | undefined {
  if (!isPlainObject(input) || !hasOnly(input, MESSAGE_KEYS)) return undefined;
  const { partnerId, zone, market, currency, unit, issuedAt, points } = input;
  if (!isIdentifier(partnerId) || !isZone(zone) || zone !== key) return undefined;
  if (!MARKET_SET.has(market) || !UNIT_SET.has(unit)) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  if (currency !== opts.fx.base && opts.fx.perBase[currency] === undefined) return undefined;
  const issuedMs = acceptedTimestampMs(issuedAt);
  if (issuedMs === undefined || (opts.notAfterMs !== undefined && issuedMs > opts.notAfterMs))
    return undefined;
  if (!Array.isArray(points) || points.length === 0) return undefined;
  const limits = opts.priceLimits ?? DEFAULT_PRICE_LIMITS;
  const priceUnit = unit as PriceMessageV1['unit'];
  const latestStartMs = issuedMs + (opts.maxIntervalLeadMs ?? DEFAULT_MAX_INTERVAL_LEAD_MS);
  let previousEndMs = -Infinity;
  for (const point of points as unknown[]) {
    if (!isPlainObject(point) || !hasOnly(point, POINT_KEYS)) return undefined;
    const { intervalStart, intervalMinutes, price, carbonGPerKwh } = point;
    if (!isIntervalMinutes(intervalMinutes)) return undefined;
    const startMs = acceptedTimestampMs(intervalStart);
    if (startMs === undefined || startMs < previousEndMs || startMs > latestStartMs) return undefined;
    const lengthMs = intervalMinutes * MS_PER_MINUTE;
    if (startMs % lengthMs !== 0) return undefined;
    previousEndMs = startMs + lengthMs;
    if (typeof price !== 'number' || !Number.isFinite(price)) return undefined;
    const base = toBasePerMwh(price, currency, priceUnit, opts.fx);
    if (!(base >= limits.minPerMwhBase && base <= limits.maxPerMwhBase)) return undefined;
    if (carbonGPerKwh !== undefined && carbonGPerKwh !== null) {
      if (typeof carbonGPerKwh !== 'number' || !(carbonGPerKwh >= 0 && carbonGPerKwh <= MAX_CARBON_G_PER_KWH))
        return undefined;
    }
  }
  return input as PriceMessageV1;
}
