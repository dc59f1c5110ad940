import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BAND_ORIGIN_DAYS,
  DEFAULT_FORECAST_METHOD,
  DEFAULT_LOOKBACK_HOURS,
  FORECAST_METHODS,
  forecastHourly,
  hourlySeriesFromPoints,
  leadBucketIndex,
  MS_PER_HOUR,
  PROFILE_LEVEL_DECAY_PER_DAY,
  type HourlySeries,
} from './forecast.js';

const T0 = Date.UTC(2023, 0, 2); // a Monday, 00:00 UTC
const WEEK = 168;

/** Hour-of-week pattern: 50 + hour of day + 10 on weekdays (h = hours since T0). */
const weekly = (h: number) => 50 + (h % 24) + ((h % WEEK) / 24 < 5 ? 10 : 0);

function series(hours: number, f: (h: number) => number): HourlySeries {
  return { startMs: T0, values: Float64Array.from({ length: hours }, (_, h) => f(h)) };
}

/** Deterministic pseudo-random noise in [-1, 1). */
function noise(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

describe('forecastHourly point forecasts', () => {
  it('starts after the last known hour and keeps the requested method', () => {
    const f = forecastHourly(series(10 * WEEK, weekly), 48, { method: 'carry-forward' });
    expect(f.startMs).toBe(T0 + 10 * WEEK * MS_PER_HOUR);
    expect(f.method).toBe('carry-forward');
    expect(f.point).toHaveLength(48);
    expect(DEFAULT_FORECAST_METHOD).toBe('profile');
  });

  it.each(['seasonal-naive', 'profile'] as const)(
    '%s forecasts a pure hour-of-week pattern exactly',
    (method) => {
      const known = series(10 * WEEK + 5, weekly); // ends mid-day: alignment is relative to the end
      const f = forecastHourly(known, 2 * WEEK, { method });
      const want = Array.from({ length: 2 * WEEK }, (_, h) => weekly(10 * WEEK + 5 + h));
      expect(Array.from(f.point)).toEqual(want);
      // Perfect history → zero residuals → a zero-width band on the point.
      expect(Array.from(f.p10)).toEqual(want);
      expect(Array.from(f.p90)).toEqual(want);
    },
  );

  it('carry-forward repeats the last known day', () => {
    const known = series(3 * WEEK, weekly);
    const f = forecastHourly(known, 72, { method: 'carry-forward' });
    const lastDay = Array.from(known.values).slice(-24);
    expect(Array.from(f.point)).toEqual([...lastDay, ...lastDay, ...lastDay]);
  });

  it('profile tracks a level shift in the last day, fading it towards the profile', () => {
    // 8 weeks of pattern, then the last 24 h 30 /MWh higher: gap = 30 (median), profile unchanged (median of 8 weeks).
    const n = 8 * WEEK;
    const known = series(n, (h) => weekly(h) + (h >= n - 24 ? 30 : 0));
    const f = forecastHourly(known, WEEK, { method: 'profile' });
    const decayPerHour = PROFILE_LEVEL_DECAY_PER_DAY ** (1 / 24);
    for (const h of [0, 23, 24, 100, 167])
      expect(f.point[h]).toBeCloseTo(weekly(n + h) + 30 * decayPerHour ** h, 9);
    // Seasonal naive does not see the shift at all for the first week's first 144 h.
    expect(forecastHourly(known, WEEK, { method: 'seasonal-naive' }).point[0]).toBe(weekly(n));
  });

  it('profile ignores a huge spike and negative prices in a single week (medians)', () => {
    const n = 8 * WEEK;
    const spikeAt = 3 * WEEK + 40;
    const known = series(n, (h) => (h === spikeAt ? 4000 : h === spikeAt + 1 ? -500 : weekly(h)));
    const f = forecastHourly(known, WEEK, { method: 'profile' });
    expect(Array.from(f.point)).toEqual(Array.from({ length: WEEK }, (_, h) => weekly(n + h)));
  });

  it('handles an all-negative series', () => {
    const f = forecastHourly(
      series(4 * WEEK, (h) => -weekly(h)),
      WEEK,
    );
    expect(Array.from(f.point)).toEqual(Array.from({ length: WEEK }, (_, h) => -weekly(4 * WEEK + h)));
  });

  it('fills NaN gaps from earlier seasons and never returns NaN', () => {
    const n = 6 * WEEK;
    // The whole last week missing except its final day.
    const known = series(n, (h) => (h >= n - WEEK && h < n - 24 ? Number.NaN : weekly(h)));
    for (const method of FORECAST_METHODS) {
      const f = forecastHourly(known, WEEK, { method });
      for (const xs of [f.point, f.p10, f.p50, f.p90]) expect(xs.every(Number.isFinite)).toBe(true);
    }
    // Seasonal naive takes the week before for the missing hours: still exact here.
    expect(Array.from(forecastHourly(known, WEEK, { method: 'seasonal-naive' }).point)).toEqual(
      Array.from({ length: WEEK }, (_, h) => weekly(n + h)),
    );
  });

  it('degrades to a flat recent median on short history', () => {
    // 30 h known: median of the last 24 values (h = 6..29 → weekly 56..69 and 50..55).
    const known = series(30, weekly);
    const last24 = Array.from(known.values)
      .slice(-24)
      .sort((a, b) => a - b);
    const median = ((last24[11] as number) + (last24[12] as number)) / 2;
    for (const method of ['seasonal-naive', 'profile'] as const) {
      const f = forecastHourly(known, 48, { method });
      expect(f.shortHistory).toBe(true);
      expect(Array.from(new Set(f.point))).toEqual([median]);
    }
    const one = forecastHourly({ startMs: T0, values: [42] }, 5);
    expect(Array.from(one.point)).toEqual([42, 42, 42, 42, 42]);
    expect(Array.from(one.p10)).toEqual([42, 42, 42, 42, 42]); // no spread to learn from
  });

  it('refuses empty or all-missing history and bad arguments with a RangeError', () => {
    expect(() => forecastHourly({ startMs: T0, values: [] }, 24)).toThrow(/no values/);
    expect(() => forecastHourly({ startMs: T0, values: [Number.NaN, Number.NaN] }, 24)).toThrow(RangeError);
    expect(() => forecastHourly({ startMs: T0 + 1, values: [1] }, 24)).toThrow(/whole UTC hour/);
    expect(() => forecastHourly({ startMs: T0, values: [1] }, 1.5)).toThrow(RangeError);
    expect(() => forecastHourly({ startMs: T0, values: [1] }, 24, { lookbackHours: 0 })).toThrow(RangeError);
    // @ts-expect-error an unknown method at runtime (e.g. from config)
    expect(() => forecastHourly({ startMs: T0, values: [1] }, 24, { method: 'oracle' })).toThrow(
      /unknown method/,
    );
  });
});

describe('forecastHourly bands', () => {
  const rand = noise(7);
  // Pattern + noise + a random-walk level: forecasts get worse with lead time.
  let level = 0;
  const noisy = series(12 * WEEK, (h) => {
    level += 3 * rand();
    return weekly(h) + level + 8 * rand() + (h % 97 === 0 ? 300 : 0);
  });

  it.each(FORECAST_METHODS)('%s: p10 ≤ p50 ≤ p90 and the band never narrows with lead', (method) => {
    const f = forecastHourly(noisy, 2 * WEEK, { method });
    let lastLower = 0;
    let lastUpper = 0;
    for (let h = 0; h < 2 * WEEK; h++) {
      const [p10, p50, p90] = [f.p10[h] as number, f.p50[h] as number, f.p90[h] as number];
      expect(p10).toBeLessThanOrEqual(p50);
      expect(p50).toBeLessThanOrEqual(p90);
      expect(p50 - p10).toBeGreaterThanOrEqual(lastLower - 1e-9);
      expect(p90 - p50).toBeGreaterThanOrEqual(lastUpper - 1e-9);
      [lastLower, lastUpper] = [p50 - p10, p90 - p50];
    }
    // Wider at a week ahead than at the first hour (random-walk level).
    expect((f.p90[150] as number) - (f.p10[150] as number)).toBeGreaterThan(
      (f.p90[0] as number) - (f.p10[0] as number),
    );
  });

  it('buckets leads 1–24, 25–48, 49–96, 97–168 h, later leads in the last', () => {
    expect([0, 23, 24, 47, 48, 95, 96, 167, 400].map(leadBucketIndex)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 3]);
  });
});

describe('no look-ahead', () => {
  const full = series(14 * WEEK, (h) => weekly(h) + 20 * Math.sin(h / 17) + (h % 53 === 0 ? -80 : 0));

  it('a forecast depends only on values before its start (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 * WEEK - 1 }),
        fc.constantFrom(...FORECAST_METHODS),
        fc.array(
          fc.oneof(fc.double({ noDefaultInfinity: true }), fc.constant(Number.NaN), fc.constant(1e9)),
          {
            minLength: 1,
            maxLength: 400,
          },
        ),
        (n, method, future) => {
          const values = Float64Array.from(full.values);
          const clean = forecastHourly({ startMs: T0, values: values.slice(0, n) }, WEEK, { method });
          // Poison everything at or after the start in the same buffer and pass a view that ends before it.
          values.set(future.slice(0, values.length - n), n);
          const poisoned = forecastHourly({ startMs: T0, values: values.subarray(0, n) }, WEEK, { method });
          expect(poisoned).toEqual(clean);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('history older than lookback + band origins changes nothing', () => {
    const n = 14 * WEEK;
    const reach = DEFAULT_LOOKBACK_HOURS + BAND_ORIGIN_DAYS * 24;
    const values = Float64Array.from(full.values);
    const clean = forecastHourly({ startMs: T0, values }, WEEK);
    values.fill(1e9, 0, n - reach);
    expect(forecastHourly({ startMs: T0, values }, WEEK)).toEqual(clean);
  });
});

describe('hourlySeriesFromPoints', () => {
  it('puts points on the hour grid and leaves gaps NaN', () => {
    const s = hourlySeriesFromPoints([
      { intervalStartUtc: '2023-03-01T00:00:00.000Z', price: 1 },
      { intervalStartUtc: '2023-03-01T03:00:00.000Z', price: -4 },
    ]);
    expect(s.startMs).toBe(Date.UTC(2023, 2, 1));
    expect(Array.from(s.values)).toEqual([1, Number.NaN, Number.NaN, -4]);
  });
});
