// Normalisation of decoded messages to UTC and the base currency: price points, day blocks of intervals as sent,
// and load reports.
import { type IntervalMinutes, type Market, type PriceUnit } from './constants.js';
import { toBasePerMwh, type ExchangeRates } from './fx.js';
import type { ClusterLoadMessageV1, PriceMessageV1 } from './schemas.js';
import { acceptedTimestampMs } from './fast-price.js';
import { msToUtcIso, timestampToMs, MS_PER_MINUTE } from './time.js';

// Normalisation is pure and runs on messages that passed decode*/validate* (it throws on inputs that
// could not have passed):
//   normalizePricePoints       one row per wire interval: UTC, base currency per MWh, the original kept.
//   normalizePriceIntervalDays how prices are stored: the intervals as sent, in day blocks per interval length.
// Slots (the planner grid) are made on read by the one rule, priceSlots (price-slots.ts).

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

export interface NormalizePriceOptions {
  fx: ExchangeRates;
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
 * One UTC day of one interval length of one issue of a (zone, market, partner) series — how prices are stored
 * (`price_issues`; `slotMinutes` is the interval length as sent). Arrays are indexed by interval of the day (0 = the slot at 00:00 UTC) and hold NaN where there
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
  /**
   * Minutes covered per slot (0 = no price): only blocks stored before prices were kept per interval (migration
   * 1732380000021) have one; normalisation always gives null (every interval covers itself).
   */
  coverageMinutes: number[] | null;
  /** Slots with a price. */
  points: number;
}

function fastMs(timestamp: string): number {
  return acceptedTimestampMs(timestamp) ?? timestampToMs(timestamp);
}

const empty = (n: number): number[] => new Array<number>(n).fill(NaN);

/**
 * Day blocks of the points of one interval length (a validated message has every interval aligned to its own
 * length and no overlaps; the blocks are built directly, without intermediate rows).
 */
function dayBlocksOfLength(
  msg: PriceMessageV1,
  points: PriceMessageV1['points'],
  intervalMinutes: number,
  opts: NormalizePriceOptions,
): NormalizedPriceDay[] {
  const intervalMs = intervalMinutes * MS_PER_MINUTE;
  const perDay = 1440 / intervalMinutes;
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
        slotMinutes: intervalMinutes,
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
  for (const point of points) {
    const startMs = fastMs(point.intervalStart);
    if (startMs % intervalMs !== 0)
      throw new RangeError(
        `interval ${point.intervalStart}/${intervalMinutes}min is not aligned to its length`,
      );
    const d = dayOf(startMs);
    const k = (startMs - d.blockStartMs) / intervalMs;
    if (!Number.isNaN(d.pricePerMwh[k])) continue; // validated messages have no overlaps; keep the first anyway
    d.pricePerMwh[k] = round6(toBasePerMwh(point.price, msg.currency, msg.unit, opts.fx));
    d.priceOriginal[k] = round6(point.price);
    if (point.carbonGPerKwh != null) (d.carbonGPerKwh ??= empty(perDay))[k] = round6(point.carbonGPerKwh);
    d.points++;
  }
  return days;
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
    return first === undefined
      ? []
      : dayBlocksOfLength(msg, msg.points, first, opts).sort((a, b) => a.blockStartMs - b.blockStartMs);
  const lengths = [...new Set(msg.points.map((p) => p.intervalMinutes))];
  return lengths
    .flatMap((minutes) =>
      dayBlocksOfLength(
        msg,
        msg.points.filter((p) => p.intervalMinutes === minutes),
        minutes,
        opts,
      ),
    )
    .sort((a, b) => a.blockStartMs - b.blockStartMs || a.slotMinutes - b.slotMinutes);
}
