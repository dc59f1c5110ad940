// Small order statistics over the finite values of a slice, without allocating per call.

/** Sorts `xs[0..n)` ascending in place (insertion sort: the slices here are short). */
function sortPrefix(xs: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = xs[i] as number;
    let j = i - 1;
    while (j >= 0 && (xs[j] as number) > x) {
      xs[j + 1] = xs[j] as number;
      j--;
    }
    xs[j + 1] = x;
  }
}

/** Linear-interpolated quantile (type 7) of the ascending `sorted[0..n)`; NaN when n = 0. */
export function sortedQuantile(sorted: ArrayLike<number>, n: number, q: number): number {
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (pos - lo);
}

/**
 * Median of the finite values among `values[from + k·stride]` for k ≥ 0 while the index is < `to`;
 * NaN when there are none. `scratch` must hold at least ⌈(to − from) / stride⌉ numbers.
 */
export function finiteMedian(
  values: ArrayLike<number>,
  from: number,
  to: number,
  scratch: Float64Array,
  stride = 1,
): number {
  let n = 0;
  for (let i = Math.max(0, from); i < to; i += stride) {
    const v = values[i] as number;
    if (Number.isFinite(v)) scratch[n++] = v;
  }
  if (n === 0) return Number.NaN;
  if (n > 64) {
    const part = scratch.subarray(0, n);
    part.sort();
    return sortedQuantile(part, n, 0.5);
  }
  sortPrefix(scratch, n);
  return sortedQuantile(scratch, n, 0.5);
}
