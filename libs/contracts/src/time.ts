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
