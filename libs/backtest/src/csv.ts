import { costPerMillionTokens, savingsAgainst, type Figures } from './figures.js';
import type { BacktestResult } from './rolling.js';
import { carbonMeasured } from './report.js';

/** `x` with `decimals` fixed decimals ('' for null/NaN, never "-0.00"). */
export function csvNumber(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '';
  const text = x.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** A CSV field, quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Lines of a CSV document (LF, trailing newline) from a header and rows. */
export function csvDocument(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

export const DAILY_CSV_HEADER = [
  'date',
  'currency',
  'energy_mwh',
  'energy_cost',
  'carbon_t',
  'carbon_cost',
  'penalty_cost',
  'total_cost',
  'served_gpu_hours',
  'unserved_gpu_hours',
  'tokens_millions',
  'cost_per_million_tokens',
  'whole_gpu_total_cost',
  'perfect_energy_mwh',
  'perfect_energy_cost',
  'perfect_carbon_t',
  'perfect_served_gpu_hours',
  'perfect_unserved_gpu_hours',
  'perfect_total_cost',
  'perfect_cost_per_million_tokens',
  'home_energy_mwh',
  'home_energy_cost',
  'home_carbon_t',
  'home_served_gpu_hours',
  'home_unserved_gpu_hours',
  'home_total_cost',
  'home_cost_per_million_tokens',
  'greedy_energy_mwh',
  'greedy_energy_cost',
  'greedy_carbon_t',
  'greedy_served_gpu_hours',
  'greedy_unserved_gpu_hours',
  'greedy_total_cost',
  'greedy_cost_per_million_tokens',
  'savings_vs_home',
  'savings_vs_home_pct',
  'savings_vs_greedy',
  'savings_vs_greedy_pct',
  'solves',
  'solve_ms',
] as const;

/**
 * A comparison plan's daily.csv columns: energy_mwh … cost_per_million_tokens (after its `perfect_`/`home_`/
 * `greedy_` prefix). Savings columns are empty on days where the baseline served less work (not comparable).
 */
function baselineColumns(f: Figures, carbon: boolean): string[] {
  return [
    csvNumber(f.energyMwh, 4),
    csvNumber(f.energyCost, 2),
    csvNumber(carbon ? f.carbonTonnes : null, 4),
    csvNumber(f.servedGpuHours, 2),
    csvNumber(f.unservedGpuHours, 2),
    csvNumber(f.totalCost, 2),
    csvNumber(costPerMillionTokens(f), 6),
  ];
}

/**
 * daily.csv: one row per UTC day — the optimal plan's cost, MWh, carbon, tokens and cost per million tokens,
 * the whole-GPU schedule's cost, both baselines and the savings against them (amount and %). Costs in the
 * fleet's currency (column `currency`).
 */
export function dailyCsv(result: BacktestResult): string {
  const carbon = carbonMeasured(result); // else the carbon_t cells stay empty: not measured, not 0 t
  const rows = result.days.map((d) => {
    const vsHome = savingsAgainst(d.home, d.optimal);
    const vsGreedy = savingsAgainst(d.greedy, d.optimal);
    return [
      d.date,
      result.currency,
      csvNumber(d.optimal.energyMwh, 4),
      csvNumber(d.optimal.energyCost, 2),
      csvNumber(carbon ? d.optimal.carbonTonnes : null, 4),
      csvNumber(d.optimal.carbonCost, 2),
      csvNumber(d.optimal.penaltyCost, 2),
      csvNumber(d.optimal.totalCost, 2),
      csvNumber(d.optimal.servedGpuHours, 2),
      csvNumber(d.optimal.unservedGpuHours, 2),
      csvNumber(d.optimal.tokensMillions, 3),
      csvNumber(costPerMillionTokens(d.optimal), 6),
      csvNumber(d.wholeGpu.totalCost, 2),
      ...baselineColumns(d.perfect, carbon),
      ...baselineColumns(d.home, carbon),
      ...baselineColumns(d.greedy, carbon),
      csvNumber(vsHome.amount, 2),
      csvNumber(vsHome.pct, 3),
      csvNumber(vsGreedy.amount, 2),
      csvNumber(vsGreedy.pct, 3),
      String(d.solves),
      csvNumber(d.solveMs, 1),
    ];
  });
  return csvDocument(DAILY_CSV_HEADER, rows);
}

export const HOURLY_CSV_HEADER = [
  'hour_start_utc',
  'cluster_id',
  'zone',
  'price_per_mwh',
  'carbon_g_per_kwh',
  'schedulable_gpus',
  'gpus',
  'gpu_hours',
] as const;

/** hourly.csv: per hour and cluster — price (fleet currency), carbon, free GPUs, GPUs and GPU-hours committed. */
export function hourlyCsv(result: BacktestResult): string {
  const zones = new Map(result.zones.map((z) => [z.zone, z]));
  const rows: string[][] = [];
  result.hourStartsMs.forEach((ms, h) => {
    const hour = new Date(ms).toISOString().replace('.000Z', 'Z');
    for (const c of result.clusters) {
      const zone = zones.get(c.zone);
      rows.push([
        hour,
        c.id,
        c.zone,
        csvNumber(zone?.pricePerMwh[h], 2),
        csvNumber(zone?.carbonGPerKwh?.[h] ?? null, 1),
        String(c.schedulableGpus[h] ?? 0),
        String(c.gpus[h] ?? 0),
        csvNumber(c.gpuHours[h], 3),
      ]);
    }
  });
  return csvDocument(HOURLY_CSV_HEADER, rows);
}
