import { describe, expect, it } from 'vitest';
import { isKnownCurrency, parseExchangeRates, ratePerBase, toBasePerMwh } from './fx.js';
import {
  aggregateToSlots,
  normalizeLoadMessage,
  normalizePriceMessage,
  normalizePriceDays,
  normalizePricePoints,
  type NormalizedPricePoint,
  type NormalizedPriceSlot,
} from './normalize.js';
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

describe('normalizePriceMessage (slot grid)', () => {
  it('four 15-min prices 40, 60, 80, 100 → one 60-min slot at 70', () => {
    const slots = normalizePriceMessage(
      message({ points: quarterHours('2023-03-02T00:00:00Z', [40, 60, 80, 100], [100, 200, 300, 400]) }),
      { fx },
    );
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatchObject({
      intervalStartUtc: '2023-03-02T00:00:00.000Z',
      slotMinutes: 60,
      pricePerMwhBase: 70, // (40+60+80+100)×15 / 60
      priceOriginal: 70,
      carbonGPerKwh: 250, // (100+200+300+400)×15 / 60
      coverageMinutes: 60,
      issuedAt: '2023-03-01T11:00:00.000Z',
    });
  });

  it('weights by time: 30 min at 10 + 2×15 min at 40 and 100 → 40', () => {
    const slots = normalizePriceMessage(
      message({
        points: [
          { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 30, price: 10 },
          ...quarterHours('2023-03-02T00:30:00Z', [40, 100]),
        ],
      }),
      { fx },
    );
    expect(slots.map((s) => s.pricePerMwhBase)).toEqual([40]); // (10×30 + 40×15 + 100×15) / 60
  });

  it('twelve 5-min EUR prices → USD slot; converts before averaging', () => {
    const points = Array.from({ length: 12 }, (_, i) => ({
      intervalStart: `2023-03-02T00:${String(i * 5).padStart(2, '0')}:00Z`,
      intervalMinutes: 5 as const,
      price: i < 6 ? 83.25 : 101.75, // ÷ 0.925 → 90 and 110
    }));
    const [slot] = normalizePriceMessage(message({ currency: 'EUR', points }), { fx });
    expect(slot?.pricePerMwhBase).toBe(100); // (6×90 + 6×110) / 12
    expect(slot?.priceOriginal).toBe(92.5); // (6×83.25 + 6×101.75) / 12
  });

  it('keeps a partly covered slot with its coverage and the mean of the covered minutes', () => {
    const slots = normalizePriceMessage(message({ points: quarterHours('2023-03-02T00:30:00Z', [50, 70]) }), {
      fx,
    });
    expect(slots).toEqual([
      expect.objectContaining({
        intervalStartUtc: '2023-03-02T00:00:00.000Z',
        pricePerMwhBase: 60,
        coverageMinutes: 30,
      }),
    ]);
  });

  it('carbon: mean over the minutes that have it, null when none do', () => {
    const slots = normalizePriceMessage(
      message({
        points: quarterHours('2023-03-02T00:00:00Z', [1, 1, 1, 1, 2, 2, 2, 2], [100, null, 300, null]),
      }),
      { fx },
    );
    expect(slots.map((s) => s.carbonGPerKwh)).toEqual([200, null]); // (100+300)/2; second hour has none
  });

  it('splits hourly points into 15-min slots and 30-min IST-shifted points into hours', () => {
    const hourly = normalizePriceMessage(
      message({ points: [{ intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 8 }] }),
      { fx, slotMinutes: 15 },
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
    const ist = normalizePriceMessage(
      message({
        currency: 'INR',
        points: [
          { intervalStart: '2023-03-02T00:00:00+05:30', intervalMinutes: 30, price: 5000 },
          { intervalStart: '2023-03-02T00:30:00+05:30', intervalMinutes: 30, price: 5000 },
        ],
      }),
      { fx },
    );
    expect(ist.map((s) => [s.intervalStartUtc, s.pricePerMwhBase, s.coverageMinutes])).toEqual([
      ['2023-03-01T18:00:00.000Z', 60.532688, 30],
      ['2023-03-01T19:00:00.000Z', 60.532688, 30],
    ]);
  });

  it('rejects a slot length that is not a multiple of 5 dividing a day', () => {
    expect(() =>
      normalizePriceMessage(message({ points: quarterHours('2023-03-02T00:00:00Z', [1]) }), {
        fx,
        slotMinutes: 7,
      }),
    ).toThrow(/slotMinutes/);
  });
});

describe('aggregateToSlots across issues', () => {
  const base = (patch: Partial<NormalizedPricePoint>): NormalizedPricePoint => ({
    zone: 'NL',
    market: 'intraday',
    partnerId: 'p',
    intervalStartUtc: '2023-03-02T00:00:00.000Z',
    intervalMinutes: 60,
    pricePerMwhBase: 100,
    baseCurrency: 'USD',
    currencyOriginal: 'USD',
    unitOriginal: 'MWh',
    priceOriginal: 100,
    carbonGPerKwh: null,
    issuedAt: '2023-03-01T10:00:00.000Z',
    ...patch,
  });

  it('a newer 15-min update supersedes only its quarter of an older hourly price', () => {
    const slots = aggregateToSlots([
      base({}),
      base({
        intervalStartUtc: '2023-03-02T00:15:00.000Z',
        intervalMinutes: 15,
        pricePerMwhBase: 20,
        priceOriginal: 20,
        issuedAt: '2023-03-01T11:00:00.000Z',
      }),
    ]);
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatchObject({
      pricePerMwhBase: 80,
      coverageMinutes: 60,
      issuedAt: '2023-03-01T11:00:00.000Z',
    }); // (100×45 + 20×15) / 60
  });

  it('an older issue arriving later does not overwrite the newer one', () => {
    const newer = base({ pricePerMwhBase: 55, priceOriginal: 55, issuedAt: '2023-03-01T12:00:00.000Z' });
    const older = base({ pricePerMwhBase: 99, priceOriginal: 99, issuedAt: '2023-03-01T09:00:00.000Z' });
    expect(aggregateToSlots([newer, older])[0]?.pricePerMwhBase).toBe(55);
    expect(aggregateToSlots([older, newer])[0]?.pricePerMwhBase).toBe(55);
  });

  it('keeps series apart and marks mixed original currencies', () => {
    const slots = aggregateToSlots([
      base({ intervalMinutes: 30 }),
      base({
        intervalStartUtc: '2023-03-02T00:30:00.000Z',
        intervalMinutes: 30,
        currencyOriginal: 'EUR',
        pricePerMwhBase: 50,
      }),
      base({ partnerId: 'q', pricePerMwhBase: 1 }),
    ]);
    expect(slots.map((s) => [s.partnerId, s.pricePerMwhBase, s.currencyOriginal, s.priceOriginal])).toEqual([
      ['p', 75, 'MIXED', null], // (100×30 + 50×30) / 60
      ['q', 1, 'USD', 100],
    ]);
  });

  it('is empty for no input and never returns -0', () => {
    expect(aggregateToSlots([])).toEqual([]);
    const [slot] = aggregateToSlots([base({ pricePerMwhBase: -0.0000001 })]);
    expect(Object.is(slot?.pricePerMwhBase, 0)).toBe(true);
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

describe('normalizePriceMessage fast path', () => {
  it('equals the general slot aggregation for on-grid hourly curves (seeded random curves)', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 50; trial++) {
      const hours = 1 + Math.floor(random() * 48);
      const start = Date.parse('2023-03-01T00:00:00Z') + Math.floor(random() * 500) * 3_600_000;
      const msg: PriceMessageV1 = {
        partnerId: 'p',
        zone: 'DE-LU',
        market: 'day_ahead',
        currency: random() < 0.5 ? 'EUR' : 'USD',
        unit: random() < 0.2 ? 'kWh' : 'MWh',
        issuedAt: '2023-02-28T11:00:00+01:00',
        points: Array.from({ length: hours }, (_, h) => ({
          intervalStart: new Date(start + h * 3_600_000).toISOString(),
          intervalMinutes: 60,
          price: Math.round((random() * 400 - 100) * 1000) / 1000,
          ...(random() < 0.7 ? { carbonGPerKwh: Math.round(random() * 600) } : {}),
        })),
      };
      const opts = { fx: { base: 'USD', perBase: { USD: 1, EUR: 0.925 } } };
      expect(normalizePriceMessage(msg, opts)).toEqual(aggregateToSlots(normalizePricePoints(msg, opts), {}));
    }
  });
});

describe('normalizePriceDays (how prices are stored: one block per UTC day of an issue)', () => {
  /** The reference: normalizePriceMessage's slots, grouped by UTC day by hand. */
  const reference = (msg: PriceMessageV1, slotMinutes: number) => {
    const days = new Map<number, Map<number, NormalizedPriceSlot>>();
    for (const slot of normalizePriceMessage(msg, { fx, slotMinutes })) {
      const ms = Date.parse(slot.intervalStartUtc);
      const day = Math.floor(ms / 86_400_000) * 86_400_000;
      if (!days.has(day)) days.set(day, new Map());
      days.get(day)!.set((ms - day) / (slotMinutes * 60_000), slot);
    }
    return days;
  };

  const check = (msg: PriceMessageV1, slotMinutes: number) => {
    const days = normalizePriceDays(msg, { fx, slotMinutes });
    const want = reference(msg, slotMinutes);
    expect(days.map((d) => d.blockStartMs)).toEqual([...want.keys()].sort((a, b) => a - b));
    for (const day of days) {
      const slots = want.get(day.blockStartMs)!;
      expect(day.pricePerMwh).toHaveLength(1440 / slotMinutes);
      expect(day.points).toBe(slots.size);
      expect(day.issuedMs).toBe(Date.parse(msg.issuedAt));
      expect(day.currencyOriginal).toBe(msg.currency);
      const value = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? null : x);
      day.pricePerMwh.forEach((price, k) => {
        const slot = slots.get(k);
        expect(value(price)).toBe(slot?.pricePerMwhBase ?? null);
        expect(value(day.priceOriginal[k])).toBe(slot?.priceOriginal ?? null);
        expect(value(day.carbonGPerKwh?.[k])).toBe(slot?.carbonGPerKwh ?? null);
        const coverage = day.coverageMinutes ? day.coverageMinutes[k] || null : slot ? slotMinutes : null;
        expect(coverage).toBe(slot?.coverageMinutes ?? null);
      });
    }
    return days;
  };

  it('builds an hourly curve that crosses midnight UTC into two days, as the slot rows are', () => {
    const points = Array.from({ length: 24 }, (_, h) => ({
      intervalStart: new Date(Date.parse('2023-03-01T23:00:00Z') + h * 3_600_000).toISOString(),
      intervalMinutes: 60 as const,
      price: 80 + h - (h === 5 ? 200 : 0),
      carbonGPerKwh: h % 3 === 0 ? null : 300 + h,
    }));
    const days = check(message({ currency: 'EUR', issuedAt: '2023-03-01T12:00:00+01:00', points }), 60);
    expect(days.map((d) => d.points)).toEqual([1, 23]);
    expect(days[0]!.coverageMinutes).toBeNull(); // every priced slot is fully covered
  });

  it('aggregates finer intervals like normalizePriceMessage and keeps partial coverage', () => {
    const msg = message({
      points: quarterHours('2023-03-02T00:15:00Z', [10, 20, 30, 40, 50, 60], [1, null, 3]),
    });
    const days = check(msg, 60);
    expect([...days[0]!.coverageMinutes!.slice(0, 2)]).toEqual([45, 45]);
  });

  it('drops the carbon array when no point has carbon, and handles 15-minute slots', () => {
    const msg = message({ unit: 'kWh', points: quarterHours('2023-03-02T10:00:00Z', [0.05, 0.06]) });
    expect(check(msg, 15)[0]!.carbonGPerKwh).toBeNull();
    expect(check(msg, 60)[0]!.coverageMinutes?.[10]).toBe(30);
  });
});
