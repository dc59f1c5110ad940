import { describe, expect, it } from 'vitest';
import {
  ALL_LEADS,
  dailyOrigins,
  errorRow,
  evaluateRollingOrigin,
  historyAt,
  poolTallies,
  type Forecaster,
} from './evaluate.js';
import { FORECAST_METHODS, forecastHourly, MS_PER_HOUR, type HourlySeries } from './forecast.js';

const T0 = Date.UTC(2023, 0, 1);
const DAY = 24;
const WEEK = 168;
const H = MS_PER_HOUR;

function series(hours: number, f: (h: number) => number): HourlySeries {
  return { startMs: T0, values: Float64Array.from({ length: hours }, (_, h) => f(h)) };
}
const prices = (h: number) => 60 + (h % 24) * 2 + 15 * Math.sin(h / 29) + (h % 101 === 0 ? 500 : 0);

describe('dailyOrigins', () => {
  it('is one origin per day at the given UTC hour, each with `hours` known hours after it', () => {
    const s = series(10 * DAY, prices);
    // Hours 0..239; origins at 12:00 from day 1: 36, 60, …; the last needs origin + 48 ≤ 240 → 180.
    const origins = dailyOrigins(s, T0 + DAY * H, 12, 48);
    expect(origins.map((o) => (o - T0) / H)).toEqual([36, 60, 84, 108, 132, 156, 180]);
  });
});

describe('evaluateRollingOrigin', () => {
  const s = series(8 * WEEK, prices);
  const origins = dailyOrigins(s, T0 + 3 * WEEK * H, 12, WEEK);

  it('hands the forecaster only the hours strictly before each origin', () => {
    const seen: { originMs: number; startMs: number; length: number }[] = [];
    const spy: Forecaster = (known, hours, options) => {
      const [originMs] = origins.filter((o) => !seen.some((x) => x.originMs === o));
      seen.push({ originMs: originMs as number, startMs: known.startMs, length: known.values.length });
      return forecastHourly(known, hours, options);
    };
    evaluateRollingOrigin(s, { originsMs: origins, hours: WEEK, methods: ['profile'], forecaster: spy });
    expect(seen).toHaveLength(origins.length);
    for (const x of seen) expect(x.startMs + x.length * H).toBe(x.originMs);
  });

  it('gives identical forecasts when everything at and after an origin is poisoned', () => {
    for (const originMs of origins) {
      const poisoned = Float64Array.from(s.values);
      const end = (originMs - T0) / H;
      for (let i = end; i < poisoned.length; i++) poisoned[i] = i % 2 === 0 ? Number.NaN : 1e9;
      const p = { startMs: T0, values: poisoned };
      for (const method of FORECAST_METHODS) {
        const want = forecastHourly(historyAt(s, originMs), WEEK, { method });
        expect(forecastHourly(historyAt(p, originMs), WEEK, { method })).toEqual(want);
      }
    }
  });

  it('scores every hour of every origin, per method and lead bucket', () => {
    const rows = evaluateRollingOrigin(s, { originsMs: origins, hours: WEEK, methods: FORECAST_METHODS });
    expect(rows).toHaveLength(FORECAST_METHODS.length * 5); // 4 lead buckets + all
    for (const r of rows.filter((x) => x.leadBucket === ALL_LEADS)) expect(r.n).toBe(origins.length * WEEK);
  });

  it('tallies MAE, MAPE over |actual| ≥ 5 and band coverage by lead bucket', () => {
    // Constant 10 known, then a forecast of 10 against actuals 12 (lead 1–24) and 2 (lead 25–48).
    const t = series(WEEK + 48, (h) => (h < WEEK ? 10 : h < WEEK + 24 ? 12 : 2));
    const [row1, row2, , , all] = evaluateRollingOrigin(t, {
      originsMs: [T0 + WEEK * H],
      hours: 48,
      methods: ['seasonal-naive'],
    }).map(errorRow);
    expect(row1).toMatchObject({ leadBucket: '1-24h', n: 24, mae: 2, mapeN: 24, coverage80: 0 });
    expect(row1?.mape).toBeCloseTo((100 * 2) / 12, 12); // |12 − 10| / 12
    expect(row2).toMatchObject({ leadBucket: '25-48h', n: 24, mae: 8, mapeN: 0 }); // |2| < 5: no MAPE
    expect(row2?.mape).toBeNaN();
    expect(all).toMatchObject({ n: 48, mae: 5, mapeN: 24 }); // (24·2 + 24·8) / 48
    const pooled = poolTallies(
      evaluateRollingOrigin(t, { originsMs: [T0 + WEEK * H], hours: 48, methods: ['seasonal-naive'] }).concat(
        evaluateRollingOrigin(t, { originsMs: [T0 + WEEK * H], hours: 24, methods: ['seasonal-naive'] }),
      ),
    ).map(errorRow);
    expect(pooled.find((r) => r.leadBucket === ALL_LEADS)).toMatchObject({ n: 72, mae: 4 }); // (48·5 + 24·2) / 72
  });

  it('refuses an origin off the series grid', () => {
    expect(() => historyAt(s, T0 + 1)).toThrow(RangeError);
    expect(() => historyAt(s, T0 - H)).toThrow(RangeError);
  });
});
