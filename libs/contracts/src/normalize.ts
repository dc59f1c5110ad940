// Normalisation of decoded messages to UTC and the base currency: price points, intervals, slots and day blocks,
// and load reports; the older slot helpers stay until they are folded into priceSlots (see price-slots.ts).
import { DEFAULT_SLOT_MINUTES, type IntervalMinutes, type Market, type PriceUnit } from './constants.js';
import { toBasePerMwh, type ExchangeRates } from './fx.js';
import type { ClusterLoadMessageV1, PriceMessageV1 } from './schemas.js';
import { acceptedTimestampMs } from './fast-price.js';
import { msToUtcIso, timestampToMs, MS_PER_MINUTE } from './time.js';

// Normalisation is pure and runs on messages that passed decode*/validate* (it throws on inputs that
// could not have passed). Two levels:
//   normalizePricePoints  one row per wire interval: UTC, base currency per MWh. Store these — they
//                         keep the partner's resolution, so a later partial update (e.g. one 15-min
//                         intraday point) supersedes only the minutes it covers.
//   aggregateToSlots      the slot grid the planner uses (default 60 min): a slot's price is the
//                         time-weighted mean of what covers it. Works across messages: where intervals
//                         overlap, the newest issuedAt wins minute by minute (5-minute cells).
// A slot only partly covered is kept, with coverageMinutes < slotMinutes and the mean over the covered
// minutes; the planner decides whether that is enough (e.g. require full coverage, or treat as stale).

/** Smallest interval on the wire; every interval and slot is a whole number of these cells. */
export const CELL_MINUTES = 5;

const DECIMALS = 1e6;

function round6(value: number): number {
  const rounded = Math.round(value * DECIMALS) / DECIMALS;
  return rounded === 0 ? 0 : rounded; // no -0 in stored rows
}

/** One wire interval in UTC and in the base currency per MWh. */
export interface NormalizedPricePoint {
  zone: string;
  market: Market;
  partnerId: string;
  /** Canonical UTC ISO, e.g. `2023-03-02T00:00:00.000Z`. */
  intervalStartUtc: string;
  intervalMinutes: IntervalMinutes;
  /** Price in `baseCurrency` per MWh, rounded to 6 decimals. */
  pricePerMwhBase: number;
  baseCurrency: string;
  currencyOriginal: string;
  unitOriginal: PriceUnit;
  /** The price as sent (original currency and unit). */
  priceOriginal: number;
  carbonGPerKwh: number | null;
  /** Canonical UTC ISO of the message's issuedAt (millisecond precision). */
  issuedAt: string;
}

/** One planner slot of one (zone, market, partner) series. */
export interface NormalizedPriceSlot {
  zone: string;
  market: Market;
  partnerId: string;
  /** Slot start, canonical UTC ISO; a multiple of slotMinutes on the UTC grid. */
  intervalStartUtc: string;
  slotMinutes: number;
  /** Time-weighted mean over the covered minutes, base currency per MWh, rounded to 6 decimals. */
  pricePerMwhBase: number;
  baseCurrency: string;
  /** Currency of the contributing intervals, or `MIXED`. */
  currencyOriginal: string;
  /** Unit of the contributing intervals, or `MIXED`. */
  unitOriginal: PriceUnit | 'MIXED';
  /** Time-weighted mean of the prices as sent; null when currencies or units are mixed. */
  priceOriginal: number | null;
  /** Time-weighted mean over the covered minutes that have carbon; null if none has. */
  carbonGPerKwh: number | null;
  /** Newest issuedAt among the contributing intervals. */
  issuedAt: string;
  /** Minutes of the slot covered by price intervals (slotMinutes when complete). */
  coverageMinutes: number;
}

export interface NormalizePriceOptions {
  fx: ExchangeRates;
}

export interface SlotOptions {
  /** Slot length: a multiple of 5 minutes that divides a day; default 60. */
  slotMinutes?: number;
}

/** Converts each point of a validated price message to UTC and the base currency per MWh (kWh ×1000, then ÷ rate). */
export function normalizePricePoints(
  msg: PriceMessageV1,
  opts: NormalizePriceOptions,
): NormalizedPricePoint[] {
  const issuedAt = msToUtcIso(timestampToMs(msg.issuedAt));
  return msg.points.map((point) => ({
    zone: msg.zone,
    market: msg.market,
    partnerId: msg.partnerId,
    intervalStartUtc: msToUtcIso(timestampToMs(point.intervalStart)),
    intervalMinutes: point.intervalMinutes,
    pricePerMwhBase: round6(toBasePerMwh(point.price, msg.currency, msg.unit, opts.fx)),
    baseCurrency: opts.fx.base,
    currencyOriginal: msg.currency,
    unitOriginal: msg.unit,
    priceOriginal: point.price,
    carbonGPerKwh: point.carbonGPerKwh ?? null,
    issuedAt,
  }));
}

function checkSlotMinutes(slotMinutes: number): void {
  if (!Number.isInteger(slotMinutes) || slotMinutes % CELL_MINUTES !== 0 || 1440 % slotMinutes !== 0) {
    throw new RangeError(
      `slotMinutes must be a multiple of ${CELL_MINUTES} that divides 1440, got ${slotMinutes}`,
    );
  }
}

interface Ranked {
  point: NormalizedPricePoint;
  startMs: number;
  issuedMs: number;
  order: number;
}

/** Aggregates normalised intervals onto the slot grid; overlaps resolve to the newest issuedAt (then the finer interval). */
export function aggregateToSlots(
  points: readonly NormalizedPricePoint[],
  opts: SlotOptions = {},
): NormalizedPriceSlot[] {
  const slotMinutes = opts.slotMinutes ?? DEFAULT_SLOT_MINUTES;
  checkSlotMinutes(slotMinutes);
  const slotMs = slotMinutes * MS_PER_MINUTE;
  const cellMs = CELL_MINUTES * MS_PER_MINUTE;

  const ranked: Ranked[] = points.map((point, order) => {
    const startMs = timestampToMs(point.intervalStartUtc);
    if (startMs % cellMs !== 0 || point.intervalMinutes % CELL_MINUTES !== 0) {
      throw new RangeError(
        `interval ${point.intervalStartUtc}/${point.intervalMinutes}min is off the 5-minute grid`,
      );
    }
    return { point, startMs, issuedMs: timestampToMs(point.issuedAt), order };
  });
  // Newest issue first; on a tie the finer interval, then input order. The first claim on a cell wins.
  ranked.sort(
    (a, b) =>
      b.issuedMs - a.issuedMs || a.point.intervalMinutes - b.point.intervalMinutes || a.order - b.order,
  );

  // series key → slot start ms → (cell start ms → winning point)
  const series = new Map<string, Map<number, Map<number, NormalizedPricePoint>>>();
  for (const { point, startMs } of ranked) {
    const seriesKey = JSON.stringify([point.zone, point.market, point.partnerId]);
    let slots = series.get(seriesKey);
    if (slots === undefined) {
      slots = new Map<number, Map<number, NormalizedPricePoint>>();
      series.set(seriesKey, slots);
    }
    const endMs = startMs + point.intervalMinutes * MS_PER_MINUTE;
    for (let cell = startMs; cell < endMs; cell += cellMs) {
      const slotStart = Math.floor(cell / slotMs) * slotMs;
      let cells = slots.get(slotStart);
      if (cells === undefined) {
        cells = new Map<number, NormalizedPricePoint>();
        slots.set(slotStart, cells);
      }
      if (!cells.has(cell)) cells.set(cell, point);
    }
  }

  const out: NormalizedPriceSlot[] = [];
  for (const slots of series.values()) {
    for (const [slotStart, cells] of slots)
      out.push(slotFromCells(slotStart, slotMinutes, [...cells.values()]));
  }
  out.sort(
    (a, b) =>
      a.zone.localeCompare(b.zone) ||
      a.market.localeCompare(b.market) ||
      a.partnerId.localeCompare(b.partnerId) ||
      a.intervalStartUtc.localeCompare(b.intervalStartUtc),
  );
  return out;
}

function slotFromCells(
  slotStartMs: number,
  slotMinutes: number,
  cells: NormalizedPricePoint[],
): NormalizedPriceSlot {
  const first = cells[0];
  if (first === undefined) throw new Error('internal: empty slot');
  // Every cell is 5 minutes, so a plain mean over cells is the time-weighted mean over the covered minutes.
  let priceSum = 0;
  let originalSum = 0;
  let carbonSum = 0;
  let carbonCells = 0;
  let issuedMs = timestampToMs(first.issuedAt);
  let sameCurrency = true;
  let sameUnit = true;
  for (const cell of cells) {
    priceSum += cell.pricePerMwhBase;
    originalSum += cell.priceOriginal;
    if (cell.carbonGPerKwh !== null) {
      carbonSum += cell.carbonGPerKwh;
      carbonCells++;
    }
    issuedMs = Math.max(issuedMs, timestampToMs(cell.issuedAt));
    sameCurrency &&= cell.currencyOriginal === first.currencyOriginal;
    sameUnit &&= cell.unitOriginal === first.unitOriginal;
  }
  return {
    zone: first.zone,
    market: first.market,
    partnerId: first.partnerId,
    intervalStartUtc: msToUtcIso(slotStartMs),
    slotMinutes,
    pricePerMwhBase: round6(priceSum / cells.length),
    baseCurrency: first.baseCurrency,
    currencyOriginal: sameCurrency ? first.currencyOriginal : 'MIXED',
    unitOriginal: sameUnit ? first.unitOriginal : 'MIXED',
    priceOriginal: sameCurrency && sameUnit ? round6(originalSum / cells.length) : null,
    carbonGPerKwh: carbonCells === 0 ? null : round6(carbonSum / carbonCells),
    issuedAt: msToUtcIso(issuedMs),
    coverageMinutes: cells.length * CELL_MINUTES,
  };
}

/** Normalises one validated price message straight onto the slot grid (normalizePricePoints + aggregateToSlots). */
export function normalizePriceMessage(
  msg: PriceMessageV1,
  opts: NormalizePriceOptions & SlotOptions,
): NormalizedPriceSlot[] {
  const points = normalizePricePoints(msg, opts);
  const slotMinutes = opts.slotMinutes ?? DEFAULT_SLOT_MINUTES;
  checkSlotMinutes(slotMinutes);
  // Fast path (the common day-ahead curve): every interval is exactly one slot on the grid. A decoded message
  // has one (zone, market, partner, issuedAt) and no overlaps, so each point is its slot, as the general
  // aggregation would compute it (checked against it in normalize.spec.ts).
  const slotMs = slotMinutes * MS_PER_MINUTE;
  const onGrid = points.every(
    (p) => p.intervalMinutes === slotMinutes && timestampToMs(p.intervalStartUtc) % slotMs === 0,
  );
  if (!onGrid) return aggregateToSlots(points, opts);
  return points
    .map((p) => ({
      zone: p.zone,
      market: p.market,
      partnerId: p.partnerId,
      intervalStartUtc: p.intervalStartUtc,
      slotMinutes,
      pricePerMwhBase: round6(p.pricePerMwhBase),
      baseCurrency: p.baseCurrency,
      currencyOriginal: p.currencyOriginal,
      unitOriginal: p.unitOriginal,
      priceOriginal: round6(p.priceOriginal),
      carbonGPerKwh: p.carbonGPerKwh === null ? null : round6(p.carbonGPerKwh),
      issuedAt: p.issuedAt,
      coverageMinutes: slotMinutes,
    }))
    .sort((a, b) => a.intervalStartUtc.localeCompare(b.intervalStartUtc));
}

/** A load report with a canonical UTC observedAt. */
export interface NormalizedLoadReport {
  clusterId: string;
  region: string;
  zone: string;
  observedAtUtc: string;
  gpuModel: string;
  gpuTotal: number;
  gpuBusy: number;
  gpuSchedulable: number;
  /** gpuTotal − gpuBusy. */
  gpuIdle: number;
  powerKw: number;
  powerCapKw: number;
  pue: number;
}

/** Converts a validated load message to its stored form (UTC observedAt, gpuIdle). */
export function normalizeLoadMessage(msg: ClusterLoadMessageV1): NormalizedLoadReport {
  return {
    clusterId: msg.clusterId,
    region: msg.region,
    zone: msg.zone,
    observedAtUtc: msToUtcIso(timestampToMs(msg.observedAt)),
    gpuModel: msg.gpuModel,
    gpuTotal: msg.gpuTotal,
    gpuBusy: msg.gpuBusy,
    gpuSchedulable: msg.gpuSchedulable,
    gpuIdle: msg.gpuTotal - msg.gpuBusy,
    powerKw: msg.powerKw,
    powerCapKw: msg.powerCapKw,
    pue: msg.pue,
  };
}

const DAY_MS = 86_400_000;

/**
 * One UTC day of one issue of a (zone, market, partner) series on the slot grid — how prices are stored
 * (`price_issues`). Arrays are indexed by slot of the day (0 = the slot at 00:00 UTC) and hold NaN where there
 * is no value (no price for the slot, no carbon, or no single original price). NaN rather than null keeps the
 * arrays all-double, which V8 stores unboxed — one allocation per array instead of one per number.
 */
export interface NormalizedPriceDay {
  zone: string;
  market: Market;
  partnerId: string;
  blockStartMs: number;
  slotMinutes: number;
  issuedMs: number;
  /** The message's currency; `priceOriginal` is in it (per the message's unit). */
  currencyOriginal: string;
  pricePerMwh: number[];
  priceOriginal: number[];
  /** null when no point of the day carries a carbon intensity. */
  carbonGPerKwh: number[] | null;
  /** Minutes covered per slot (0 = no price); null when every priced slot is fully covered. */
  coverageMinutes: number[] | null;
  /** Slots with a price. */
  points: number;
}

function fastMs(timestamp: string): number {
  return acceptedTimestampMs(timestamp) ?? timestampToMs(timestamp);
}

const empty = (n: number): number[] => new Array<number>(n).fill(NaN);

/**
 * Normalises one validated price message into day blocks: the same slots as normalizePriceMessage (UTC, base
 * currency per MWh, time-weighted means on the slot grid), grouped by UTC day. The common curve whose
 * intervals are the slots is built directly, without intermediate rows (checked against the general path in
 * normalize.spec.ts).
 */
export function normalizePriceDays(
  msg: PriceMessageV1,
  opts: NormalizePriceOptions & SlotOptions,
): NormalizedPriceDay[] {
  const slotMinutes = opts.slotMinutes ?? DEFAULT_SLOT_MINUTES;
  checkSlotMinutes(slotMinutes);
  const slotMs = slotMinutes * MS_PER_MINUTE;
  const perDay = 1440 / slotMinutes;
  const issuedMs = fastMs(msg.issuedAt);
  const days: NormalizedPriceDay[] = [];
  let day: NormalizedPriceDay | undefined;
  const dayOf = (startMs: number): NormalizedPriceDay => {
    const dayMs = startMs - (((startMs % DAY_MS) + DAY_MS) % DAY_MS);
    if (day?.blockStartMs === dayMs) return day;
    day = days.find((d) => d.blockStartMs === dayMs);
    if (day === undefined) {
      day = {
        zone: msg.zone,
        market: msg.market,
        partnerId: msg.partnerId,
        blockStartMs: dayMs,
        slotMinutes,
        issuedMs,
        currencyOriginal: msg.currency,
        pricePerMwh: empty(perDay),
        priceOriginal: empty(perDay),
        carbonGPerKwh: null,
        coverageMinutes: null,
        points: 0,
      };
      days.push(day);
    }
    return day;
  };
  const points = msg.points;
  const starts = new Array<number>(points.length);
  let onGrid = true;
  for (let i = 0; i < points.length; i++) {
    const startMs = fastMs(points[i]!.intervalStart);
    starts[i] = startMs;
    if (points[i]!.intervalMinutes !== slotMinutes || startMs % slotMs !== 0) onGrid = false;
  }
  if (onGrid) {
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const d = dayOf(starts[i]!);
      const k = (starts[i]! - d.blockStartMs) / slotMs;
      if (!Number.isNaN(d.pricePerMwh[k])) continue; // validated messages have no overlaps; keep the first anyway
      d.pricePerMwh[k] = round6(toBasePerMwh(point.price, msg.currency, msg.unit, opts.fx));
      d.priceOriginal[k] = round6(point.price);
      if (point.carbonGPerKwh != null) (d.carbonGPerKwh ??= empty(perDay))[k] = round6(point.carbonGPerKwh);
      d.points++;
    }
  } else {
    const slots = normalizePriceMessage(msg, opts);
    for (const slot of slots) {
      const startMs = timestampToMs(slot.intervalStartUtc);
      const d = dayOf(startMs);
      const k = (startMs - d.blockStartMs) / slotMs;
      d.pricePerMwh[k] = slot.pricePerMwhBase;
      d.priceOriginal[k] = slot.priceOriginal ?? NaN;
      if (slot.carbonGPerKwh !== null) (d.carbonGPerKwh ??= empty(perDay))[k] = slot.carbonGPerKwh;
      if (slot.coverageMinutes !== slotMinutes) d.coverageMinutes ??= new Array<number>(perDay).fill(0);
      d.points++;
    }
    // Coverage is kept only for days with a partial slot; there every priced slot gets its minutes.
    for (const slot of slots) {
      const startMs = timestampToMs(slot.intervalStartUtc);
      const d = dayOf(startMs);
      if (d.coverageMinutes !== null)
        d.coverageMinutes[(startMs - d.blockStartMs) / slotMs] = slot.coverageMinutes;
    }
  }
  return days.sort((a, b) => a.blockStartMs - b.blockStartMs);
}

/**
 * Normalises one validated price message into day blocks of its intervals as sent (how prices are stored,
 * `price_issues`): one block per UTC day and interval length, each on its own interval grid (a validated
 * message has its intervals aligned to their length and no overlaps), values in the base currency per MWh.
 * Slots are made on read (`priceSlots`).
 */
export function normalizePriceIntervalDays(
  msg: PriceMessageV1,
  opts: NormalizePriceOptions,
): NormalizedPriceDay[] {
  const first = msg.points[0]?.intervalMinutes;
  if (msg.points.every((p) => p.intervalMinutes === first))
    return first === undefined ? [] : normalizePriceDays(msg, { ...opts, slotMinutes: first });
  const lengths = [...new Set(msg.points.map((p) => p.intervalMinutes))].sort((a, b) => a - b);
  return lengths
    .flatMap((minutes) =>
      normalizePriceDays(
        { ...msg, points: msg.points.filter((p) => p.intervalMinutes === minutes) },
        { ...opts, slotMinutes: minutes },
      ),
    )
    .sort((a, b) => a.blockStartMs - b.blockStartMs || a.slotMinutes - b.slotMinutes);
}
