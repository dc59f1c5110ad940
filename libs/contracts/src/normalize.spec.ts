import { describe, expect, it } from 'vitest';
import { isKnownCurrency, parseExchangeRates, ratePerBase, toBasePerMwh } from './fx.js';
import { normalizeLoadMessage, normalizePriceIntervalDays, normalizePricePoints } from './normalize.js';
import { priceSlots, slotGridCovering } from './price-slots.js';
import type { PriceMessageV1 } from './schemas.js';
import { isAlignedMs, isNaiveTimestamp, toUtcIso } from './time.js';

// The table in data/fx-2023.json, inlined (unit tests do no IO).
const fx = parseExchangeRates({
  base: 'USD',
  perUsd: {
    USD: 1.0,
    EUR: 0.925,
    GBP: 0.804,
    CAD: 1.35,
    AUD: 1.505,
    JPY: 140.5,
    KRW: 1306.0,
    SGD: 1.343,
    INR: 82.6,
  },
});

const message = (patch: Partial<PriceMessageV1>): PriceMessageV1 => ({
  partnerId: 'acme',
  zone: 'DE-LU',
  market: 'day_ahead',
  currency: 'USD',
  unit: 'MWh',
  issuedAt: '2023-03-01T12:00:00+01:00',
  points: [],
  ...patch,
});

const quarterHours = (startIso: string, prices: number[], carbon?: (number | null)[]) =>
  prices.map((price, i) => ({
    intervalStart: new Date(Date.parse(startIso) + i * 15 * 60_000).toISOString(),
    intervalMinutes: 15 as const,
    price,
    carbonGPerKwh: carbon?.[i] ?? null,
  }));

describe('currency and unit conversion', () => {
  it.each([
    { name: 'EUR at 0.925 per USD', price: 92.5, currency: 'EUR', unit: 'MWh' as const, want: 100 }, // 92.5 ÷ 0.925
    { name: 'kWh to MWh', price: 0.1, currency: 'USD', unit: 'kWh' as const, want: 100 }, // 0.1 × 1000
    { name: 'JPY per kWh', price: 14.05, currency: 'JPY', unit: 'kWh' as const, want: 100 }, // 14.05 × 1000 ÷ 140.5
    { name: 'negative GBP', price: -80.4, currency: 'GBP', unit: 'MWh' as const, want: -100 }, // −80.4 ÷ 0.804
    { name: 'base currency', price: 42, currency: 'USD', unit: 'MWh' as const, want: 42 },
  ])('$name: $price $currency/$unit → $want USD/MWh', ({ price, currency, unit, want }) => {
    expect(toBasePerMwh(price, currency, unit, fx)).toBeCloseTo(want, 9);
  });

  it('reads both table shapes and rejects bad ones', () => {
    expect(parseExchangeRates({ base: 'EUR', perBase: { USD: 1.08 } })).toEqual({
      base: 'EUR',
      perBase: { USD: 1.08, EUR: 1 },
    });
    expect(() => parseExchangeRates({ base: 'USD', perUsd: { EUR: -1 } })).toThrow(
      /invalid exchange-rate table/,
    );
    expect(() => parseExchangeRates({ base: 'USD', perBase: { USD: 2 } })).toThrow(/must have rate 1/);
    expect(isKnownCurrency('CHF', fx)).toBe(false);
    expect(() => ratePerBase('CHF', fx)).toThrow(/unknown currency CHF/);
  });
});

describe('normalizePricePoints', () => {
  it('converts to UTC, base currency and per MWh, keeping the original', () => {
    const points = normalizePricePoints(
      message({
        currency: 'EUR',
        unit: 'kWh',
        points: [
          {
            intervalStart: '2023-03-02T01:00:00+01:00',
            intervalMinutes: 60,
            price: 0.0925,
            carbonGPerKwh: 300,
          },
        ],
      }),
      { fx },
    );
    expect(points).toEqual([
      {
        zone: 'DE-LU',
        market: 'day_ahead',
        partnerId: 'acme',
        intervalStartUtc: '2023-03-02T00:00:00.000Z', // 01:00+01:00
        intervalMinutes: 60,
        pricePerMwhBase: 100, // 0.0925 × 1000 ÷ 0.925
        baseCurrency: 'USD',
        currencyOriginal: 'EUR',
        unitOriginal: 'kWh',
        priceOriginal: 0.0925,
        carbonGPerKwh: 300,
        issuedAt: '2023-03-01T11:00:00.000Z', // 12:00+01:00
      },
    ]);
  });
});

/**
 * A message as every reader sees it once stored: its points normalised (normalizePricePoints), then resolved onto
 * the slot grid by the one rule (priceSlots), slots nothing covers left out.
 */
function slotsOf(msg: PriceMessageV1, slotMinutes = 60) {
  const points = normalizePricePoints(msg, { fx });
  const intervals = points.map((p) => ({
    startMs: Date.parse(p.intervalStartUtc),
    minutes: p.intervalMinutes,
    pricePerMwh: p.pricePerMwhBase,
    carbonGPerKwh: p.carbonGPerKwh,
    issuedMs: Date.parse(p.issuedAt),
  }));
  const fromMs = Math.min(...intervals.map((i) => i.startMs));
  const toMs = Math.max(...intervals.map((i) => i.startMs + i.minutes * 60_000));
  return priceSlots(intervals, slotGridCovering(fromMs, toMs, slotMinutes)).flatMap((slot) =>
    slot === null
      ? []
      : [
          {
            intervalStartUtc: new Date(slot.startMs).toISOString(),
            pricePerMwhBase: slot.pricePerMwh,
            carbonGPerKwh: slot.carbonGPerKwh,
            coverageMinutes: slot.coverageMinutes,
            issuedAt: new Date(slot.newestIssuedMs).toISOString(),
          },
        ],
  );
}

describe('a message on the slot grid (normalizePricePoints, then priceSlots)', () => {
  it('four 15-min prices 40, 60, 80, 100 → one 60-min slot at 70', () => {
    const slots = slotsOf(
      message({ points: quarterHours('2023-03-02T00:00:00Z', [40, 60, 80, 100], [100, 200, 300, 400]) }),
    );
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatchObject({
      intervalStartUtc: '2023-03-02T00:00:00.000Z',
      pricePerMwhBase: 70, // (40+60+80+100)×15 / 60
      carbonGPerKwh: 250, // (100+200+300+400)×15 / 60
      coverageMinutes: 60,
      issuedAt: '2023-03-01T11:00:00.000Z',
    });
  });

  it('weights by time: 30 min at 10 + 2×15 min at 40 and 100 → 40', () => {
    const slots = slotsOf(
      message({
        points: [
          { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 30, price: 10 },
          ...quarterHours('2023-03-02T00:30:00Z', [40, 100]),
        ],
      }),
    );
    expect(slots.map((s) => s.pricePerMwhBase)).toEqual([40]); // (10×30 + 40×15 + 100×15) / 60
  });

  it('twelve 5-min EUR prices → USD slot; converts before averaging', () => {
    const points = Array.from({ length: 12 }, (_, i) => ({
      intervalStart: `2023-03-02T00:${String(i * 5).padStart(2, '0')}:00Z`,
      intervalMinutes: 5 as const,
      price: i < 6 ? 83.25 : 101.75, // ÷ 0.925 → 90 and 110
    }));
    const [slot] = slotsOf(message({ currency: 'EUR', points }));
    expect(slot?.pricePerMwhBase).toBe(100); // (6×90 + 6×110) / 12
  });

  it('keeps a partly covered slot with its coverage and the mean of the covered minutes', () => {
    const slots = slotsOf(message({ points: quarterHours('2023-03-02T00:30:00Z', [50, 70]) }));
    expect(slots).toEqual([
      expect.objectContaining({
        intervalStartUtc: '2023-03-02T00:00:00.000Z',
        pricePerMwhBase: 60,
        coverageMinutes: 30,
      }),
    ]);
  });

  it('carbon: mean over the minutes that have it, null when none do', () => {
    const slots = slotsOf(
      message({
        points: quarterHours('2023-03-02T00:00:00Z', [1, 1, 1, 1, 2, 2, 2, 2], [100, null, 300, null]),
      }),
    );
    expect(slots.map((s) => s.carbonGPerKwh)).toEqual([200, null]); // (100+300)/2; second hour has none
  });

  it('splits hourly points into 15-min slots and 30-min IST-shifted points into hours', () => {
    const hourly = slotsOf(
      message({ points: [{ intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 8 }] }),
      15,
    );
    expect(
      hourly.map((s) => [s.intervalStartUtc.slice(11, 16), s.pricePerMwhBase, s.coverageMinutes]),
    ).toEqual([
      ['00:00', 8, 15],
      ['00:15', 8, 15],
      ['00:30', 8, 15],
      ['00:45', 8, 15],
    ]);
    // An IST hour 00:00–01:00+05:30 = 18:30–19:30Z, sent as two 30-min points at 5000 INR (÷ 82.6 = 60.532688).
    const ist = slotsOf(
      message({
        currency: 'INR',
        points: [
          { intervalStart: '2023-03-02T00:00:00+05:30', intervalMinutes: 30, price: 5000 },
          { intervalStart: '2023-03-02T00:30:00+05:30', intervalMinutes: 30, price: 5000 },
        ],
      }),
    );
    expect(ist.map((s) => [s.intervalStartUtc, s.pricePerMwhBase, s.coverageMinutes])).toEqual([
      ['2023-03-01T18:00:00.000Z', 60.532688, 30],
      ['2023-03-01T19:00:00.000Z', 60.532688, 30],
    ]);
  });
});

describe('normalizeLoadMessage', () => {
  it('converts observedAt to UTC and derives idle GPUs', () => {
    const report = normalizeLoadMessage({
      clusterId: 'fra-1',
      region: 'eu-central',
      zone: 'DE-LU',
      observedAt: '2023-03-01T12:05:00+01:00',
      gpuModel: 'H100',
      gpuTotal: 4096,
      gpuBusy: 2900,
      gpuSchedulable: 1100,
      powerKw: 5200,
      powerCapKw: 7000,
      pue: 1.18,
    });
    expect(report).toMatchObject({ observedAtUtc: '2023-03-01T11:05:00.000Z', gpuIdle: 1196 }); // 4096 − 2900
  });
});

describe('time helpers', () => {
  it('recognise naive timestamps and the UTC grid', () => {
    expect(isNaiveTimestamp('2023-03-01T11:00:00')).toBe(true);
    expect(isNaiveTimestamp('2023-03-01 11:00')).toBe(true);
    expect(isNaiveTimestamp('2023-03-01T11:00:00Z')).toBe(false);
    expect(toUtcIso('2023-03-26T03:00:00+02:00')).toBe('2023-03-26T01:00:00.000Z');
    expect(isAlignedMs(Date.parse('2023-03-01T18:30:00Z'), 60)).toBe(false);
    expect(isAlignedMs(Date.parse('2023-03-01T18:30:00Z'), 30)).toBe(true);
  });
});

describe('normalizePriceIntervalDays (how prices are stored: intervals as sent, a block per UTC day)', () => {
  /** The reference: normalizePricePoints' rows, grouped by UTC day by hand. */
  const check = (msg: PriceMessageV1) => {
    const days = normalizePriceIntervalDays(msg, { fx });
    const points = normalizePricePoints(msg, { fx });
    const minutes = msg.points[0]!.intervalMinutes;
    const dayOf = (ms: number) => Math.floor(ms / 86_400_000) * 86_400_000;
    const want = [...new Set(points.map((p) => dayOf(Date.parse(p.intervalStartUtc))))].sort((x, y) => x - y);
    expect(days.map((d) => d.blockStartMs)).toEqual(want);
    for (const day of days) {
      expect(day.slotMinutes).toBe(minutes);
      expect(day.pricePerMwh).toHaveLength(1440 / minutes);
      expect(day.issuedMs).toBe(Date.parse(msg.issuedAt));
      expect(day.currencyOriginal).toBe(msg.currency);
      expect(day.coverageMinutes).toBeNull(); // an interval always covers itself
      const mine = points.filter((p) => dayOf(Date.parse(p.intervalStartUtc)) === day.blockStartMs);
      expect(day.points).toBe(mine.length);
      const value = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : x);
      day.pricePerMwh.forEach((price, k) => {
        const point = mine.find(
          (p) => Date.parse(p.intervalStartUtc) === day.blockStartMs + k * minutes * 60_000,
        );
        expect(value(price)).toBe(point?.pricePerMwhBase ?? null);
        expect(value(day.priceOriginal[k])).toBe(point?.priceOriginal ?? null);
        expect(value(day.carbonGPerKwh?.[k])).toBe(point?.carbonGPerKwh ?? null);
      });
    }
    return days;
  };

  it('builds an hourly curve that crosses midnight UTC into two days', () => {
    const points = Array.from({ length: 24 }, (_, h) => ({
      intervalStart: new Date(Date.parse('2023-03-01T23:00:00Z') + h * 3_600_000).toISOString(),
      intervalMinutes: 60 as const,
      price: 80 + h - (h === 5 ? 200 : 0),
      carbonGPerKwh: h % 3 === 0 ? null : 300 + h,
    }));
    const days = check(message({ currency: 'EUR', issuedAt: '2023-03-01T12:00:00+01:00', points }));
    expect(days.map((d) => d.points)).toEqual([1, 23]);
  });

  it('keeps quarter-hours as quarter-hours and drops the carbon array when no point has carbon', () => {
    const msg = message({ unit: 'kWh', points: quarterHours('2023-03-02T10:00:00Z', [0.05, 0.06]) });
    const [day] = check(msg);
    expect(day!.carbonGPerKwh).toBeNull();
    expect([day!.pricePerMwh[40], day!.pricePerMwh[41]]).toEqual([50, 60]); // 10:00 is the 41st quarter; kWh ×1000
  });

  it('refuses an interval not aligned to its own length (a message validation lets through none)', () => {
    const msg = message({
      points: [{ intervalStart: '2023-03-02T00:15:00Z', intervalMinutes: 60, price: 1 }],
    });
    expect(() => normalizePriceIntervalDays(msg, { fx })).toThrow(/not aligned/);
  });
});
