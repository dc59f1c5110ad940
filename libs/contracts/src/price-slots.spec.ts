import { describe, expect, it } from 'vitest';
import { normalizePriceIntervalDays } from './normalize.js';
import { priceSlots, slotGridCovering, type PriceInterval } from './price-slots.js';

const M = 60_000;
const H = 60 * M;
const T0 = Date.parse('2023-03-02T00:00:00Z');
const ISSUED = T0 - 12 * H;

const iv = (startMin: number, minutes: number, price: number, patch: Partial<PriceInterval> = {}) => ({
  startMs: T0 + startMin * M,
  minutes,
  pricePerMwh: price,
  carbonGPerKwh: null,
  issuedMs: ISSUED,
  ...patch,
});

const hourly = (count: number) => ({ startMs: T0, slotMinutes: 60, count });

describe('priceSlots (the one slot rule)', () => {
  it.each([
    {
      name: 'an hourly interval is its slot',
      intervals: [iv(0, 60, 40)],
      want: [{ price: 40, coverage: 60, complete: true }],
    },
    {
      // (40 + 60 + 80 + 100) / 4 = 70
      name: 'four quarter-hours average into the hour',
      intervals: [iv(0, 15, 40), iv(15, 15, 60), iv(30, 15, 80), iv(45, 15, 100)],
      want: [{ price: 70, coverage: 60, complete: true }],
    },
    {
      // 45 min at 40 + 15 min at 100 (newer) = (45 × 40 + 15 × 100) / 60 = 55
      name: 'a later 15-minute correction replaces only its own quarter',
      intervals: [iv(0, 60, 40), iv(30, 15, 100, { issuedMs: ISSUED + H })],
      want: [{ price: 55, coverage: 60, complete: true }],
    },
    {
      name: 'an older correction arriving late changes nothing',
      intervals: [iv(0, 60, 40), iv(30, 15, 100, { issuedMs: ISSUED - H })],
      want: [{ price: 40, coverage: 60, complete: true }],
    },
    {
      name: 'a newer hourly issue replaces every quarter of an older one',
      intervals: [
        iv(0, 15, 1),
        iv(15, 15, 2),
        iv(30, 15, 3),
        iv(45, 15, 4),
        iv(0, 60, 9, { issuedMs: ISSUED + H }),
      ],
      want: [{ price: 9, coverage: 60, complete: true }],
    },
    {
      // Same issuedAt: the finer interval wins its minutes. (45 × 40 + 15 × 20) / 60 = 35
      name: 'same issue, finer interval wins',
      intervals: [iv(0, 60, 40), iv(0, 15, 20)],
      want: [{ price: 35, coverage: 60, complete: true }],
    },
    {
      // (30 × 40 + 15 × 60) / 45 = 46.666…; only 45 of 60 minutes: not complete
      name: 'a partly covered slot keeps its mean and coverage but does not count',
      intervals: [iv(0, 30, 40), iv(30, 15, 60)],
      want: [{ price: (30 * 40 + 15 * 60) / 45, coverage: 45, complete: false }],
    },
    {
      // a legacy hourly slot stored with 45 min covered: weight 45
      name: 'a legacy partly covered interval counts for its covered minutes',
      intervals: [iv(0, 60, 40, { coverageMinutes: 45 })],
      want: [{ price: 40, coverage: 45, complete: false }],
    },
  ])('$name', ({ intervals, want }) => {
    const slots = priceSlots(intervals, hourly(1));
    expect(
      slots.map((s) => s && { price: s.pricePerMwh, coverage: s.coverageMinutes, complete: s.complete }),
    ).toEqual(want.map((w) => ({ ...w, price: expect.closeTo(w.price, 9) as number })));
  });

  it('ties on issuedAt and length go to the lower tieBreak (partner), then input order', () => {
    const a = iv(0, 60, 10, { tieBreak: 'b-partner' });
    const b = iv(0, 60, 20, { tieBreak: 'a-partner' });
    expect(priceSlots([a, b], hourly(1))[0]!.pricePerMwh).toBe(20);
    expect(priceSlots([b, a], hourly(1))[0]!.pricePerMwh).toBe(20);
    expect(priceSlots([iv(0, 60, 1), iv(0, 60, 2)], hourly(1))[0]!.pricePerMwh).toBe(1);
  });

  it('weights carbon over the minutes that have it and reports oldest and newest issue', () => {
    const [slot] = priceSlots(
      [iv(0, 30, 10, { carbonGPerKwh: 300 }), iv(30, 30, 20, { issuedMs: ISSUED + H })],
      hourly(1),
    );
    expect(slot).toMatchObject({
      pricePerMwh: 15,
      carbonGPerKwh: 300,
      oldestIssuedMs: ISSUED,
      newestIssuedMs: ISSUED + H,
    });
  });

  it('spreads a long interval over the slots it covers and leaves uncovered slots null', () => {
    const slots = priceSlots([iv(60, 120, 50)], { startMs: T0, slotMinutes: 30, count: 8 });
    expect(slots.map((s) => s?.pricePerMwh ?? null)).toEqual([null, null, 50, 50, 50, 50, null, null]);
  });

  it('reads only what overlaps the grid and refuses off-grid input', () => {
    expect(priceSlots([iv(-60, 60, 1), iv(60, 60, 2)], hourly(1))).toEqual([null]);
    expect(() => priceSlots([iv(2, 15, 1)], hourly(1))).toThrow(RangeError);
    expect(() => priceSlots([], { startMs: T0 + M, slotMinutes: 60, count: 1 })).toThrow(RangeError);
    expect(slotGridCovering(T0 + 90 * M, T0 + 181 * M, 60)).toEqual({
      startMs: T0 + H,
      slotMinutes: 60,
      count: 3,
    });
  });
});

describe('normalizePriceIntervalDays (prices stored as sent)', () => {
  const fx = { base: 'EUR', perBase: { EUR: 1 } };
  const message = (points: { intervalStart: string; intervalMinutes: 15 | 30 | 60; price: number }[]) => ({
    partnerId: 'p',
    zone: 'DE-LU',
    market: 'intraday' as const,
    currency: 'EUR',
    unit: 'MWh' as const,
    issuedAt: '2023-03-01T11:00:00Z',
    points,
  });

  it('keeps each interval length on its own grid, one block per day and length', () => {
    const days = normalizePriceIntervalDays(
      message([
        { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 40 },
        { intervalStart: '2023-03-02T01:15:00Z', intervalMinutes: 15, price: 100 },
        { intervalStart: '2023-03-02T23:45:00Z', intervalMinutes: 15, price: 7 },
      ]),
      { fx },
    );
    expect(days.map((d) => [d.slotMinutes, d.points, d.coverageMinutes])).toEqual([
      [15, 2, null],
      [60, 1, null],
    ]);
    expect(days[0]!.pricePerMwh[5]).toBe(100); // 01:15 is the 6th quarter of the day
    expect(days[0]!.pricePerMwh[95]).toBe(7);
    expect(days[1]!.pricePerMwh[0]).toBe(40);
  });
});
