import { priceSlots, ratePerBase, type ExchangeRates } from '#gridshift/contracts';
import type { CarbonSeries, PriceSeries } from '#gridshift/datasets';
import type { ZoneSlots } from '#gridshift/fleet';
import { BacktestInputError } from './errors.js';

const MS_PER_HOUR = 3_600_000;
/** Price intervals lie on the 5-minute grid (the contract's smallest interval). */
const CELL_MS = 300_000;

/** One zone's hourly prices (in the market currency) and carbon over the market's hours. */
export interface ZoneHours {
  zone: string;
  /** Currency of the source file; prices below are converted from it. */
  sourceCurrency: string;
  pricePerMwh: Float64Array;
  /** Direct gCO2/kWh per hour, null where unknown; null for a zone without carbon data. */
  carbonGPerKwh: (number | null)[] | null;
  /** Hours with no price in the source, filled with the previous hour's price. */
  filledPriceHours: number;
}

/** Hourly prices and carbon of every zone the fleet needs, on one UTC hour grid. */
export interface HourlyMarket {
  currency: string;
  /** First hour (epoch ms, whole UTC hour). */
  startMs: number;
  /** Number of hours; the market ends at startMs + hours × 1 h. */
  hours: number;
  zones: ReadonlyMap<string, ZoneHours>;
}

/** `price` per MWh in `from` converted to `to` via the table's base: EUR 92.5 at 0.925 EUR/USD → USD 100. */
export function convertPerMwh(price: number, from: string, to: string, fx: ExchangeRates | null): number {
  if (from === to) return price;
  if (fx === null)
    throw new BacktestInputError(`prices in ${from} need an exchange-rate table (--fx) to convert to ${to}`);
  try {
    return (price / ratePerBase(from, fx)) * ratePerBase(to, fx);
  } catch (error) {
    throw new BacktestInputError(
      `exchange-rate table (base ${fx.base}) cannot convert ${from} to ${to}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

export interface MarketOptions {
  /** One series per zone (already merged when a zone has several files). */
  prices: readonly PriceSeries[];
  /** Carbon series by price zone; zones left out have no carbon data. */
  carbon: ReadonlyMap<string, CarbonSeries>;
  /**
   * Exchange rates: one table for every hour, tables by UTC year (each hour converted with its year's rates;
   * every year of the market must be present), or null (prices must already be in `currency`).
   */
  fx: ExchangeRates | ReadonlyMap<number, ExchangeRates> | null;
  currency: string;
  /** The range that must be covered: [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** How far the market should reach if the data allows (the last step's horizon end); ≥ toMs. */
  wantToMs: number;
  /**
   * How far back the market should start if the data allows (history for the price forecast); ≤ fromMs.
   * Default fromMs.
   */
  historyFromMs?: number;
}

/**
 * Hourly market from price and carbon series (pure): prices converted to `currency` (with the rates of the
 * hour's year when `fx` is by year), hours the source lacks
 * filled with the previous hour's price (counted). It spans [fromMs, min(wantToMs, end of the shortest
 * series)); a zone whose data does not cover [fromMs, toMs) is a BacktestInputError naming its coverage.
 */
export function buildHourlyMarket(opts: MarketOptions): HourlyMarket {
  const fx = opts.fx;
  const ratesAt = (ms: number): ExchangeRates | null => {
    if (fx === null || 'perBase' in fx) return fx;
    const year = new Date(ms).getUTCFullYear();
    const rates = fx.get(year);
    if (rates === undefined) throw new BacktestInputError(`no exchange-rate table for ${year}`);
    return rates;
  };
  let endMs = opts.wantToMs;
  const usable = opts.prices.map((series) => {
    const points = series.points.map((p) => ({ ms: Date.parse(p.intervalStartUtc), price: p.price }));
    const first = points[0];
    const last = points.at(-1);
    if (first === undefined || last === undefined)
      throw new BacktestInputError(`${series.zone}: the price file has no rows`);
    const coverEndMs = last.ms + MS_PER_HOUR;
    if (first.ms > opts.fromMs || coverEndMs < opts.toMs) {
      throw new BacktestInputError(
        `${series.zone}: prices cover ${iso(first.ms)} → ${iso(coverEndMs)}, the backtest needs ${iso(opts.fromMs)} → ${iso(opts.toMs)}`,
      );
    }
    endMs = Math.min(endMs, coverEndMs);
    return { series, points };
  });
  // Start as early as every zone's data allows, but no earlier than historyFromMs (whole hours).
  const earliest = Math.max(
    ...usable.map((u) => Math.ceil((u.points[0]?.ms ?? 0) / MS_PER_HOUR) * MS_PER_HOUR),
  );
  const startMs = Math.min(opts.fromMs, Math.max(opts.historyFromMs ?? opts.fromMs, earliest));
  const hours = Math.floor((endMs - startMs) / MS_PER_HOUR);
  const zones = new Map<string, ZoneHours>();
  for (const { series, points } of usable) {
    const pricePerMwh = new Float64Array(hours);
    const have = new Uint8Array(hours);
    // Hours from the file's intervals by the planner's rule (`priceSlots`): an hour counts only when covered.
    const intervalMs = series.intervalMinutes * 60_000;
    const intervals = points
      .filter(
        (p) => p.ms % CELL_MS === 0 && p.ms + intervalMs > startMs && p.ms < startMs + hours * MS_PER_HOUR,
      )
      .map((p) => ({
        startMs: p.ms,
        minutes: series.intervalMinutes,
        pricePerMwh: convertPerMwh(p.price, series.currency, opts.currency, ratesAt(p.ms)),
        carbonGPerKwh: null,
        issuedMs: 0,
      }));
    priceSlots(intervals, { startMs, slotMinutes: 60, count: hours }).forEach((slot, h) => {
      if (slot === null || !slot.complete) return;
      pricePerMwh[h] = slot.pricePerMwh;
      have[h] = 1;
    });
    // The point at or before the start (coverage is checked above) seeds a fill at hour 0.
    let previous = convertPerMwh(
      points.filter((p) => p.ms <= startMs).at(-1)?.price ?? 0,
      series.currency,
      opts.currency,
      ratesAt(opts.fromMs),
    );
    let filled = 0;
    for (let h = 0; h < hours; h++) {
      if (have[h]) previous = pricePerMwh[h] ?? previous;
      else {
        pricePerMwh[h] = previous;
        filled++;
      }
    }
    const carbonSeries = opts.carbon.get(series.zone);
    let carbonGPerKwh: (number | null)[] | null = null;
    if (carbonSeries !== undefined) {
      carbonGPerKwh = new Array<number | null>(hours).fill(null);
      for (const p of carbonSeries.points) {
        const h = (Date.parse(p.intervalStartUtc) - startMs) / MS_PER_HOUR;
        if (Number.isInteger(h) && h >= 0 && h < hours) carbonGPerKwh[h] = p.carbonDirectGPerKwh;
      }
    }
    zones.set(series.zone, {
      zone: series.zone,
      sourceCurrency: series.currency,
      pricePerMwh,
      carbonGPerKwh,
      filledPriceHours: filled,
    });
  }
  return { currency: opts.currency, startMs, hours, zones };
}

/** The market's zone series for `count` hours from `fromMs` (inside the market), as placement inputs expect. */
export function zoneSlots(market: HourlyMarket, fromMs: number, count: number): Map<string, ZoneSlots> {
  const h0 = (fromMs - market.startMs) / MS_PER_HOUR;
  if (!Number.isInteger(h0) || h0 < 0 || h0 + count > market.hours) {
    throw new RangeError(`hours ${h0}..${h0 + count} are outside the market (0..${market.hours})`);
  }
  const out = new Map<string, ZoneSlots>();
  for (const [zone, z] of market.zones) {
    out.set(zone, {
      pricePerMwh: Array.from(z.pricePerMwh.subarray(h0, h0 + count)),
      ...(z.carbonGPerKwh ? { carbonGPerKwh: z.carbonGPerKwh.slice(h0, h0 + count) } : {}),
    });
  }
  return out;
}
