import {
  forecastHourly,
  HOURS_PER_DAY,
  LEAD_BUCKETS,
  leadBucketIndex,
  MS_PER_HOUR,
  type ForecastMethod,
  type ForecastOptions,
  type HourlyForecast,
  type HourlySeries,
} from './forecast.js';

// Rolling-origin evaluation: for each origin, forecast from the values strictly before it and score the
// forecast against the values after it. Pure: timing is the caller's (wrap `forecaster`).

/** MAPE counts only hours with |actual| ≥ this (currency/MWh): near-zero and negative prices make plain MAPE explode. */
export const MAPE_MIN_ABS_ACTUAL = 5;
/** Label of the row that pools every lead bucket. */
export const ALL_LEADS = 'all';

export type Forecaster = (known: HourlySeries, hours: number, options: ForecastOptions) => HourlyForecast;

export interface RollingOriginOptions {
  /** Forecast origins (epoch ms, whole hours on the series' grid): the first forecast hour of each run. */
  originsMs: readonly number[];
  /** Hours forecast from each origin. */
  hours: number;
  methods: readonly ForecastMethod[];
  lookbackHours?: number;
  /** Default forecastHourly; injectable to time calls or to check what it is given. */
  forecaster?: Forecaster;
}

/** Error sums of one method over one lead bucket (or ALL_LEADS), pooled over origins. */
export interface ErrorTally {
  method: ForecastMethod;
  leadBucket: string;
  /** Scored hours (actual finite). */
  n: number;
  absErrorSum: number;
  /** Hours with |actual| ≥ MAPE_MIN_ABS_ACTUAL and the sum of |error| / |actual| over them. */
  mapeN: number;
  absPctErrorSum: number;
  /** Hours whose actual lies in [p10, p90]. */
  inBand: number;
}

export interface ErrorRow extends ErrorTally {
  mae: number;
  /** Percent, over the hours with |actual| ≥ MAPE_MIN_ABS_ACTUAL; NaN if none. */
  mape: number;
  /** Share of actuals inside [p10, p90] (0.8 for calibrated bands). */
  coverage80: number;
}

/** The values strictly before `end`, without copying a typed array. */
function historyBefore(values: ArrayLike<number>, end: number): ArrayLike<number> {
  if (ArrayBuffer.isView(values) && 'subarray' in values) return (values as Float64Array).subarray(0, end);
  return Array.prototype.slice.call(values, 0, end) as number[];
}

/** What the forecaster sees at `originMs`: the hours of `series` strictly before it. */
export function historyAt(series: HourlySeries, originMs: number): HourlySeries {
  const end = (originMs - series.startMs) / MS_PER_HOUR;
  if (!Number.isInteger(end) || end < 0 || end > series.values.length)
    throw new RangeError(`origin ${new Date(originMs).toISOString()} is not an hour inside the series`);
  return { startMs: series.startMs, values: historyBefore(series.values, end) };
}

/** Daily origins at `hourUtc`, from the first such hour ≥ `fromMs` to the last one with `hours` known hours after it. */
export function dailyOrigins(series: HourlySeries, fromMs: number, hourUtc: number, hours: number): number[] {
  const endMs = series.startMs + series.values.length * MS_PER_HOUR;
  const dayMs = HOURS_PER_DAY * MS_PER_HOUR;
  let origin = Math.floor(fromMs / dayMs) * dayMs + hourUtc * MS_PER_HOUR;
  if (origin < fromMs) origin += dayMs;
  const out: number[] = [];
  for (; origin + hours * MS_PER_HOUR <= endMs; origin += dayMs) out.push(origin);
  return out;
}

function emptyTally(method: ForecastMethod, leadBucket: string): ErrorTally {
  return { method, leadBucket, n: 0, absErrorSum: 0, mapeN: 0, absPctErrorSum: 0, inBand: 0 };
}

/** Error tallies per method and lead bucket (+ ALL_LEADS) over every origin of `options`. */
export function evaluateRollingOrigin(series: HourlySeries, options: RollingOriginOptions): ErrorTally[] {
  const forecaster = options.forecaster ?? forecastHourly;
  const values = series.values;
  const out: ErrorTally[] = [];
  for (const method of options.methods) {
    const tallies = [...LEAD_BUCKETS.map((b) => emptyTally(method, b.label)), emptyTally(method, ALL_LEADS)];
    const all = tallies[LEAD_BUCKETS.length] as ErrorTally;
    for (const originMs of options.originsMs) {
      const known = historyAt(series, originMs);
      const end = known.values.length;
      const forecast = forecaster(known, options.hours, {
        method,
        ...(options.lookbackHours === undefined ? {} : { lookbackHours: options.lookbackHours }),
      });
      for (let h = 0; h < options.hours && end + h < values.length; h++) {
        const actual = values[end + h] as number;
        if (!Number.isFinite(actual)) continue;
        const error = Math.abs(actual - (forecast.point[h] as number));
        const inBand = actual >= (forecast.p10[h] as number) && actual <= (forecast.p90[h] as number);
        for (const tally of [tallies[leadBucketIndex(h)] as ErrorTally, all]) {
          tally.n++;
          tally.absErrorSum += error;
          if (inBand) tally.inBand++;
          if (Math.abs(actual) >= MAPE_MIN_ABS_ACTUAL) {
            tally.mapeN++;
            tally.absPctErrorSum += error / Math.abs(actual);
          }
        }
      }
    }
    out.push(...tallies);
  }
  return out;
}

/** Adds up tallies of the same method and lead bucket (e.g. over zones). */
export function poolTallies(tallies: readonly ErrorTally[]): ErrorTally[] {
  const byKey = new Map<string, ErrorTally>();
  for (const t of tallies) {
    const key = `${t.method}\u0000${t.leadBucket}`;
    const sum = byKey.get(key) ?? emptyTally(t.method, t.leadBucket);
    sum.n += t.n;
    sum.absErrorSum += t.absErrorSum;
    sum.mapeN += t.mapeN;
    sum.absPctErrorSum += t.absPctErrorSum;
    sum.inBand += t.inBand;
    byKey.set(key, sum);
  }
  return [...byKey.values()];
}

/** MAE, MAPE (percent) and band coverage of a tally. */
export function errorRow(t: ErrorTally): ErrorRow {
  return {
    ...t,
    mae: t.n === 0 ? Number.NaN : t.absErrorSum / t.n,
    mape: t.mapeN === 0 ? Number.NaN : (100 * t.absPctErrorSum) / t.mapeN,
    coverage80: t.n === 0 ? Number.NaN : t.inBand / t.n,
  };
}
