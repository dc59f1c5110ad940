import { describe, expect, it } from 'vitest';
import {
  fillMissingZonePrices,
  forecastCapacity,
  resolveZonePrices,
  slotGrid,
  type PriceCandidate,
} from './inputs.js';

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
