import {
  DEFAULT_FORECAST_METHOD,
  forecastHourly,
  type HourlyForecast,
  type HourlySeries,
} from '#gridshift/forecast';
import { priceSlots, type PriceInterval } from '#gridshift/contracts';
import type { HourlyPricePoint } from '#gridshift/persistence';
import type { Assumption } from './assumptions.js';

// Pure price resolution for one plan: stored intervals → one price per slot and zone, with its source and
// what had to be assumed. No IO (loadInputs reads the intervals).

const MS_PER_HOUR = 3_600_000;

/** Markets in the order the planner prefers them for a slot. */
export const PRICE_MARKET_PREFERENCE = ['day_ahead', 'intraday', 'real_time', 'forecast'] as const;
export type PriceMarket = (typeof PRICE_MARKET_PREFERENCE)[number];

/**
 * Where a slot's price came from: a stored market (`forecast` = a partner's forecast), gridshift's own forecast
 * from the zone's price history, the last known price carried forward, or assumed (`fillMissingZonePrices`).
 */
export type PriceSource = PriceMarket | 'gridshift-forecast' | 'carried-forward' | 'assumed';

/** Fewer known hours of history than this: no gridshift forecast, the last known price is carried forward. */
export const MIN_FORECAST_HISTORY_HOURS = 24;

/**
 * One stored price interval as the planner reads it (the newest issue of the interval); overlapping intervals
 * of a market are resolved by `priceSlots`.
 */
export interface PriceCandidate {
  intervalStartMs: number;
  minutes: number;
  market: string;
  pricePerMwh: number;
  carbonGPerKwh: number | null;
  issuedAtMs: number;
  /** Breaks ties between partners' issues of the same time (lowest wins). */
  partnerId?: string;
  /** Minutes covered when a stored interval covers less than its length (prices stored before migration 21). */
  coverageMinutes?: number | null;
}

/** The price series of one zone over the horizon, with the source of every slot. */
export interface ZonePriceSeries {
  zone: string;
  pricePerMwh: number[];
  carbonGPerKwh: (number | null)[];
  source: PriceSource[];
  /** Issue time of the price used per slot (null when assumed or forecast by gridshift). */
  issuedAtUtc: (string | null)[];
}

/** The stored market price chosen for one slot (`publishedSlotPrices`). */
interface PublishedSlotPrice {
  market: PriceMarket;
  price: number;
  carbon: number | null;
  issuedAtMs: number;
}

/** A candidate as `priceSlots` reads it. */
function toPriceInterval(c: PriceCandidate): PriceInterval {
  return {
    startMs: c.intervalStartMs,
    minutes: c.minutes,
    pricePerMwh: c.pricePerMwh,
    carbonGPerKwh: c.carbonGPerKwh,
    issuedMs: c.issuedAtMs,
    coverageMinutes: c.coverageMinutes ?? null,
    ...(c.partnerId === undefined ? {} : { tieBreak: c.partnerId }),
  };
}

/**
 * Per slot, the price of the first market in PRICE_MARKET_PREFERENCE whose candidates cover the whole slot
 * (`priceSlots`: per 5-minute cell the newest issue, time-weighted over the slot), else null. A slot only partly
 * covered by a market does not count for it. `slotStartsMs` is a contiguous grid.
 */
function publishedSlotPrices(
  slotStartsMs: number[],
  slotMinutes: number,
  candidates: PriceCandidate[],
): (PublishedSlotPrice | null)[] {
  if (slotStartsMs.length === 0) return [];
  const grid = { startMs: slotStartsMs[0]!, slotMinutes, count: slotStartsMs.length };
  const byMarket = PRICE_MARKET_PREFERENCE.map((market) => ({
    market,
    slots: priceSlots(candidates.filter((c) => c.market === market).map(toPriceInterval), grid),
  }));
  return slotStartsMs.map((_, t) => {
    for (const { market, slots } of byMarket) {
      const slot = slots[t];
      if (slot?.complete)
        return {
          market,
          price: slot.pricePerMwh,
          carbon: slot.carbonGPerKwh,
          // The oldest issue the price is made of: what staleness is judged by.
          issuedAtMs: slot.oldestIssuedMs,
        };
    }
    return null;
  });
}

/**
 * Index of the first slot after the last slot with a published price (any stored market): the first slot
 * gridshift may forecast. 0 when no slot has a price, `slotStartsMs.length` when the last one has.
 */
export function firstUnpublishedSlot(
  slotStartsMs: number[],
  slotMinutes: number,
  candidates: PriceCandidate[],
): number {
  return afterLastPublished(publishedSlotPrices(slotStartsMs, slotMinutes, candidates));
}

function afterLastPublished(published: readonly (PublishedSlotPrice | null)[]): number {
  let t = published.length;
  while (t > 0 && !published[t - 1]) t -= 1;
  return t;
}

/** The UTC hour containing `slotStartMs`: the price history for a forecast from that slot ends before it. */
export function forecastCutoffMs(slotStartMs: number): number {
  return Math.floor(slotStartMs / MS_PER_HOUR) * MS_PER_HOUR;
}

/**
 * A zone's hourly price history for gridshift's forecast: per UTC hour in [cutoffMs − hours, cutoffMs) the
 * price of the first market in PRICE_MARKET_PREFERENCE that has one; points at or after `cutoffMs` are
 * ignored; hours before the first and after the last priced hour are dropped (gaps inside stay NaN).
 * Empty values when no hour has a price.
 */
export function hourlyPriceHistory(
  points: readonly Pick<HourlyPricePoint, 'market' | 'hourStart' | 'pricePerMwh'>[],
  cutoffMs: number,
  hours: number,
): HourlySeries {
  const startMs = cutoffMs - hours * MS_PER_HOUR;
  const values = new Float64Array(hours).fill(Number.NaN);
  const rank = new Float64Array(hours).fill(Number.POSITIVE_INFINITY);
  for (const p of points) {
    const i = (p.hourStart.getTime() - startMs) / MS_PER_HOUR;
    const r = (PRICE_MARKET_PREFERENCE as readonly string[]).indexOf(p.market);
    if (!Number.isInteger(i) || i < 0 || i >= hours || r < 0 || !Number.isFinite(p.pricePerMwh)) continue;
    if (r < rank[i]!) {
      rank[i] = r;
      values[i] = p.pricePerMwh;
    }
  }
  let first = 0;
  while (first < hours && Number.isNaN(values[first])) first += 1;
  let end = hours;
  while (end > first && Number.isNaN(values[end - 1])) end -= 1;
  return { startMs: startMs + first * MS_PER_HOUR, values: values.subarray(first, end) };
}

/** gridshift's own forecast for the slots after the last published one (an argument of `resolveZonePrices`). */
export interface ZoneForecastInput {
  /** The zone's hourly prices before the first unpublished slot's hour (`hourlyPriceHistory`). */
  history: HourlySeries;
  /** History hours the point forecast uses (the bands look up to 14 days further back). */
  lookbackHours: number;
}

/** The forecast's values for the slots from `firstSlot` on, and how it was made; null without usable history. */
function gridshiftForecast(
  input: ZoneForecastInput,
  slotStartsMs: number[],
  firstSlot: number,
): { forecast: HourlyForecast; hourOfSlot: (t: number) => number; historyHours: number } | null {
  if (firstSlot >= slotStartsMs.length) return null;
  // Never read history at or after the first forecast hour, whatever the caller passed.
  const cutoffMs = forecastCutoffMs(slotStartsMs[firstSlot]!);
  const usable = Math.max(
    0,
    Math.min(input.history.values.length, (cutoffMs - input.history.startMs) / MS_PER_HOUR),
  );
  const values = Array.prototype.slice.call(input.history.values, 0, usable) as number[];
  if (values.filter(Number.isFinite).length < MIN_FORECAST_HISTORY_HOURS) return null;
  const startMs = input.history.startMs + values.length * MS_PER_HOUR;
  const hours = Math.floor((slotStartsMs.at(-1)! - startMs) / MS_PER_HOUR) + 1;
  const forecast = forecastHourly({ startMs: input.history.startMs, values }, hours, {
    method: DEFAULT_FORECAST_METHOD,
    lookbackHours: input.lookbackHours,
  });
  return {
    forecast,
    hourOfSlot: (t) => Math.floor((slotStartsMs[t]! - startMs) / MS_PER_HOUR),
    historyHours: Math.min(values.length, input.lookbackHours),
  };
}

/** "8 weeks", "9 days" or "30 h". */
function describeHours(hours: number): string {
  if (hours % 168 === 0) return `${hours / 168} week${hours === 168 ? '' : 's'}`;
  if (hours % 24 === 0) return `${hours / 24} day${hours === 24 ? '' : 's'}`;
  return `${hours} h`;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Resolves one zone's price per slot: day-ahead, else intraday / real-time / a partner's forecast; after the
 * last slot with any of those, gridshift's own forecast from `forecast.history` (when it holds at least
 * MIN_FORECAST_HISTORY_HOURS known hours); else the last known price carried forward; else `null` (filled by
 * `fillMissingZonePrices`). Slots with a published price are never forecast. A market's price for a slot is
 * `priceSlots` over its candidates and counts only when it covers the whole slot; each non-day-ahead choice and each price
 * issued more than `priceMaxAgeHours` before `nowMs` is reported as an assumption.
 */
export function resolveZonePrices(
  zone: string,
  slotStartsMs: number[],
  slotMinutes: number,
  candidates: PriceCandidate[],
  lastBefore: PriceCandidate | null,
  nowMs: number,
  priceMaxAgeHours: number,
  forecast: ZoneForecastInput | null = null,
): { series: ZonePriceSeries; assumptions: Assumption[]; missingSlots: number[] } {
  const n = slotStartsMs.length;
  const series: ZonePriceSeries = {
    zone,
    pricePerMwh: new Array<number>(n).fill(Number.NaN),
    carbonGPerKwh: new Array<number | null>(n).fill(null),
    source: new Array<PriceSource>(n).fill('assumed'),
    issuedAtUtc: new Array<string | null>(n).fill(null),
  };
  const bySource = new Map<string, number[]>();
  const stale = new Map<number, number[]>();
  const missingSlots: number[] = [];
  const published = publishedSlotPrices(slotStartsMs, slotMinutes, candidates);
  const firstUnpublished = afterLastPublished(published);
  const own = forecast ? gridshiftForecast(forecast, slotStartsMs, firstUnpublished) : null;
  const forecastSlots: number[] = [];
  let carried: PriceCandidate | null = lastBefore;
  for (let t = 0; t < n; t += 1) {
    const from = slotStartsMs[t]!;
    const chosen = published[t];
    if (chosen) {
      series.pricePerMwh[t] = chosen.price;
      series.carbonGPerKwh[t] = chosen.carbon;
      series.source[t] = chosen.market;
      series.issuedAtUtc[t] = new Date(chosen.issuedAtMs).toISOString();
      carried = {
        intervalStartMs: from,
        minutes: slotMinutes,
        market: chosen.market,
        pricePerMwh: chosen.price,
        carbonGPerKwh: chosen.carbon,
        issuedAtMs: chosen.issuedAtMs,
      };
      if (chosen.market !== 'day_ahead') push(bySource, chosen.market, t);
      if (nowMs - chosen.issuedAtMs > priceMaxAgeHours * MS_PER_HOUR) push(stale, chosen.issuedAtMs, t);
    } else if (own && t >= firstUnpublished) {
      // Hourly forecast spread to the slot grid: every slot takes its UTC hour's value. Carbon intensity is
      // not forecast: the last known one is kept.
      series.pricePerMwh[t] = own.forecast.point[own.hourOfSlot(t)]!;
      series.carbonGPerKwh[t] = carried?.carbonGPerKwh ?? null;
      series.source[t] = 'gridshift-forecast';
      forecastSlots.push(t);
      // A forecast is as old as the published price it follows: a dead feed still shows up as stale.
      if (carried && nowMs - carried.issuedAtMs > priceMaxAgeHours * MS_PER_HOUR)
        push(stale, carried.issuedAtMs, t);
    } else if (carried) {
      series.pricePerMwh[t] = carried.pricePerMwh;
      series.carbonGPerKwh[t] = carried.carbonGPerKwh;
      series.source[t] = 'carried-forward';
      series.issuedAtUtc[t] = new Date(carried.issuedAtMs).toISOString();
      push(bySource, `carried:${carried.intervalStartMs}`, t);
      if (nowMs - carried.issuedAtMs > priceMaxAgeHours * MS_PER_HOUR) push(stale, carried.issuedAtMs, t);
    } else {
      missingSlots.push(t);
    }
  }
  const iso = (slots: number[]) => slots.map((t) => new Date(slotStartsMs[t]!).toISOString());
  const assumptions: Assumption[] = [];
  if (own && forecastSlots.length > 0) {
    const hourIndex = forecastSlots.map(own.hourOfSlot);
    const band = (values: Float64Array) => hourIndex.map((h) => round2(values[h]!));
    // The last published slot, or (none in the horizon) the last hour of history.
    const after = new Date(
      firstUnpublished > 0 ? slotStartsMs[firstUnpublished - 1]! : own.forecast.startMs - MS_PER_HOUR,
    ).toISOString();
    assumptions.push({
      code: 'price-forecast',
      zone,
      slotStartsUtc: iso(forecastSlots),
      message:
        `${zone}: no published price for ${forecastSlots.length} slot(s) after ${after.slice(0, 16)}Z; ` +
        `gridshift's ${own.forecast.method} forecast from ${describeHours(own.historyHours)} of history was used`,
      details: {
        source: 'gridshift',
        method: own.forecast.method,
        historyHours: own.historyHours,
        shortHistory: own.forecast.shortHistory,
        bands: { p10: band(own.forecast.p10), p50: band(own.forecast.p50), p90: band(own.forecast.p90) },
      },
    });
  }
  for (const [key, slots] of bySource) {
    if (key.startsWith('carried:')) {
      const fromMs = Number(key.slice('carried:'.length));
      assumptions.push({
        code: 'price-carried-forward',
        zone,
        slotStartsUtc: iso(slots),
        message: `${zone}: no price for ${slots.length} slot(s); the last known price (slot ${new Date(fromMs).toISOString()}) was carried forward`,
        details: { fromIntervalStartUtc: new Date(fromMs).toISOString() },
      });
    } else {
      const code =
        key === 'intraday' ? 'price-intraday' : key === 'real_time' ? 'price-real-time' : 'price-forecast';
      const what = key === 'forecast' ? "a partner's forecast" : `the ${key.replace('_', '-')}`;
      assumptions.push({
        code,
        zone,
        slotStartsUtc: iso(slots),
        message: `${zone}: no day-ahead price for ${slots.length} slot(s); ${what} price was used`,
        ...(key === 'forecast' ? { details: { source: 'partner' } } : {}),
      });
    }
  }
  for (const [issuedAtMs, slots] of stale) {
    const ageHours = Math.round(((nowMs - issuedAtMs) / MS_PER_HOUR) * 10) / 10;
    assumptions.push({
      code: 'price-stale',
      zone,
      slotStartsUtc: iso(slots),
      message: `${zone}: the price used for ${slots.length} slot(s) was issued ${ageHours} h ago (limit ${priceMaxAgeHours} h)`,
      details: { issuedAtUtc: new Date(issuedAtMs).toISOString(), ageHours },
    });
  }
  return { series, assumptions, missingSlots };
}

/**
 * Fills slots without any known price: the median of the zones that have a (non-assumed) price in that
 * slot, else `missingPricePerMwh`. Mutates the series it is given (they are the caller's fresh objects).
 */
export function fillMissingZonePrices(
  series: ZonePriceSeries[],
  missing: Map<string, number[]>,
  slotStartsUtc: string[],
  missingPricePerMwh: number,
): Assumption[] {
  const assumptions: Assumption[] = [];
  for (const zoneSeries of series) {
    const slots = missing.get(zoneSeries.zone) ?? [];
    if (slots.length === 0) continue;
    const byBasis = new Map<string, number[]>();
    for (const t of slots) {
      const known = series
        .filter((s) => s.source[t] !== 'assumed' && Number.isFinite(s.pricePerMwh[t]))
        .map((s) => s.pricePerMwh[t]!);
      const basis = known.length > 0 ? 'fleet-median' : 'configured-default';
      zoneSeries.pricePerMwh[t] = known.length > 0 ? median(known) : missingPricePerMwh;
      zoneSeries.source[t] = 'assumed';
      push(byBasis, basis, t);
    }
    for (const [basis, ts] of byBasis) {
      assumptions.push({
        code: 'price-missing',
        zone: zoneSeries.zone,
        slotStartsUtc: ts.map((t) => slotStartsUtc[t]!),
        message:
          basis === 'fleet-median'
            ? `${zoneSeries.zone}: no price known for ${ts.length} slot(s); the median price of the other zones was assumed`
            : `${zoneSeries.zone}: no price known for ${ts.length} slot(s) in any zone; ${missingPricePerMwh} per MWh was assumed`,
        details: { basis, assumedPricePerMwh: ts.map((t) => zoneSeries.pricePerMwh[t]) },
      });
    }
  }
  return assumptions;
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
