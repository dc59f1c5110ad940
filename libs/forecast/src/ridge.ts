import { sortedQuantile } from './robust.js';

// Ridge regression on lagged days: for lead day d (hours 24d..24d+23 after the origin), the price at t is
// regressed on the same hour of the 7 latest days known at the origin (t − 24(d+1) … t − 24(d+7)), fitted
// on the window with values clipped to its 1st–99th percentiles (spikes would dominate least squares).

const LAGS = 7;
const DAY = 24;
/** Ridge penalty as a share of the mean feature variance. */
const RIDGE_SHARE = 0.3;

/** Solves the symmetric positive-definite `a` x = `b` (n × n, row-major) in place by Gaussian elimination. */
function solve(a: Float64Array, b: Float64Array, n: number): void {
  for (let col = 0; col < n; col++) {
    const pivot = a[col * n + col] as number;
    for (let row = col + 1; row < n; row++) {
      const f = (a[row * n + col] as number) / pivot;
      for (let k = col; k < n; k++)
        a[row * n + k] = (a[row * n + k] as number) - f * (a[col * n + k] as number);
      b[row] = (b[row] as number) - f * (b[col] as number);
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    let s = b[row] as number;
    for (let k = row + 1; k < n; k++) s -= (a[row * n + k] as number) * (b[k] as number);
    b[row] = s / (a[row * n + row] as number);
  }
}

/** Minimum window for ridge: the deepest lag (14 days) plus one week of training targets. */
export const RIDGE_MIN_HOURS = DAY * (2 * LAGS) + 7 * DAY;

/** Writes the ridge forecast of `hours` hours after `values[start..end)` into `out` (window ≥ RIDGE_MIN_HOURS). */
export function fillRidge(
  values: ArrayLike<number>,
  start: number,
  end: number,
  hours: number,
  out: Float64Array,
  scratch: Float64Array,
): void {
  let m = 0;
  for (let i = start; i < end; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) scratch[m++] = v;
  }
  const sorted = scratch.subarray(0, m).sort();
  const lo = sortedQuantile(sorted, m, 0.01);
  const hi = sortedQuantile(sorted, m, 0.99);
  const clip = (v: number) => (v < lo ? lo : v > hi ? hi : v);

  const p = LAGS;
  const x = new Float64Array(p);
  const sx = new Float64Array(p);
  const sxx = new Float64Array(p * p);
  const sxy = new Float64Array(p);
  const beta = new Float64Array(p);
  const days = Math.min(Math.ceil(hours / DAY), LAGS);
  for (let d = 0; d < days; d++) {
    sx.fill(0);
    sxx.fill(0);
    sxy.fill(0);
    let n = 0;
    let sy = 0;
    let syy = 0;
    samples: for (let t = start + DAY * (d + LAGS); t < end; t++) {
      const y = values[t] as number;
      if (!Number.isFinite(y)) continue;
      for (let a = 0; a < p; a++) {
        const v = values[t - DAY * (d + 1 + a)] as number;
        if (!Number.isFinite(v)) continue samples;
        x[a] = clip(v);
      }
      const yc = clip(y);
      n++;
      sy += yc;
      syy += yc * yc;
      for (let a = 0; a < p; a++) {
        const xa = x[a] as number;
        sx[a] = (sx[a] as number) + xa;
        sxy[a] = (sxy[a] as number) + xa * yc;
        for (let b = a; b < p; b++) sxx[a * p + b] = (sxx[a * p + b] as number) + xa * (x[b] as number);
      }
    }
    const my = n === 0 ? Number.NaN : sy / n;
    let trace = 0;
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        const c = (sxx[a * p + b] as number) - ((sx[a] as number) * (sx[b] as number)) / Math.max(n, 1);
        sxx[a * p + b] = c;
        sxx[b * p + a] = c;
      }
      trace += sxx[a * p + a] as number;
      beta[a] = (sxy[a] as number) - ((sx[a] as number) * sy) / Math.max(n, 1);
    }
    const lambda = RIDGE_SHARE * (trace / p) + 1e-9 * (syy + 1);
    for (let a = 0; a < p; a++) sxx[a * p + a] = (sxx[a * p + a] as number) + lambda;
    solve(sxx, beta, p);
    for (let h = DAY * d; h < Math.min(hours, DAY * (d + 1)); h++) {
      const t = end + h;
      let f = my;
      for (let a = 0; a < p; a++) {
        const mean = (sx[a] as number) / Math.max(n, 1);
        const v = values[t - DAY * (d + 1 + a)] as number;
        f += (beta[a] as number) * ((Number.isFinite(v) ? clip(v) : mean) - mean);
      }
      out[h] = f;
    }
  }
  for (let h = DAY * LAGS; h < hours; h++) out[h] = out[h - DAY * LAGS] as number;
}
