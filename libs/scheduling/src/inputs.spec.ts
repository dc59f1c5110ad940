import { describe, expect, it } from 'vitest';
import { forecastHourly, type HourlySeries } from '#gridshift/forecast';
import { forecastCapacity } from './capacity-forecast.js';
import { slotGrid } from './inputs.js';
import {
  fillMissingZonePrices,
  firstUnpublishedSlot,
  hourlyPriceHistory,
  resolveZonePrices,
  type PriceCandidate,
} from './price-resolution.js';

const H = 3_600_000;
const T0 = Date.parse('2024-05-01T10:00:00Z');
const slots = [T0, T0 + H, T0 + 2 * H, T0 + 3 * H];
const now = T0 + 5 * 60_000;

const c = (
  hour: number,
  market: string,
  price: number,
  issuedAgoHours = 1,
  minutes = 60,
): PriceCandidate => ({
  intervalStartMs: T0 + hour * H,
  minutes,
  market,
  pricePerMwh: price,
  carbonGPerKwh: null,
  issuedAtMs: now - issuedAgoHours * H,
});

describe('slotGrid', () => {
  it('starts at the slot containing now', () => {
    const grid = slotGrid(Date.parse('2024-05-01T10:47:00Z'), { horizonHours: 2, slotMinutes: 30 });
    expect(grid.slotStartsUtc).toEqual([
      '2024-05-01T10:30:00.000Z',
      '2024-05-01T11:00:00.000Z',
      '2024-05-01T11:30:00.000Z',
      '2024-05-01T12:00:00.000Z',
    ]);
  });
});

describe('resolveZonePrices', () => {
  it.each([
    {
      name: 'day-ahead wins over intraday and forecast',
      candidates: [
        c(0, 'forecast', 10),
        c(0, 'intraday', 20),
        c(0, 'day_ahead', 30),
        c(1, 'day_ahead', 31),
        c(2, 'day_ahead', 32),
        c(3, 'day_ahead', 33),
      ],
      want: [30, 31, 32, 33],
      sources: ['day_ahead', 'day_ahead', 'day_ahead', 'day_ahead'],
      codes: [],
    },
    {
      name: 'intraday, then forecast, then carried forward, each flagged',
      candidates: [c(0, 'day_ahead', 30), c(1, 'intraday', 41), c(2, 'forecast', 52)],
      want: [30, 41, 52, 52],
      sources: ['day_ahead', 'intraday', 'forecast', 'carried-forward'],
      codes: ['price-intraday', 'price-forecast', 'price-carried-forward'],
    },
    {
      // Two 30-minute day-ahead prices in one hourly slot: (20 × 30 + 40 × 30) / 60 = 30.
      name: 'finer intervals are averaged by overlap',
      candidates: [
        c(0, 'day_ahead', 20, 1, 30),
        { ...c(0, 'day_ahead', 40, 1, 30), intervalStartMs: T0 + H / 2 },
      ],
      want: [30, 30, 30, 30],
      sources: ['day_ahead', 'carried-forward', 'carried-forward', 'carried-forward'],
      codes: ['price-carried-forward'],
    },
  ])('$name', ({ candidates, want, sources, codes }) => {
    const { series, assumptions, missingSlots } = resolveZonePrices(
      'DE-LU',
      slots,
      60,
      candidates,
      null,
      now,
      48,
    );
    expect(series.pricePerMwh).toEqual(want);
    expect(series.source).toEqual(sources);
    expect(assumptions.map((a) => a.code)).toEqual(codes);
    expect(missingSlots).toEqual([]);
  });

  it('carries the last price before the horizon forward and flags it stale when old', () => {
    const last = { ...c(-30, 'day_ahead', 77, 60) };
    const { series, assumptions } = resolveZonePrices('FR', slots, 60, [], last, now, 48);
    expect(series.pricePerMwh).toEqual([77, 77, 77, 77]);
    expect(assumptions.map((a) => a.code).sort()).toEqual(['price-carried-forward', 'price-stale']);
    const stale = assumptions.find((a) => a.code === 'price-stale')!;
    expect(stale.details).toMatchObject({ ageHours: 60 });
    expect(stale.slotStartsUtc).toHaveLength(4);
  });

  it('reports slots without any price as missing', () => {
    const { missingSlots, series } = resolveZonePrices(
      'ES',
      slots,
      60,
      [c(2, 'day_ahead', 10)],
      null,
      now,
      48,
    );
    expect(missingSlots).toEqual([0, 1]);
    expect(series.pricePerMwh.slice(2)).toEqual([10, 10]);
  });
});

describe('resolveZonePrices with gridshift forecast', () => {
  // Horizon T0 .. T0+6h (6 hourly slots); day-ahead published for the first 2 slots.
  const six = Array.from({ length: 6 }, (_, i) => T0 + i * H);
  const dayAhead = [c(0, 'day_ahead', 30), c(1, 'day_ahead', 31)];
  // 8 days of hourly history ending right before slot 2 (T0 + 2h): a daily shape around 50.
  const historyOf = (hours: number, endMs = T0 + 2 * H): HourlySeries => ({
    startMs: endMs - hours * H,
    values: Array.from({ length: hours }, (_, i) => 50 + 20 * Math.sin((i / 24) * 2 * Math.PI) + (i % 3)),
  });
  const resolve = (history: HourlySeries, candidates = dayAhead, slotStarts = six, slotMinutes = 60) =>
    resolveZonePrices('DE-LU', slotStarts, slotMinutes, candidates, null, now, 48, {
      history,
      lookbackHours: 1344,
    });

  it('forecasts only the slots after the last published one and leaves published slots alone', () => {
    const history = historyOf(192);
    const { series, assumptions, missingSlots } = resolve(history);
    const want = forecastHourly(history, 4, { lookbackHours: 1344 });
    expect(want.startMs).toBe(T0 + 2 * H);
    expect(series.pricePerMwh.slice(0, 2)).toEqual([30, 31]);
    expect(series.pricePerMwh.slice(2)).toEqual([...want.point]);
    expect(series.source).toEqual([
      'day_ahead',
      'day_ahead',
      'gridshift-forecast',
      'gridshift-forecast',
      'gridshift-forecast',
      'gridshift-forecast',
    ]);
    expect(series.issuedAtUtc.slice(2)).toEqual([null, null, null, null]);
    expect(missingSlots).toEqual([]);
    expect(assumptions).toHaveLength(1);
    const a = assumptions[0]!;
    expect(a).toMatchObject({ code: 'price-forecast', zone: 'DE-LU' });
    expect(a.slotStartsUtc).toEqual(six.slice(2).map((ms) => new Date(ms).toISOString()));
    // 192 h = 8 days; the last published slot starts at T0 + 1 h = 11:00.
    expect(a.message).toBe(
      "DE-LU: no published price for 4 slot(s) after 2024-05-01T11:00Z; gridshift's profile forecast from 8 days of history was used",
    );
    expect(a.details).toMatchObject({ source: 'gridshift', method: 'profile', historyHours: 192 });
  });

  it('records p10 ≤ p50 ≤ p90 per forecast slot, in slot order', () => {
    const { assumptions } = resolve(historyOf(192));
    const bands = (assumptions[0]!.details as { bands: Record<'p10' | 'p50' | 'p90', number[]> }).bands;
    expect(bands.p10).toHaveLength(4);
    expect(bands.p50).toHaveLength(4);
    expect(bands.p90).toHaveLength(4);
    for (let i = 0; i < 4; i += 1) {
      expect(bands.p10[i]!).toBeLessThanOrEqual(bands.p50[i]!);
      expect(bands.p50[i]!).toBeLessThanOrEqual(bands.p90[i]!);
    }
    const want = forecastHourly(historyOf(192), 4, { lookbackHours: 1344 });
    expect(bands.p50).toEqual([...want.p50].map((x) => Math.round(x * 100) / 100));
  });

  it('carries the last price forward when the history is shorter than a day', () => {
    const { series, assumptions } = resolve(historyOf(23));
    expect(series.pricePerMwh).toEqual([30, 31, 31, 31, 31, 31]);
    expect(series.source.slice(2)).toEqual(Array(4).fill('carried-forward'));
    expect(assumptions.map((a) => a.code)).toEqual(['price-carried-forward']);
  });

  it('flags forecast slots stale when the published price they follow is older than the limit', () => {
    // Day-ahead for slots 0–1 issued 50 h ago (limit 48 h): all 6 slots are flagged, 4 of them forecast.
    const old = [c(0, 'day_ahead', 30, 50), c(1, 'day_ahead', 31, 50)];
    const { series, assumptions } = resolve(historyOf(192), old);
    expect(series.source.slice(2)).toEqual(Array(4).fill('gridshift-forecast'));
    expect(assumptions.find((a) => a.code === 'price-stale')!.slotStartsUtc).toHaveLength(6);
    expect(resolve(historyOf(192)).assumptions.map((a) => a.code)).toEqual(['price-forecast']);
  });

  it('never reads history at or after the first forecast hour', () => {
    const clean = resolve(historyOf(192));
    // The same history plus 5 poisoned hours from the cutoff on (as if issued later): same result.
    const poisoned = historyOf(192);
    const values = [...(poisoned.values as number[]), 1e9, -1e9, 1e9, 1e9, 1e9];
    const withFuture = resolve({ startMs: poisoned.startMs, values });
    expect(withFuture.series.pricePerMwh).toEqual(clean.series.pricePerMwh);
    expect(withFuture.assumptions).toEqual(clean.assumptions);
  });

  it('keeps carrying forward into gaps before the last published slot', () => {
    const { series } = resolve(historyOf(192, T0 + 4 * H), [c(0, 'day_ahead', 30), c(3, 'day_ahead', 33)]);
    expect(series.source).toEqual([
      'day_ahead',
      'carried-forward',
      'carried-forward',
      'day_ahead',
      'gridshift-forecast',
      'gridshift-forecast',
    ]);
  });

  it('spreads the hourly forecast over 15-minute slots', () => {
    const quarter = Array.from({ length: 12 }, (_, i) => T0 + i * 15 * 60_000);
    // Published: the first 4 quarter-hours (10:00–11:00); forecast from 11:00.
    const history = historyOf(192, T0 + H);
    const { series } = resolve(
      history,
      [0, 1, 2, 3].map((q) => ({
        ...c(0, 'day_ahead', 30 + q, 1, 15),
        intervalStartMs: T0 + q * 15 * 60_000,
      })),
      quarter,
      15,
    );
    const want = forecastHourly(history, 2, { lookbackHours: 1344 });
    expect(series.pricePerMwh).toEqual([
      30,
      31,
      32,
      33,
      ...Array<number>(4).fill(want.point[0]!),
      ...Array<number>(4).fill(want.point[1]!),
    ]);
  });

  it('tells a partner forecast apart from gridshift’s', () => {
    const { assumptions } = resolve(historyOf(192, T0 + 3 * H), [...dayAhead, c(2, 'forecast', 40)]);
    const forecasts = assumptions.filter((a) => a.code === 'price-forecast');
    expect(forecasts.map((a) => (a.details as { source: string }).source).sort()).toEqual([
      'gridshift',
      'partner',
    ]);
  });
});

describe('firstUnpublishedSlot and hourlyPriceHistory', () => {
  it('finds the slot after the last published one', () => {
    expect(firstUnpublishedSlot(slots, 60, [c(0, 'day_ahead', 1), c(2, 'forecast', 1)])).toBe(3);
    expect(firstUnpublishedSlot(slots, 60, [])).toBe(0);
    expect(firstUnpublishedSlot(slots, 60, [c(3, 'real_time', 1)])).toBe(4);
  });

  it('prefers markets like the planner, ignores hours at or after the cutoff and trims empty ends', () => {
    const at = (hour: number) => new Date(T0 + hour * H);
    const history = hourlyPriceHistory(
      [
        { market: 'real_time', hourStart: at(-4), pricePerMwh: 9 },
        { market: 'day_ahead', hourStart: at(-4), pricePerMwh: 10 },
        { market: 'forecast', hourStart: at(-2), pricePerMwh: 12 },
        { market: 'intraday', hourStart: at(-2), pricePerMwh: 11 },
        { market: 'day_ahead', hourStart: at(0), pricePerMwh: 999 }, // at the cutoff: not history
      ],
      T0,
      6,
    );
    // Hours -6 and -5 have nothing (trimmed), -4 = 10, -3 = gap, -2 = 11 (intraday before forecast), -1 none.
    expect(history.startMs).toBe(T0 - 4 * H);
    expect(Array.from(history.values)).toEqual([10, Number.NaN, 11]);
    expect(hourlyPriceHistory([], T0, 6).values).toHaveLength(0);
  });
});

describe('fillMissingZonePrices', () => {
  it('uses the median of the zones that have a price, else the configured default', () => {
    const mk = (zone: string, prices: number[], sources: string[]) => ({
      zone,
      pricePerMwh: prices,
      carbonGPerKwh: prices.map(() => null),
      source: sources as never[],
      issuedAtUtc: prices.map(() => null),
    });
    const series = [
      mk('A', [10, Number.NaN], ['day_ahead', 'assumed']),
      mk('B', [30, Number.NaN], ['day_ahead', 'assumed']),
      mk('C', [20, Number.NaN], ['day_ahead', 'assumed']),
      mk('X', [Number.NaN, Number.NaN], ['assumed', 'assumed']),
    ];
    const missing = new Map([
      ['X', [0, 1]],
      ['A', [1]],
      ['B', [1]],
      ['C', [1]],
    ]);
    const assumptions = fillMissingZonePrices(series, missing, ['s0', 's1'], 150);
    // Slot 0: median(10, 30, 20) = 20; slot 1: nobody knows → 150.
    expect(series[3]!.pricePerMwh).toEqual([20, 150]);
    expect(series[0]!.pricePerMwh).toEqual([10, 150]);
    const x = assumptions.filter((a) => a.zone === 'X').map((a) => a.details?.basis);
    expect(x).toEqual(['fleet-median', 'configured-default']);
  });
});

describe('forecastCapacity', () => {
  const state = {
    observedAtUtc: new Date(now - 10 * 60_000).toISOString(),
    gpuTotal: 100,
    gpuBusy: 20,
    gpuSchedulable: 60,
    powerCapKw: null,
    pue: 1.2,
  };
  it('uses the latest report first, then the hour-of-day median, capped by installed GPUs', () => {
    // Hours 11 and 12 UTC have medians 40 and 500 (capped to 100); hour 13 has none → latest 60.
    const medians = new Map([
      [11, 40],
      [12, 500],
    ]);
    const { schedulableGpus, assumptions } = forecastCapacity(
      { id: 'fra', gpuTotal: 100, state },
      medians,
      slots,
      now,
      30,
    );
    expect(schedulableGpus).toEqual([60, 40, 100, 60]);
    expect(assumptions.map((a) => a.code)).toEqual(['capacity-forecast']);
  });
  it('assumes 0 GPUs without a report and flags stale reports', () => {
    expect(forecastCapacity({ id: 'x', gpuTotal: 10, state: null }, new Map(), slots, now, 30)).toMatchObject(
      {
        schedulableGpus: [0, 0, 0, 0],
        assumptions: [{ code: 'capacity-missing' }],
      },
    );
    const old = { ...state, observedAtUtc: new Date(now - 90 * 60_000).toISOString() };
    const { assumptions } = forecastCapacity(
      { id: 'y', gpuTotal: 100, state: old },
      new Map(),
      slots,
      now,
      30,
    );
    expect(assumptions).toMatchObject([{ code: 'capacity-stale', details: { ageMinutes: 90 } }]);
  });
});
