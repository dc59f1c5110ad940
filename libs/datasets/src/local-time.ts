// Wall-clock ↔ UTC with the IANA rules Node ships (full ICU); no dependencies.

const MS_PER_MINUTE = 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at instant `utcMs`, in minutes (Europe/Paris: +60 in winter, +120 in summer). */
export function utcOffsetMinutes(timeZone: string, utcMs: number): number {
  // Offsets change only on quarter hours (UTC) in every IANA zone, so one lookup per quarter hour is exact.
  const quarter = Math.floor(utcMs / QUARTER_HOUR_MS);
  let memo = offsetMemo.get(timeZone);
  if (!memo) offsetMemo.set(timeZone, (memo = new Map<number, number>()));
  const seen = memo.get(quarter);
  if (seen !== undefined) return seen;
  const offset = offsetMinutesUncached(timeZone, utcMs);
  if (memo.size >= 200_000) memo.clear();
  memo.set(quarter, offset);
  return offset;
}

const QUARTER_HOUR_MS = 900_000;
const offsetMemo = new Map<string, Map<number, number>>();

function offsetMinutesUncached(timeZone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wallMs = Date.UTC(
    parts.year ?? NaN,
    (parts.month ?? NaN) - 1,
    parts.day ?? NaN,
    parts.hour ?? NaN,
    parts.minute ?? NaN,
    parts.second ?? NaN,
  );
  const flooredUtc = Math.floor(utcMs / 1000) * 1000;
  return Math.round((wallMs - flooredUtc) / MS_PER_MINUTE);
}

/** Fields of a wall-clock time (month 1–12). */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Every UTC instant at which `timeZone` shows `wall`, ascending: one normally, none in a spring-forward
 * gap (Paris 2023-03-26 02:30), two in an autumn fold (Paris 2023-10-29 02:30 = 00:30Z CEST and 01:30Z CET).
 */
export function wallClockToUtcCandidates(timeZone: string, wall: WallClock): number[] {
  const naiveMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // The offsets in force a day either side cover every transition rule in the IANA database.
  const offsets = new Set([
    utcOffsetMinutes(timeZone, naiveMs - 86_400_000),
    utcOffsetMinutes(timeZone, naiveMs),
    utcOffsetMinutes(timeZone, naiveMs + 86_400_000),
  ]);
  const out: number[] = [];
  for (const offset of offsets) {
    const candidate = naiveMs - offset * MS_PER_MINUTE;
    if (utcOffsetMinutes(timeZone, candidate) === offset && !out.includes(candidate)) out.push(candidate);
  }
  return out.sort((a, b) => a - b);
}
