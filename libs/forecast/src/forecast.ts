import { finiteMedian, sortedQuantile } from './robust.js';

// Pure hourly price forecasts from history alone. Every read of `known.values` is at an index below
// `known.values.length`; the forecast for an origin never sees a value at or after it.

export const MS_PER_HOUR = 3_600_000;
export const HOURS_PER_DAY = 24;
export const HOURS_PER_WEEK = 168;

/** An hourly series on a UTC hour grid: values[i] is the hour starting at startMs + i·3_600_000. NaN = missing. */
export interface HourlySeries {
  startMs: number;
  values: ArrayLike<number>;
}

/** Every method, in the order reports list them. */
export const FORECAST_METHODS = ['seasonal-naive', 'carry-forward', 'profile'] as const;

/**
 * - `seasonal-naive`: the same hour one week earlier (the last known week repeated).
 * - `carry-forward`: the same hour one day earlier (the last known day repeated).
 * - `profile`: level-adjusted 7-day profile — the median week of the lookback (hour-of-week medians)
 *   shifted by the median gap between the last known day and the same hours of that profile; the shift
 *   fades by PROFILE_LEVEL_DECAY_PER_DAY per day of lead.
 */
export type ForecastMethod = (typeof FORECAST_METHODS)[number];

export interface HourlyForecast {
  method: ForecastMethod;
  /** First forecast hour (epoch ms, whole UTC hour) = the hour after the last known one. */
  startMs: number;
  point: Float64Array;
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
  /** True when the history was too short for the method (< 1 week; < 1 day for carry-forward): flat recent median. */
  shortHistory: boolean;
}

export interface ForecastOptions {
  method?: ForecastMethod;
  /** History hours used for the point forecast, default DEFAULT_LOOKBACK_HOURS (8 weeks). */
  lookbackHours?: number;
}

/** Chosen by `npm run forecast:eval` on 2023 data: see libs/forecast/README.md. */
export const DEFAULT_FORECAST_METHOD: ForecastMethod = 'profile';
export const DEFAULT_LOOKBACK_HOURS = 8 * HOURS_PER_WEEK;

/** Lead-time buckets (1-based leads: lead 1 = the first forecast hour); bands and reports use them. */
export interface LeadBucket {
  label: string;
  firstLead: number;
  lastLead: number;
}
export const LEAD_BUCKETS: readonly LeadBucket[] = [
  { label: '1-24h', firstLead: 1, lastLead: 24 },
  { label: '25-48h', firstLead: 25, lastLead: 48 },
  { label: '49-96h', firstLead: 49, lastLead: 96 },
  { label: '97-168h', firstLead: 97, lastLead: 168 },
];

/** Pseudo-origins (one per day, going back from the last known hour) whose residuals set the bands. */
export const BAND_ORIGIN_DAYS = 14;
/** Fewer residuals than this in a lead bucket: the bucket inherits the previous one's band, widened by √lead. */
const MIN_BUCKET_RESIDUALS = 12;
/** Hours of the last known day used to level-adjust the profile. */
const PROFILE_LEVEL_HOURS = 24;
/**
 * The level gap fades towards the profile by this factor per day of lead (0.8: 0.80 after 24 h, 0.26 after
 * 144 h); picked in `npm run forecast:eval` (no decay: MAE ratio 0.898, 0.8: 0.865, 0.6: 0.888).
 */
export const PROFILE_LEVEL_DECAY_PER_DAY = 0.8;
/** z of the 10 % / 90 % quantiles of a normal distribution, for the no-residual fallback band. */
const Z90 = 1.2816;
/** MAD → standard deviation for normal data. */
const MAD_TO_SD = 1.4826;

/** Index of the lead bucket for a 0-based lead offset (leads past the last bucket use the last one). */
export function leadBucketIndex(leadOffset: number): number {
  const lead = leadOffset + 1;
  for (let b = 0; b < LEAD_BUCKETS.length; b++)
    if (lead <= (LEAD_BUCKETS[b] as LeadBucket).lastLead) return b;
  return LEAD_BUCKETS.length - 1;
}

interface Workspace {
  /** Order-statistics scratch, ≥ lookback hours. */
  scratch: Float64Array;
  /** One value per hour of the method's season (24 or 168). */
  season: Float64Array;
}

/** Median of the finite values among the last 24 h, else the last week, else the whole window; NaN if none. */
function recentLevel(values: ArrayLike<number>, start: number, end: number, ws: Workspace): number {
  for (const span of [HOURS_PER_DAY, HOURS_PER_WEEK, end - start]) {
    const level = finiteMedian(values, Math.max(start, end - span), end, ws.scratch);
    if (Number.isFinite(level)) return level;
  }
  return Number.NaN;
}

function seasonOf(method: ForecastMethod): number {
  return method === 'carry-forward' ? HOURS_PER_DAY : HOURS_PER_WEEK;
}

/**
 * Writes the point forecast of `method` for `hours` hours after `values[start..end)` into `out`.
 * Returns whether the window was too short for the method. NaN everywhere if the window has no finite value.
 */
function fillPoint(
  method: ForecastMethod,
  values: ArrayLike<number>,
  start: number,
  end: number,
  hours: number,
  out: Float64Array,
  ws: Workspace,
): boolean {
  const level = recentLevel(values, start, end, ws);
  const season = seasonOf(method);
  if (end - start < season) {
    out.fill(level, 0, hours);
    return true;
  }
  const base = ws.season;
  switch (method) {
    case 'seasonal-naive':
    case 'carry-forward':
      // The same hour one season back; if missing, the season before, …; else the recent level.
      for (let k = 0; k < season; k++) {
        let v = Number.NaN;
        for (let i = end - season + k; i >= start && !Number.isFinite(v); i -= season)
          v = values[i] as number;
        base[k] = Number.isFinite(v) ? v : level;
      }
      break;
    case 'profile': {
      // Hour-of-week medians over the whole weeks of the window (robust to spikes), aligned to `end`.
      const weeks = Math.floor((end - start) / HOURS_PER_WEEK);
      const first = end - weeks * HOURS_PER_WEEK;
      let missing = 0;
      for (let k = 0; k < HOURS_PER_WEEK; k++) {
        base[k] = finiteMedian(values, first + k, end, ws.scratch, HOURS_PER_WEEK);
        if (!Number.isFinite(base[k])) missing++;
      }
      if (missing > 0) {
        const fill = missing === HOURS_PER_WEEK ? level : finiteMedian(base, 0, HOURS_PER_WEEK, ws.scratch);
        for (let k = 0; k < HOURS_PER_WEEK; k++) if (!Number.isFinite(base[k])) base[k] = fill;
      }
      // Level: median gap between the last known day and the same hours of the profile.
      let n = 0;
      const gaps = ws.scratch;
      for (let j = 0; j < PROFILE_LEVEL_HOURS; j++) {
        const gap =
          (values[end - PROFILE_LEVEL_HOURS + j] as number) -
          (base[HOURS_PER_WEEK - PROFILE_LEVEL_HOURS + j] as number);
        if (Number.isFinite(gap)) gaps[n++] = gap;
      }
      const offset = n === 0 ? 0 : finiteMedian(gaps, 0, n, gaps);
      const decayPerHour = Math.pow(PROFILE_LEVEL_DECAY_PER_DAY, 1 / HOURS_PER_DAY);
      let weight = 1;
      for (let h = 0; h < hours; h++) {
        out[h] = (base[h % HOURS_PER_WEEK] as number) + offset * weight;
        weight *= decayPerHour;
      }
      return false;
    }
  }
  for (let h = 0; h < hours; h++) out[h] = base[h % season] as number;
  return false;
}

interface BandOffsets {
  /** Per lead bucket: p50 − point, point-relative. */
  center: Float64Array;
  /** Per lead bucket: p50 − p10 and p90 − p50, non-decreasing over buckets. */
  lower: Float64Array;
  upper: Float64Array;
}

/**
 * Quantiles of the method's own out-of-sample residuals (actual − forecast) by lead bucket: forecasts
 * from up to BAND_ORIGIN_DAYS pseudo-origins `n − 24·j`, each using only the values before it, scored
 * against the known values after it.
 */
function bandOffsets(
  method: ForecastMethod,
  values: ArrayLike<number>,
  n: number,
  lookback: number,
  hours: number,
  ws: Workspace,
): BandOffsets {
  const buckets = LEAD_BUCKETS.length;
  const maxLead = Math.min(hours, HOURS_PER_WEEK);
  const residuals = LEAD_BUCKETS.map(
    (b) => new Float64Array(BAND_ORIGIN_DAYS * (b.lastLead - b.firstLead + 1)),
  );
  const counts = new Int32Array(buckets);
  const forecast = new Float64Array(HOURS_PER_WEEK);
  for (let j = 1; j <= BAND_ORIGIN_DAYS; j++) {
    const end = n - HOURS_PER_DAY * j;
    if (end <= 0) break;
    const horizon = Math.min(HOURS_PER_DAY * j, maxLead);
    fillPoint(method, values, Math.max(0, end - lookback), end, horizon, forecast, ws);
    for (let h = 0; h < horizon; h++) {
      const residual = (values[end + h] as number) - (forecast[h] as number);
      if (!Number.isFinite(residual)) continue;
      const b = leadBucketIndex(h);
      (residuals[b] as Float64Array)[(counts[b] as number)++] = residual;
    }
  }

  const center = new Float64Array(buckets);
  const lower = new Float64Array(buckets);
  const upper = new Float64Array(buckets);
  const mid = (b: number) =>
    ((LEAD_BUCKETS[b] as LeadBucket).firstLead + (LEAD_BUCKETS[b] as LeadBucket).lastLead) / 2;
  for (let b = 0; b < buckets; b++) {
    const count = counts[b] as number;
    if (count >= MIN_BUCKET_RESIDUALS) {
      const sorted = (residuals[b] as Float64Array).subarray(0, count).sort();
      const q50 = sortedQuantile(sorted, count, 0.5);
      center[b] = q50;
      lower[b] = q50 - sortedQuantile(sorted, count, 0.1);
      upper[b] = sortedQuantile(sorted, count, 0.9) - q50;
    } else if (b > 0) {
      const widen = Math.sqrt(mid(b) / mid(b - 1));
      center[b] = center[b - 1] as number;
      lower[b] = (lower[b - 1] as number) * widen;
      upper[b] = (upper[b - 1] as number) * widen;
    } else {
      // No residuals yet (history < 1 day + 12 h): a normal band from the spread of the recent values.
      const from = Math.max(0, n - HOURS_PER_WEEK);
      const median = finiteMedian(values, from, n, ws.scratch);
      let m = 0;
      for (let i = from; i < n; i++) {
        const dev = Math.abs((values[i] as number) - median);
        if (Number.isFinite(dev)) ws.season[m++] = dev;
      }
      const mad = m === 0 ? 0 : finiteMedian(ws.season, 0, m, ws.scratch);
      lower[0] = upper[0] = Z90 * MAD_TO_SD * mad;
    }
    // Bands never narrow with lead time.
    if (b > 0) {
      lower[b] = Math.max(lower[b] as number, lower[b - 1] as number);
      upper[b] = Math.max(upper[b] as number, upper[b - 1] as number);
    }
  }
  return { center, lower, upper };
}

function isWholeNumber(x: number): boolean {
  return Number.isInteger(x);
}

/**
 * Forecast `hours` hours starting right after the last value of `known` (known.startMs + known.values.length
 * hours). Uses only `known`: the last `lookbackHours` for the point forecast, and up to
 * BAND_ORIGIN_DAYS · 24 h more for the bands. Throws RangeError on empty history or bad arguments.
 */
export function forecastHourly(
  known: HourlySeries,
  hours: number,
  options: ForecastOptions = {},
): HourlyForecast {
  const method = options.method ?? DEFAULT_FORECAST_METHOD;
  const lookback = options.lookbackHours ?? DEFAULT_LOOKBACK_HOURS;
  const values = known.values;
  const n = values.length;
  if (!(FORECAST_METHODS as readonly string[]).includes(method))
    throw new RangeError(
      `forecastHourly: unknown method ${JSON.stringify(method)} (one of ${FORECAST_METHODS.join(', ')})`,
    );
  if (!Number.isFinite(known.startMs) || known.startMs % MS_PER_HOUR !== 0)
    throw new RangeError(
      `forecastHourly: known.startMs must be a whole UTC hour in epoch ms, got ${known.startMs}`,
    );
  if (!isWholeNumber(hours) || hours < 0)
    throw new RangeError(`forecastHourly: hours must be a whole number ≥ 0, got ${hours}`);
  if (!isWholeNumber(lookback) || lookback < 1)
    throw new RangeError(`forecastHourly: lookbackHours must be a whole number ≥ 1, got ${lookback}`);
  if (n === 0) throw new RangeError('forecastHourly: known has no values; at least one known hour is needed');

  const ws: Workspace = {
    scratch: new Float64Array(Math.max(lookback, HOURS_PER_WEEK)),
    season: new Float64Array(HOURS_PER_WEEK),
  };
  const start = Math.max(0, n - lookback);
  const point = new Float64Array(hours);
  const shortHistory = fillPoint(method, values, start, n, hours, point, ws);
  if (hours > 0 && !Number.isFinite(point[0]))
    throw new RangeError(`forecastHourly: no finite value in the last ${n - start} known hours`);

  const { center, lower, upper } = bandOffsets(method, values, n, lookback, hours, ws);
  const p10 = new Float64Array(hours);
  const p50 = new Float64Array(hours);
  const p90 = new Float64Array(hours);
  for (let h = 0; h < hours; h++) {
    const b = leadBucketIndex(h);
    const median = (point[h] as number) + (center[b] as number);
    p50[h] = median;
    p10[h] = median - (lower[b] as number);
    p90[h] = median + (upper[b] as number);
  }
  return { method, startMs: known.startMs + n * MS_PER_HOUR, point, p10, p50, p90, shortHistory };
}

/** An hourly grid from sorted, whole-hour points (e.g. a `PriceSeries`' points); hours with no point are NaN. */
export function hourlySeriesFromPoints(
  points: readonly { intervalStartUtc: string; price: number }[],
): HourlySeries {
  const first = points[0];
  if (first === undefined) return { startMs: 0, values: new Float64Array(0) };
  const startMs = Date.parse(first.intervalStartUtc);
  const last = Date.parse((points.at(-1) as { intervalStartUtc: string }).intervalStartUtc);
  const values = new Float64Array((last - startMs) / MS_PER_HOUR + 1).fill(Number.NaN);
  for (const p of points) {
    const i = (Date.parse(p.intervalStartUtc) - startMs) / MS_PER_HOUR;
    if (!Number.isInteger(i) || i < 0 || i >= values.length)
      throw new RangeError(
        `hourlySeriesFromPoints: ${p.intervalStartUtc} is not on the hourly grid (sorted input)`,
      );
    values[i] = p.price;
  }
  return { startMs, values };
}
