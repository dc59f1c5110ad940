import { savingsAgainst } from '#gridshift/placement';

// The demo's comparison of the optimum with the home and greedy baselines, read from a schedule's `totals`
// and `baselines` (ScheduleTotals of libs/placement, as stored). Pure: returns lines to print.

/** The ScheduleTotals figures the comparison reads; missing or null when a schedule did not store them. */
export interface TotalsFigures {
  energyMwh?: number | null;
  energyCost?: number | null;
  carbonTonnes?: number | null;
  carbonCost?: number | null;
  penaltyCost?: number | null;
  servedGpuHours?: number | null;
  unservedGpuHours?: number | null;
  tokensMillions?: number | null;
  costPerMillionTokens?: number | null;
}

export interface Column {
  name: string;
  totals: TotalsFigures | null | undefined;
}

/** GPU-hours two schedules may differ by without a note (whole-GPU rounding). */
const SAME_WORK_GPU_HOURS = 0.5;

const value = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

function fixed(v: number, digits: number): string {
  const text = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text; // no "-0"
}

const money = (currency: string, v: number, digits = 0) => `${currency} ${fixed(v, digits)}`;

/** Energy (+ carbon) cost of the served work; carbon counts only when priced. */
const servedCost = (t: TotalsFigures) => (value(t.energyCost) ?? 0) + (value(t.carbonCost) ?? 0);

/**
 * A markdown table of the columns side by side: served and unserved GPU-h, energy cost, carbon cost (only
 * when priced), t CO₂ and cost per million tokens. "n/a" where a figure was not stored.
 */
export function comparisonTable(currency: string, columns: readonly Column[]): string[] {
  const carbonPriced = columns.some((c) => (value(c.totals?.carbonCost) ?? 0) !== 0);
  const row = (label: string, show: (t: TotalsFigures) => string | null) =>
    `| ${label} | ${columns.map((c) => (c.totals ? (show(c.totals) ?? 'n/a') : 'n/a')).join(' | ')} |`;
  const num = (v: number | null | undefined, render: (n: number) => string) => {
    const n = value(v);
    return n === null ? null : render(n);
  };
  return [
    `| | ${columns.map((c) => c.name).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    row('served GPU-h', (t) => num(t.servedGpuHours, (n) => fixed(n, 0))),
    row('unserved GPU-h', (t) => num(t.unservedGpuHours, (n) => fixed(n, 0))),
    row('energy cost', (t) => num(t.energyCost, (n) => money(currency, n))),
    ...(carbonPriced ? [row('carbon cost', (t) => num(t.carbonCost, (n) => money(currency, n)))] : []),
    row('t CO₂', (t) => num(t.carbonTonnes, (n) => fixed(n, 1))),
    row('cost per million tokens', (t) => num(t.costPerMillionTokens, (n) => money(currency, n, 5))),
  ];
}

/**
 * What the optimum saves against each baseline, from the totals, with the engine's own rule
 * (`savingsAgainst`, libs/placement): energy + carbon (+ penalties) on the same work; a baseline serving up to
 * 0.1 % less has its missing work costed at its own average; one serving less than that gets no saving — the
 * line says how much less it serves and gives each one's cost per served GPU-hour instead.
 */
export function savingsLines(currency: string, optimum: Column, baselines: readonly Column[]): string[] {
  const lines: string[] = [];
  const opt = optimum.totals;
  const optServed = value(opt?.servedGpuHours);
  if (!opt || optServed === null) return [`no savings: ${optimum.name} has no served GPU-hours stored`];
  const carbonPriced = [optimum, ...baselines].some((c) => (value(c.totals?.carbonCost) ?? 0) !== 0);
  const comparable = (t: TotalsFigures, served: number) => ({
    energyCost: value(t.energyCost) ?? 0,
    carbonCost: value(t.carbonCost) ?? 0,
    penaltyCost: value(t.penaltyCost) ?? 0,
    servedGpuHours: served,
  });
  const perGpuHour = (t: TotalsFigures, served: number) =>
    served > 0 ? `${money(currency, servedCost(t) / served, 4)} per GPU-h` : 'nothing served';
  for (const base of baselines) {
    const b = base.totals;
    const served = value(b?.servedGpuHours);
    if (!b || served === null) {
      lines.push(`vs ${base.name}: n/a (no baseline stored)`);
      continue;
    }
    const s = savingsAgainst(comparable(b, served), comparable(opt, optServed));
    const gap = optServed - served;
    if (!s.comparable || s.amount === null) {
      lines.push(
        `vs ${base.name}: ${base.name} serves ${fixed(gap, 0)} GPU-h less; not a like-for-like saving — ` +
          `${optimum.name} ${perGpuHour(opt, optServed)}, ${base.name} ${perGpuHour(b, served)}`,
      );
      continue;
    }
    const pct = s.pct === null ? '' : ` (${fixed(s.pct, 1)} %)`;
    const note =
      gap > SAME_WORK_GPU_HOURS
        ? ` (${base.name} served ${fixed(gap, 0)} GPU-h less: costed at its own average)`
        : gap < -SAME_WORK_GPU_HOURS
          ? ` (${optimum.name} served ${fixed(-gap, 0)} GPU-h less: charged at its penalty)`
          : '';
    lines.push(
      `vs ${base.name}: ${optimum.name} saves ${money(currency, s.amount)}${pct} on energy${carbonPriced ? ' + carbon' : ''} for the same work${note}`,
    );
  }
  return lines;
}

/**
 * One line about a schedule's shortfalls (as GET /schedules/{id} lists them): how many jobs, how many GPU-h,
 * split by reason, e.g. whole-GPU rounding of fractional demand vs capacity.
 */
export function shortfallLine(shortfalls: readonly unknown[] | undefined, truncated = false): string {
  if (!shortfalls?.length) return 'shortfall: none — every job fully served';
  const byReason = new Map<string, number>();
  let gpuHours = 0;
  for (const s of shortfalls) {
    if (typeof s !== 'object' || s === null) continue;
    const { gpuHours: total, reasons } = s as { gpuHours?: unknown; reasons?: unknown };
    if (typeof total === 'number') gpuHours += total;
    for (const r of Array.isArray(reasons) ? (reasons as unknown[]) : []) {
      const { reason, gpuHours: h } = (r ?? {}) as { reason?: unknown; gpuHours?: unknown };
      if (typeof reason === 'string' && typeof h === 'number')
        byReason.set(reason, (byReason.get(reason) ?? 0) + h);
    }
  }
  const reasons = [...byReason.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, h]) => `${reason} ${fixed(h, h < 10 ? 2 : 0)}`)
    .join(', ');
  return `shortfall: ${shortfalls.length}${truncated ? '+' : ''} job(s), ${fixed(gpuHours, gpuHours < 10 ? 2 : 0)} GPU-h${reasons ? ` (${reasons})` : ''}`;
}
