import { costPerMillionTokens, savingsAgainst, type Figures, type Savings } from './figures.js';
import type { BacktestResult } from './rolling.js';

/** Where the inputs came from and how long the run took, for the report header. */
export interface ReportMeta {
  fleetFile: string;
  jobsFile: string;
  pricesDir: string;
  carbonDir: string | null;
  /** Which exchange-rate table(s) converted which years' prices; null = no conversion. */
  exchangeRates: string | null;
  /** Wall-clock time of loading + running, ms. */
  runtimeMs: number;
  /** Chart files (relative to the report) with their titles. */
  charts: { file: string; title: string }[];
  /** Other files written next to the report. */
  dataFiles: { file: string; what: string }[];
}

const formatters = new Map<number, Intl.NumberFormat>();

/** `x` with thousands separators and `decimals` decimals; '—' for null. */
export function fmt(x: number | null, decimals = 0): string {
  if (x === null || !Number.isFinite(x)) return '—';
  let f = formatters.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formatters.set(decimals, f);
  }
  const text = f.format(x);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** A percentage with 2 decimals, or '—'. */
export function fmtPct(x: number | null): string {
  return x === null ? '—' : `${fmt(x, 2)} %`;
}

function savingsText(s: Savings, currency: string): string {
  return `${fmt(s.amount, 2)} ${currency} (${fmtPct(s.pct)})`;
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ('l' | 'r')[],
): string {
  const rule = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function figureRows(columns: readonly Figures[], currency: string, carbonMeasured: boolean): string[][] {
  const row = (label: string, pick: (f: Figures) => number | null, decimals: number) => [
    label,
    ...columns.map((f) => fmt(pick(f), decimals)),
  ];
  return [
    row(`Total cost (${currency})`, (f) => f.totalCost, 2),
    row(`Energy cost (${currency})`, (f) => f.energyCost, 2),
    row(`Carbon cost (${currency})`, (f) => f.carbonCost, 2),
    row(`Penalty for unserved work (${currency})`, (f) => f.penaltyCost, 2),
    row('Energy (MWh)', (f) => f.energyMwh, 2),
    carbonMeasured
      ? row('Carbon (t CO₂, direct)', (f) => f.carbonTonnes, 3)
      : ['Carbon (t CO₂, direct)', ...columns.map(() => 'not measured')],
    row('Served (GPU-hours)', (f) => f.servedGpuHours, 1),
    row('Unserved (GPU-hours)', (f) => f.unservedGpuHours, 1),
    row('Tokens (millions)', (f) => f.tokensMillions, 0),
    row(`Cost per million tokens (${currency})`, (f) => costPerMillionTokens(f), 5),
  ];
}

/** report.md (pure): summary, totals, per-day table with a total row, where the work went, charts, method. */
export function reportMarkdown(result: BacktestResult, meta: ReportMeta): string {
  const c = result.currency;
  const o = result.options;
  const t = result.totals;
  const lastDay = result.days.at(-1)?.date ?? '';
  const vsHome = savingsAgainst(t.home, t.optimal);
  const vsGreedy = savingsAgainst(t.greedy, t.optimal);
  const rounding = t.wholeGpu.totalCost - t.optimal.totalCost;
  const carbonZones = result.zones.filter((z) => z.carbonGPerKwh !== null).map((z) => z.zone);
  const noCarbon = result.zones.filter((z) => z.carbonGPerKwh === null).map((z) => z.zone);
  const measured = carbonMeasured(result);
  const tonnes = (x: number, decimals: number) => (measured ? fmt(x, decimals) : '—');
  const perTokenLower = (baseline: Figures): string => {
    const base = costPerMillionTokens(baseline);
    const ours = costPerMillionTokens(t.optimal);
    return base === null || ours === null || base === 0
      ? '—'
      : fmtPct(((base - ours) / Math.abs(base)) * 100);
  };
  const lines: string[] = [];

  lines.push(`# gridshift backtest: ${result.days[0]?.date ?? ''} → ${lastDay}`);
  lines.push('');
  lines.push(
    `${result.days.length} day(s), step **${o.step}**, horizon ${o.horizonHours} h, ${t.solves} solves ` +
      `(${result.solvers.join(', ')}${t.fallbackSolves > 0 ? `, ${t.fallbackSolves} greedy fallback(s)` : ''}), ` +
      `runtime ${fmt(meta.runtimeMs / 1000, 1)} s. Currency ${c}; carbon price ${fmt(o.carbonPricePerTonne, 2)} ${c}/t` +
      `${!measured ? ' (carbon not measured)' : o.carbonPricePerTonne === 0 ? ' (carbon reported, not priced)' : ''}.`,
  );
  lines.push('');
  lines.push(
    `Inputs: fleet \`${meta.fleetFile}\` (${result.clusters.length} clusters), jobs \`${meta.jobsFile}\` ` +
      `(${result.jobs.length} jobs), prices \`${meta.pricesDir}\`${meta.exchangeRates ? ` converted with ${meta.exchangeRates}` : ''}, ` +
      `carbon ${meta.carbonDir ? `\`${meta.carbonDir}\` (${carbonZones.length ? carbonZones.join(', ') : 'no zone'})` : 'none (not measured)'}.`,
  );
  lines.push('');

  lines.push('## Summary');
  lines.push('');
  lines.push(
    `- **Optimal plan: ${fmt(t.optimal.totalCost, 2)} ${c}** for ${fmt(t.optimal.servedGpuHours, 0)} GPU-hours ` +
      `(${fmt(t.optimal.tokensMillions, 0)} million tokens, ${fmt(costPerMillionTokens(t.optimal), 5)} ${c} per million), ` +
      `${fmt(t.optimal.energyMwh, 1)} MWh, ` +
      (measured
        ? `${fmt(t.optimal.carbonTonnes, 2)} t CO₂${noCarbon.length ? ` (no carbon data for ${noCarbon.join(', ')})` : ''}, `
        : 'carbon not measured, ') +
      `${fmt(t.optimal.unservedGpuHours, 1)} GPU-hours unserved.`,
  );
  lines.push(
    `- **vs home** (each job in its home cluster at the earliest hours): saves ${savingsText(vsHome, c)}. ` +
      `Home costs ${fmt(t.home.energyCost, 2)} ${c} in energy (optimal ${fmt(t.optimal.energyCost, 2)}), ` +
      `${fmt(costPerMillionTokens(t.home), 5)} ${c} per million tokens (the optimal plan is ${perTokenLower(t.home)} lower per token), ` +
      `and leaves ${fmt(t.home.unservedGpuHours, 1)} GPU-hours unserved (penalty ${fmt(t.home.penaltyCost, 2)} ${c}).`,
  );
  lines.push(
    `- **vs greedy** (cheapest allowed cell first, least flexible job first): saves ${savingsText(vsGreedy, c)}; ` +
      `greedy energy ${fmt(t.greedy.energyCost, 2)} ${c}, ${fmt(costPerMillionTokens(t.greedy), 5)} ${c} per million tokens ` +
      `(${perTokenLower(t.greedy)} lower per token with the optimal plan), ${fmt(t.greedy.unservedGpuHours, 1)} GPU-hours unserved.`,
  );
  lines.push(
    `- **Whole GPUs**: the published schedule (rounded to whole GPUs) costs ${fmt(t.wholeGpu.totalCost, 2)} ${c}, ` +
      `${fmt(rounding, 2)} ${c} (${fmtPct(t.optimal.totalCost === 0 ? null : (rounding / Math.abs(t.optimal.totalCost)) * 100)}) above the optimum.`,
  );
  lines.push('');

  lines.push('## Totals');
  lines.push('');
  lines.push(
    table(
      ['', 'optimal', 'whole-GPU schedule', 'home', 'greedy'],
      figureRows([t.optimal, t.wholeGpu, t.home, t.greedy], c, measured),
    ),
  );
  lines.push('');
  lines.push(
    `Savings of the optimal plan: vs home ${savingsText(vsHome, c)}, vs greedy ${savingsText(vsGreedy, c)}.`,
  );
  lines.push('');

  lines.push('## Per day');
  lines.push('');
  const dayRows = result.days.map((d) => {
    const h = savingsAgainst(d.home, d.optimal);
    const g = savingsAgainst(d.greedy, d.optimal);
    return [
      d.date,
      fmt(d.optimal.totalCost, 2),
      fmt(d.optimal.energyMwh, 2),
      tonnes(d.optimal.carbonTonnes, 2),
      fmt(costPerMillionTokens(d.optimal), 5),
      fmt(d.optimal.unservedGpuHours, 1),
      fmt(d.home.totalCost, 2),
      fmt(h.amount, 2),
      fmtPct(h.pct),
      fmt(d.greedy.totalCost, 2),
      fmt(g.amount, 2),
      fmtPct(g.pct),
    ];
  });
  dayRows.push([
    '**total**',
    `**${fmt(t.optimal.totalCost, 2)}**`,
    `**${fmt(t.optimal.energyMwh, 2)}**`,
    measured ? `**${fmt(t.optimal.carbonTonnes, 2)}**` : 'not measured',
    `**${fmt(costPerMillionTokens(t.optimal), 5)}**`,
    `**${fmt(t.optimal.unservedGpuHours, 1)}**`,
    `**${fmt(t.home.totalCost, 2)}**`,
    `**${fmt(vsHome.amount, 2)}**`,
    `**${fmtPct(vsHome.pct)}**`,
    `**${fmt(t.greedy.totalCost, 2)}**`,
    `**${fmt(vsGreedy.amount, 2)}**`,
    `**${fmtPct(vsGreedy.pct)}**`,
  ]);
  lines.push(
    table(
      [
        'date',
        `cost (${c})`,
        'MWh',
        't CO₂',
        `${c}/M tokens`,
        'unserved GPU-h',
        `home (${c})`,
        'saved vs home',
        '%',
        `greedy (${c})`,
        'saved vs greedy',
        '%',
      ],
      dayRows,
    ),
  );
  lines.push('');
  lines.push(
    'Cost = energy + carbon (when priced) + penalties for unserved work. The same figures, with more columns, are in `daily.csv`.',
  );
  lines.push('');

  lines.push('## Where the work went');
  lines.push('');
  const clusterIds = result.clusters.map((cl) => cl.id);
  lines.push(
    table(
      ['job', 'kind', 'tier', 'demand GPU-h', 'unserved GPU-h', ...clusterIds],
      result.jobs.map((j) => [
        j.jobId,
        j.kind,
        j.tier,
        fmt(j.demandGpuHours, 0),
        fmt(j.unservedGpuHours, 1),
        ...clusterIds.map((id) => {
          const v = j.gpuHoursByCluster[id] ?? 0;
          return v > 0.05 ? fmt(v, 0) : '·';
        }),
      ]),
      ['l', 'l', 'l', 'r', 'r', ...clusterIds.map(() => 'r' as const)],
    ),
  );
  lines.push('');
  lines.push('GPU-hours of the optimal plan per job and cluster over the whole run.');
  lines.push('');

  lines.push('## Charts');
  lines.push('');
  for (const chart of meta.charts) {
    lines.push(`### ${chart.title}`);
    lines.push('');
    lines.push(`![${chart.title}](${chart.file})`);
    lines.push('');
  }

  lines.push('## Files');
  lines.push('');
  for (const f of meta.dataFiles) lines.push(`- [\`${f.file}\`](${f.file}): ${f.what}`);
  lines.push('');

  lines.push('## Method');
  lines.push('');
  lines.push(
    `- Rolling horizon: every ${o.step === 'day' ? 'UTC day' : 'hour'} the placement engine solves the next ${o.horizonHours} h ` +
      `(hourly slots) and the first ${o.step === 'day' ? '24 h are' : 'hour is'} committed; batch work done carries into the next solve. ` +
      'Prices are the historical curve, known in advance (as day-ahead prices are).',
    '- Jobs repeat every UTC day: interactive demand per hour from `tokensPerHour` or the trace profile (trace window h → UTC hour h); ' +
      'a batch job is due every day inside [windowStartHour, deadlineHour). GPU-hours = tokens ÷ (tokens/s per GPU × 3600).',
    "- Capacity: each cluster's GPUs minus its busy share at that local hour (`peakBusyShare`/`troughBusyShare` daily shape).",
    "- Energy = GPU-hours × kW per GPU × PUE; cost at the zone's price in the fleet currency; " +
      (measured
        ? 'carbon with the direct intensity of the zone (zones without carbon data count 0 t). '
        : 'carbon not measured (no carbon data). ') +
      "Unserved work is charged at its tier's penalty per GPU-hour.",
    '- The optimal plan is the LP optimum (fractional GPUs) of each solve; the whole-GPU schedule is the same plan rounded to whole ' +
      "GPUs as it would be published. Baselines are computed on each UTC day's problem with the same inputs: **home** runs each job " +
      'in its home cluster at the earliest hours of its window, **greedy** fills the cheapest allowed cells first.',
  );
  if (result.notes.length > 0) {
    lines.push('');
    lines.push('### Notes');
    lines.push('');
    for (const note of result.notes) lines.push(`- ${note}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** True when some zone had carbon data (false with `--carbon none`): carbon figures are then real, not zeros. */
export function carbonMeasured(result: Pick<BacktestResult, 'zones'>): boolean {
  return result.zones.some((z) => z.carbonGPerKwh !== null);
}

/** A few lines for the terminal: totals and savings against both baselines. */
export function summaryText(result: BacktestResult): string {
  const c = result.currency;
  const t = result.totals;
  const vsHome = savingsAgainst(t.home, t.optimal);
  const vsGreedy = savingsAgainst(t.greedy, t.optimal);
  return [
    `${result.days.length} day(s) ${result.days[0]?.date ?? ''} → ${result.days.at(-1)?.date ?? ''}, step ${result.options.step}, ${t.solves} solves`,
    `optimal cost ${fmt(t.optimal.totalCost, 2)} ${c} (${fmt(t.optimal.energyMwh, 1)} MWh, ` +
      (carbonMeasured(result) ? `${fmt(t.optimal.carbonTonnes, 2)} t CO₂, ` : '') +
      `${fmt(costPerMillionTokens(t.optimal), 5)} ${c}/M tokens, ${fmt(t.optimal.unservedGpuHours, 1)} GPU-h unserved)`,
    `vs home   ${fmt(t.home.totalCost, 2)} ${c}: saves ${savingsText(vsHome, c)}`,
    `vs greedy ${fmt(t.greedy.totalCost, 2)} ${c}: saves ${savingsText(vsGreedy, c)}`,
  ].join('\n');
}
