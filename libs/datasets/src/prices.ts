import { msToUtcIso, type Market } from '#gridshift/contracts';
import { csvFields, csvLines, csvNumber, DatasetFormatError, DATETIME } from './csv.js';
import { wallClockToUtcCandidates, type WallClock } from './local-time.js';
import { zoneRule, type ZoneRule } from './zone-rules.js';

const MS_PER_MINUTE = 60_000;
const HEADER = /^Datetime,Price \(([A-Z]{3})\/MWh\)$/;

/** One hourly price, in the zone's currency per MWh. */
export interface PricePoint {
  /** Interval start, canonical UTC ISO (`2023-03-01T00:00:00.000Z`). */
  intervalStartUtc: string;
  price: number;
}

/** What the reader changed in a file and why (rows dropped or merged), for reports and tests. */
export interface PriceAdjustment {
  /** 1-based line in the file. */
  line: number;
  reason:
    | 'nonexistent-local-time' // spring-forward gap row (EU 02:00 on the last Sunday of March): dropped
    | 'duplicate-instant' // same UTC instant as an earlier row: dropped, the first wins
    | 'aemo-month-boundary-merged' // AEMO `YYYY-MM-01 00:00` pair merged as (1×first + 11×second) / 12
    | 'aemo-partial-hour'; // trailing AEMO month-boundary row holding one 5-minute price: dropped
  raw: string;
}

export interface PriceSeries {
  zone: string;
  /** Currency of `price` (from the zone rules, not the header — AU headers are wrong). */
  currency: string;
  market: Market;
  /** Every point covers one hour from its start. */
  intervalMinutes: 60;
  /** Sorted by intervalStartUtc, one point per instant. */
  points: PricePoint[];
  adjustments: PriceAdjustment[];
}

function wallClock(match: RegExpExecArray): WallClock {
  return {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4]),
    minute: Number(match[5]),
    second: Number(match[6]),
  };
}

function naiveUtcMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

interface Row {
  line: number;
  raw: string;
  naive: string;
  utcMs: number;
  price: number;
  merged: boolean;
}

/** UTC instant of one `Datetime` cell under `rule`, or null for a wall-clock time that does not exist. */
function toUtcMs(cell: string, rule: ZoneRule, line: number, seenNaive: Set<string>): number | null {
  const match = DATETIME.exec(cell);
  if (match === null || match[7] !== undefined)
    throw new DatasetFormatError(line, `bad Datetime ${JSON.stringify(cell)}`);
  const wall = wallClock(match);
  const offset = match[8];
  const time = rule.time;
  if (time.kind === 'explicit-offset') {
    if (offset === undefined || offset === 'Z') {
      throw new DatasetFormatError(line, `${rule.zone} rows need an explicit ±hh:mm offset: ${cell}`);
    }
    const sign = offset.startsWith('-') ? -1 : 1;
    const offsetMinutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
    return naiveUtcMs(wall) - offsetMinutes * MS_PER_MINUTE;
  }
  if (offset !== undefined) throw new DatasetFormatError(line, `${rule.zone} rows must be naive: ${cell}`);
  switch (time.kind) {
    case 'utc':
      return naiveUtcMs(wall);
    case 'fixed-offset':
      return naiveUtcMs(wall) - time.offsetMinutes * MS_PER_MINUTE;
    case 'wall-clock': {
      const candidates = wallClockToUtcCandidates(time.timeZone, wall);
      if (candidates.length === 0) return null;
      // Autumn fold: the first row with this wall-clock time is the earlier (summer-time) hour; a second
      // row with the same text, if a file ever has one, is the later (standard-time) hour.
      const repeat = seenNaive.has(cell);
      seenNaive.add(cell);
      return (repeat ? candidates.at(-1) : candidates[0]) ?? null;
    }
  }
}

/**
 * Parses a price CSV (`Datetime,Price (<CUR>/MWh)`) of `zone` with its time-zone and currency rules:
 * sorted UTC points, one per instant, plus the list of rows dropped or merged and why.
 */
export function parsePriceCsv(text: string, zone: string): PriceSeries {
  const rule = zoneRule(zone);
  const lines = csvLines(text);
  const header = HEADER.exec(lines[0] ?? '');
  if (header === null)
    throw new DatasetFormatError(1, `expected "Datetime,Price (<CUR>/MWh)", got ${JSON.stringify(lines[0])}`);
  if (header[1] !== rule.headerCurrency) {
    throw new DatasetFormatError(1, `${zone} header names ${header[1]}, expected ${rule.headerCurrency}`);
  }

  const adjustments: PriceAdjustment[] = [];
  const byInstant = new Map<number, Row>();
  const seenNaive = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i] ?? '';
    const fields = csvFields(raw);
    if (fields.length !== 2) throw new DatasetFormatError(line, `expected 2 fields, got ${fields.length}`);
    const [cell = '', priceCell] = fields;
    const price = csvNumber(priceCell, line, 'Price');
    const utcMs = toUtcMs(cell, rule, line, seenNaive);
    if (utcMs === null) {
      adjustments.push({ line, reason: 'nonexistent-local-time', raw });
      continue;
    }
    const earlier = byInstant.get(utcMs);
    if (earlier === undefined) {
      byInstant.set(utcMs, { line, raw, naive: cell, utcMs, price, merged: false });
    } else if (rule.aemoMonthBoundary === true && /-01 00:00:00$/.test(cell)) {
      // First row = the one 5-min price ending at 00:00, second = mean of the 11 ending 00:05–00:55.
      earlier.price = (earlier.price + 11 * price) / 12;
      earlier.merged = true;
      adjustments.push({ line, reason: 'aemo-month-boundary-merged', raw });
    } else {
      adjustments.push({ line, reason: 'duplicate-instant', raw });
    }
  }

  const rows = [...byInstant.values()].sort((a, b) => a.utcMs - b.utcMs);
  const last = rows.at(-1);
  if (
    rule.aemoMonthBoundary === true &&
    last !== undefined &&
    /-01 00:00:00$/.test(last.naive) &&
    !last.merged
  ) {
    // The file's final row is the lone 5-min price that closes the year (e.g. 2024-01-01 00:00): one twelfth of an hour.
    rows.pop();
    adjustments.push({ line: last.line, reason: 'aemo-partial-hour', raw: last.raw });
  }

  return {
    zone,
    currency: rule.currency,
    market: rule.market,
    intervalMinutes: 60,
    points: rows.map((r) => ({ intervalStartUtc: msToUtcIso(r.utcMs), price: r.price })),
    adjustments: adjustments.sort((a, b) => a.line - b.line),
  };
}

/** Points with fromUtc ≤ intervalStartUtc < toUtc (ISO strings or epoch ms). */
export function slicePoints<T extends { intervalStartUtc: string }>(
  points: readonly T[],
  fromUtc: string | number,
  toUtc: string | number,
): T[] {
  const from = typeof fromUtc === 'number' ? fromUtc : Date.parse(fromUtc);
  const to = typeof toUtc === 'number' ? toUtc : Date.parse(toUtc);
  return points.filter((p) => {
    const t = Date.parse(p.intervalStartUtc);
    return t >= from && t < to;
  });
}

/**
 * Interval starts on the grid from `fromUtc` (inclusive) to `toUtc` (exclusive) in steps of `stepMinutes`
 * that have no point — e.g. EU 2023-10-29T01:00Z (autumn DST) or FR 2023-11-30.
 */
export function missingIntervals(
  points: readonly { intervalStartUtc: string }[],
  fromUtc: string,
  toUtc: string,
  stepMinutes = 60,
): string[] {
  const have = new Set(points.map((p) => Date.parse(p.intervalStartUtc)));
  const missing: string[] = [];
  for (let t = Date.parse(fromUtc); t < Date.parse(toUtc); t += stepMinutes * MS_PER_MINUTE) {
    if (!have.has(t)) missing.push(msToUtcIso(t));
  }
  return missing;
}
