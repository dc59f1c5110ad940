import { parseExchangeRates } from '#gridshift/contracts';
import type { CarbonSeries, PriceSeries } from '#gridshift/datasets';
import { describe, expect, it } from 'vitest';
import { BacktestInputError } from './errors.js';
import { buildHourlyMarket, convertPerMwh, zoneSlots } from './market.js';

const fx = parseExchangeRates({ base: 'USD', perUsd: { EUR: 0.925, GBP: 0.804 } });
const FROM = Date.parse('2023-03-01T00:00:00Z');
const HOUR = 3_600_000;

function series(zone: string, currency: string, prices: (number | null)[], startMs = FROM): PriceSeries {
  return {
    zone,
    currency,
    market: 'day_ahead',
    intervalMinutes: 60,
    points: prices.flatMap((price, h) =>
      price === null ? [] : [{ intervalStartUtc: new Date(startMs + h * HOUR).toISOString(), price }],
    ),
    adjustments: [],
  };
}

describe('convertPerMwh', () => {
  it.each([
    // price ÷ (units of `from` per USD) × (units of `to` per USD)
    { price: 92.5, from: 'EUR', to: 'USD', want: 100 }, // 92.5 ÷ 0.925
    { price: 100, from: 'USD', to: 'EUR', want: 92.5 }, // 100 × 0.925
    { price: 92.5, from: 'EUR', to: 'GBP', want: 80.4 }, // 92.5 ÷ 0.925 × 0.804
    { price: -10, from: 'USD', to: 'USD', want: -10 },
  ])('$price $from → $want $to', ({ price, from, to, want }) => {
    expect(convertPerMwh(price, from, to, fx)).toBeCloseTo(want, 9);
  });

  it('needs a table for different currencies and knows which it cannot convert', () => {
    expect(convertPerMwh(5, 'EUR', 'EUR', null)).toBe(5);
    expect(() => convertPerMwh(5, 'EUR', 'USD', null)).toThrow('need an exchange-rate table (--fx)');
    expect(() => convertPerMwh(5, 'JPY', 'USD', fx)).toThrow(BacktestInputError);
  });
});

describe('buildHourlyMarket', () => {
  const base = { carbon: new Map<string, CarbonSeries>(), fx, currency: 'USD', fromMs: FROM };

  it('converts, fills gaps with the previous hour and reaches as far as the data allows', () => {
    const market = buildHourlyMarket({
      ...base,
      prices: [
        series('DE-LU', 'EUR', [92.5, null, 185, 0, 9.25, 18.5]),
        series('US-NY-NYIS', 'USD', [1, 2, 3, 4]),
      ],
      toMs: FROM + 3 * HOUR,
      wantToMs: FROM + 10 * HOUR,
    });
    expect(market.hours).toBe(4); // NY data ends after 4 hours
    const de = market.zones.get('DE-LU');
    expect(Array.from(de?.pricePerMwh ?? [])).toEqual(
      [100, 100, 200, 0].map((v) => expect.closeTo(v, 9) as number),
    );
    expect(de?.filledPriceHours).toBe(1);
    expect(de?.carbonGPerKwh).toBeNull();
    expect(zoneSlots(market, FROM + HOUR, 2).get('US-NY-NYIS')).toEqual({ pricePerMwh: [2, 3] });
    expect(() => zoneSlots(market, FROM + 3 * HOUR, 2)).toThrow('outside the market');
  });

  it('maps carbon by hour and leaves unknown hours null', () => {
    const carbon: CarbonSeries = {
      zoneId: 'DE',
      zoneName: 'Germany',
      points: [0, 2].map((h) => ({
        intervalStartUtc: new Date(FROM + h * HOUR).toISOString(),
        carbonDirectGPerKwh: 300 + h,
        carbonLcaGPerKwh: 400,
        lowCarbonPercent: null,
        renewablePercent: null,
        estimated: false,
      })),
    };
    const market = buildHourlyMarket({
      ...base,
      carbon: new Map([['DE-LU', carbon]]),
      prices: [series('DE-LU', 'USD', [1, 2, 3])],
      toMs: FROM + 3 * HOUR,
      wantToMs: FROM + 3 * HOUR,
    });
    expect(market.zones.get('DE-LU')?.carbonGPerKwh).toEqual([300, null, 302]);
  });

  it('names the zone and its coverage when the data is too short', () => {
    const build = () =>
      buildHourlyMarket({
        ...base,
        prices: [series('FR', 'EUR', [1, 2], FROM + HOUR)],
        toMs: FROM + 3 * HOUR,
        wantToMs: FROM + 3 * HOUR,
      });
    expect(build).toThrow(BacktestInputError);
    expect(build).toThrow(
      'FR: prices cover 2023-03-01T01:00Z → 2023-03-01T03:00Z, the backtest needs 2023-03-01T00:00Z → 2023-03-01T03:00Z',
    );
  });
});

describe('buildHourlyMarket with rates by year', () => {
  it("converts each hour with its own year's rates", () => {
    const newYear = Date.parse('2024-01-01T00:00:00Z');
    const fx2024 = parseExchangeRates({ base: 'USD', perUsd: { EUR: 0.924 } });
    const market = buildHourlyMarket({
      carbon: new Map(),
      fx: new Map([
        [2023, fx],
        [2024, fx2024],
      ]),
      currency: 'USD',
      prices: [series('DE-LU', 'EUR', [92.5, null, 92.4], newYear - HOUR)],
      fromMs: newYear - HOUR,
      toMs: newYear + 2 * HOUR,
      wantToMs: newYear + 2 * HOUR,
    });
    // 92.5 EUR ÷ 0.925 (2023) = 100; the missing first 2024 hour repeats 100; 92.4 ÷ 0.924 (2024) = 100
    expect(Array.from(market.zones.get('DE-LU')?.pricePerMwh ?? [])).toEqual(
      [100, 100, 100].map((v) => expect.closeTo(v, 9) as number),
    );
  });

  it('refuses an hour whose year has no table', () => {
    expect(() =>
      buildHourlyMarket({
        carbon: new Map(),
        fx: new Map([[2022, fx]]),
        currency: 'USD',
        prices: [series('DE-LU', 'EUR', [1])],
        fromMs: FROM,
        toMs: FROM + HOUR,
        wantToMs: FROM + HOUR,
      }),
    ).toThrow('no exchange-rate table for 2023');
  });
});
