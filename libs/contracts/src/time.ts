const MS_PER_MINUTE = 60_000;

/** A date-time without offset or `Z` (what partners must not send), e.g. `2023-03-01T11:00:00` or `2023-03-01 11:00`. */
const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/;

/** True when `value` looks like a date-time but carries no UTC offset. */
export function isNaiveTimestamp(value: string): boolean {
  return NAIVE_TIMESTAMP.test(value);
}

/** Epoch milliseconds of an RFC 3339 timestamp that carries an offset or `Z` (sub-millisecond digits truncated). */
export function timestampToMs(timestamp: string): number {
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid timestamp: ${timestamp}`);
  return ms;
}

/** Canonical UTC form used everywhere in gridshift: `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export function msToUtcIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Canonical UTC form of an offset timestamp: `2023-03-01T12:00:00+01:00` → `2023-03-01T11:00:00.000Z`. */
export function toUtcIso(timestamp: string): string {
  return msToUtcIso(timestampToMs(timestamp));
}

/** True when `ms` is a whole multiple of `minutes` since the Unix epoch (UTC grid). */
export function isAlignedMs(ms: number, minutes: number): boolean {
  return ms % (minutes * MS_PER_MINUTE) === 0;
}

export { MS_PER_MINUTE };

/** Latest instant RFC 3339 can write (four-digit years): 9999-12-31T23:59:59.999Z. */
const RFC3339_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Earliest: 0000-01-01T00:00:00.000Z. */
const RFC3339_MIN_MS = -62_167_219_200_000;

/**
 * An instant as RFC 3339 UTC (`toISOString`), clamped into years 0000–9999: `toISOString` writes years past 9999
 * as `+010000-…`, which is not RFC 3339 (PostgreSQL stores them, e.g. from data older than the ingest's checks).
 */
export function toRfc3339(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('toRfc3339: invalid date');
  return new Date(Math.min(RFC3339_MAX_MS, Math.max(RFC3339_MIN_MS, ms))).toISOString();
}
