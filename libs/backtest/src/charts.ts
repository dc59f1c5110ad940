import { savingsAgainst } from './figures.js';
import type { BacktestResult } from './rolling.js';
import { timeChartSvg } from './svg.js';

const MS_PER_DAY = 86_400_000;
/** Beyond this many days, hourly series are drawn as daily sums/means (keeps files small and readable). */
const MAX_HOURLY_DAYS = 62;

export interface ChartFile {
  /** File name in the report folder. */
  file: string;
  /** Alt text / caption. */
  title: string;
  svg: string;
}

function dailyBuckets(result: BacktestResult, values: readonly number[], reduce: 'sum' | 'mean'): number[] {
  return result.days.map((_, d) => {
    const slice = values.slice(d * 24, d * 24 + 24);
    const sum = slice.reduce((a, b) => a + b, 0);
    return reduce === 'sum' ? sum : slice.length > 0 ? sum / slice.length : 0;
  });
}

/** The report's charts (pure): prices per zone, GPU-hours per cluster, cumulative savings, daily cost. */
export function backtestCharts(result: BacktestResult): ChartFile[] {
  const currency = result.currency;
  const daily = result.days.length > MAX_HOURLY_DAYS;
  const dayStartsMs = result.days.map((_, d) => result.options.fromMs + d * MS_PER_DAY);
  // Every chart spans the backtest's [from, to), whatever its points are (hours, day ends or mid-days).
  const xRangeMs: [number, number] = [result.options.fromMs, result.options.toMs];
  // Daily means/sums sit at mid-day, as the daily-cost chart's points do.
  const xHours = daily ? dayStartsMs.map((ms) => ms + MS_PER_DAY / 2) : result.hourStartsMs;
  const per = daily ? 'day' : 'hour';

  const prices = timeChartSvg({
    title: `Electricity price by zone (${currency}/MWh${daily ? ', daily mean' : ', hourly'})`,
    xMs: xHours,
    xRangeMs,
    panels: [
      {
        yLabel: `${currency}/MWh`,
        kind: 'lines',
        series: result.zones.map((z) => ({
          name: z.zone,
          values: daily ? dailyBuckets(result, z.pricePerMwh, 'mean') : z.pricePerMwh,
        })),
      },
    ],
  });

  const gpuHours = timeChartSvg({
    title: `GPU-hours placed per cluster (stacked, per ${per})`,
    xMs: xHours,
    xRangeMs,
    panels: [
      {
        yLabel: `GPU-hours per ${per}`,
        kind: 'stacked',
        series: result.clusters.map((c) => ({
          name: `${c.id} (${c.zone})`,
          values: daily ? dailyBuckets(result, c.gpuHours, 'sum') : c.gpuHours,
        })),
      },
    ],
  });

  // Cumulative savings at each day's end, starting from 0 at the first midnight.
  const dayEndsMs = [result.options.fromMs, ...dayStartsMs.map((ms) => ms + MS_PER_DAY)];
  const cumulative = (pick: 'home' | 'greedy') => {
    let sum = 0;
    // A day whose baseline served less work adds nothing (it is not a like-for-like saving).
    return [0, ...result.days.map((d) => (sum += savingsAgainst(d[pick], d.optimal).amount ?? 0))];
  };
  const notComparable = (pick: 'home' | 'greedy') => {
    const n = result.days.filter((d) => !savingsAgainst(d[pick], d.optimal).comparable).length;
    return n === 0 ? '' : `; ${n} day(s) where it served less work not counted`;
  };
  const savings = timeChartSvg({
    title: `Cumulative savings of gridshift's plan on the same work (${currency})`,
    xMs: dayEndsMs,
    xRangeMs,
    panels: [
      {
        subtitle: `vs home (home cluster first, spill by latency, no prices${notComparable('home')})`,
        yLabel: currency,
        kind: 'lines',
        markers: result.days.length <= MAX_HOURLY_DAYS,
        series: [{ name: 'vs home', values: cumulative('home'), color: '#e15759' }],
      },
      {
        subtitle: `vs greedy (cheapest cell first${notComparable('greedy')})`,
        yLabel: currency,
        kind: 'lines',
        markers: result.days.length <= MAX_HOURLY_DAYS,
        series: [{ name: 'vs greedy', values: cumulative('greedy'), color: '#4e79a7' }],
      },
    ],
  });

  const mid = dayStartsMs.map((ms) => ms + MS_PER_DAY / 2);
  const perPlan = (metric: 'energyCost' | 'unservedGpuHours') => [
    { name: 'home', values: result.days.map((d) => d.home[metric]), color: '#e15759' },
    { name: 'greedy', values: result.days.map((d) => d.greedy[metric]), color: '#4e79a7', dashed: true },
    { name: 'gridshift', values: result.days.map((d) => d.optimal[metric]), color: '#59a14f' },
  ];
  const dailyCost = timeChartSvg({
    title: `Daily energy cost and unserved work`,
    xMs: mid,
    xRangeMs,
    panels: [
      {
        subtitle: `Energy cost of each day's work (${currency}); compare with the served work below`,
        yLabel: currency,
        kind: 'lines',
        markers: result.days.length <= MAX_HOURLY_DAYS,
        series: perPlan('energyCost'),
      },
      {
        subtitle: 'Unserved GPU-hours per day',
        yLabel: 'GPU-hours',
        kind: 'lines',
        markers: result.days.length <= MAX_HOURLY_DAYS,
        series: perPlan('unservedGpuHours'),
      },
    ],
  });

  return [
    { file: 'prices.svg', title: 'Electricity price by zone', svg: prices },
    { file: 'gpu-hours.svg', title: 'GPU-hours per cluster', svg: gpuHours },
    { file: 'cumulative-savings.svg', title: 'Cumulative savings vs home and greedy', svg: savings },
    { file: 'daily-cost.svg', title: 'Daily energy cost and unserved work', svg: dailyCost },
  ];
}
