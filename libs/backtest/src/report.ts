// The backtest's human-readable outputs (report.md, the terminal summary, number formatting) in one file: every
// figure they print comes from the same BacktestResult, so the wording of savings and comparisons lives in one place.
import { compare, costPerMillionTokens, savingsAgainst, type Figures, type Savings } from './figures.js';
import { dearerDays, type BacktestResult } from './rolling.js';

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

/** A saving, or why there is none: a baseline that serves less work is never shown as a saving. */
export function savingsText(s: Savings, currency: string): string {
  if (!s.comparable)
    return `not comparable: the baseline serves ${fmt(s.servedGpuHours - s.baselineServedGpuHours, 1)} GPU-hours less`;
  return `${fmt(s.amount, 2)} ${currency} (${fmtPct(s.pct)})`;
}

/** Short cell for tables: amount, or `n/c` (not comparable: the baseline served less). */
function savedCell(s: Savings): [string, string] {
  return s.comparable ? [fmt(s.amount, 2), fmtPct(s.pct)] : ['n/c', 'n/c'];
}

function planLabel(result: BacktestResult): string {
  return result.information.information === 'published'
    ? 'published-information plan'
    : 'perfect-foresight plan';
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
  const { vsHome, vsGreedy, perfectVsHome, captureVsHome } = compare(t);
  const published = result.information.information === 'published';
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
    published
      ? `Information: **published** — each plan knows a price only from its market's publication (${result.information.publicationPlans} of ` +
          `${result.information.plans} plans ran right after a publication); beyond the last published hour it uses the ` +
          `\`${result.information.forecastMethod ?? ''}\` forecast (${fmtPct(share(result))} of the zone-hours planned on were forecast). ` +
          'Every plan is costed at the actual prices.'
      : 'Information: **perfect** — every plan knows all future prices (hindsight: an upper bound on what a planner can save).',
  );
  lines.push('');
  lines.push(
    table(
      [
        'on the same work',
        'served GPU-h',
        'unserved GPU-h',
        `energy ${c}`,
        `carbon ${c}`,
        `penalty ${c}`,
        't CO₂',
        `${c}/M tokens`,
      ],
      [
        ...(published ? [['perfect-foresight optimum', t.perfect] as const] : []),
        [planLabel(result), t.optimal] as const,
        ['home (no gridshift)', t.home] as const,
        ['greedy', t.greedy] as const,
      ].map(([label, f]) => [
        label,
        fmt(f.servedGpuHours, 0),
        fmt(f.unservedGpuHours, 1),
        fmt(f.energyCost, 2),
        fmt(f.carbonCost, 2),
        fmt(f.penaltyCost, 2),
        tonnes(f.carbonTonnes, 2),
        fmt(costPerMillionTokens(f), 5),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push('');
  lines.push(
    `- **vs home** (home cluster first, spill to the nearest allowed cluster, no prices): saves ${savingsText(vsHome, c)}.`,
  );
  lines.push(
    `- **vs greedy** (cheapest allowed cell first${published ? ', same published prices and forecast' : ''}): saves ${savingsText(vsGreedy, c)}.`,
  );
  if (published)
    lines.push(
      `- **Capture**: the perfect-foresight optimum saves ${savingsText(perfectVsHome, c)} vs home; the published-information plan ` +
        `captures **${captureVsHome === null ? '—' : fmtPct(captureVsHome * 100)}** of it.`,
    );
  lines.push(
    `- **Whole GPUs**: the published schedule (rounded to whole GPUs) costs ${fmt(t.wholeGpu.totalCost, 2)} ${c}, ` +
      `${fmt(rounding, 2)} ${c} (${fmtPct(t.optimal.totalCost === 0 ? null : (rounding / Math.abs(t.optimal.totalCost)) * 100)}) above the LP plan.`,
  );
  lines.push(`- **Per day**: ${dearerDaysText(result)}`);
  if (noCarbon.length > 0 && carbonZones.length > 0)
    lines.push(`- No carbon data for ${noCarbon.join(', ')}: their work counts 0 t CO₂.`);
  lines.push(
    `- Per token: ${fmt(costPerMillionTokens(t.optimal), 5)} ${c} per million tokens with gridshift, home ${perTokenLower(t.home)} and greedy ${perTokenLower(t.greedy)} more expensive per token.`,
  );
  lines.push('');

  lines.push('## Totals');
  lines.push('');
  lines.push(
    table(
      ['', ...(published ? ['perfect foresight'] : []), 'plan', 'whole-GPU schedule', 'home', 'greedy'],
      figureRows([...(published ? [t.perfect] : []), t.optimal, t.wholeGpu, t.home, t.greedy], c, measured),
    ),
  );
  lines.push('');
  lines.push(
    `Savings of the plan: vs home ${savingsText(vsHome, c)}, vs greedy ${savingsText(vsGreedy, c)}. ` +
      'A saving compares energy + carbon + penalty cost only when the baseline serves at least as much work; ' +
      "the percentage is of the baseline's energy + carbon cost.",
  );
  lines.push('');

  lines.push('## Per day');
  lines.push('');
  const dayRows = result.days.map((d) => {
    const [hAmount, hPct] = savedCell(savingsAgainst(d.home, d.optimal));
    const [gAmount, gPct] = savedCell(savingsAgainst(d.greedy, d.optimal));
    return [
      d.date,
      fmt(d.optimal.totalCost, 2),
      fmt(d.optimal.energyMwh, 2),
      tonnes(d.optimal.carbonTonnes, 2),
      fmt(costPerMillionTokens(d.optimal), 5),
      fmt(d.optimal.unservedGpuHours, 1),
      fmt(d.home.totalCost, 2),
      hAmount,
      hPct,
      fmt(d.greedy.totalCost, 2),
      gAmount,
      gPct,
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
    ...savedCell(vsHome).map((x) => `**${x}**`),
    `**${fmt(t.greedy.totalCost, 2)}**`,
    ...savedCell(vsGreedy).map((x) => `**${x}**`),
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
    'Cost = energy + carbon (when priced) + penalties for unserved work. A day counts its own work: interactive hours of the day ' +
      'and batch work released that day, wherever and whenever it ran. `n/c`: the baseline served less work that day (not a ' +
      'like-for-like saving). The same figures, with more columns, are in `daily.csv`.',
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
    `- Rolling horizon: ${o.step === 'day' ? `a plan every day at ${String(o.planHourUtc ?? 13).padStart(2, '0')}:00 UTC${published ? ' and on the hour after each publication of a market the fleet uses' : ''}` : 'a plan every hour'}, ` +
      `each solving the next ${o.horizonHours} h (hourly slots) and committing the hours up to the next plan; each plan carries its own batch progress.`,
    published
      ? '- Published information: a price is known from its publication time (' +
          result.information.publication
            .map(
              (p) =>
                `${p.zone} ${String(p.rule.hour).padStart(2, '0')}:${String(p.rule.minute).padStart(2, '0')} ${p.rule.timeZone}`,
            )
            .join(', ') +
          ') for the next local day; beyond that the forecast from earlier prices only. Greedy plans on the same prices; home uses none.'
      : '- Perfect information: every plan knows the historical prices of its whole horizon.',
    '- Jobs repeat every UTC day: interactive demand per hour from `tokensPerHour` or the trace profile (trace window h → UTC hour h); ' +
      'a batch job is released every day at windowStartHour (or every `releaseEveryHours`) with its own window. GPU-hours = tokens ÷ (tokens/s per GPU × 3600). ' +
      "Problems are built by the planner's own conversion (`buildPlacementProblem`).",
    "- Capacity: each cluster's GPUs minus its busy share at that local hour (`peakBusyShare`/`troughBusyShare` daily shape).",
    "- Energy = GPU-hours × kW per GPU × PUE; cost at the zone's actual price in the fleet currency; " +
      (measured
        ? 'carbon with the direct intensity of the zone (zones without carbon data count 0 t). '
        : 'carbon not measured (no carbon data). ') +
      "Unserved work is charged at its tier's penalty per GPU-hour.",
    '- The plan is the LP optimum (fractional GPUs) of each solve; the whole-GPU schedule is the same plan rounded to whole ' +
      'GPUs as it would be published. Home and greedy are simulated the same way on the same jobs, windows and capacity, each with its own progress: ' +
      '**home** runs each job in its home cluster and spills what does not fit to its other allowed clusters by latency from its origin (no prices), ' +
      'batch as early as possible; **greedy** fills the cheapest allowed cells first.',
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

function share(result: BacktestResult): number | null {
  const all = result.information.publishedZoneHours + result.information.forecastZoneHours;
  return all === 0 ? null : (result.information.forecastZoneHours / all) * 100;
}

/**
 * The per-day comparison in words: days on which gridshift's plan cost more than a baseline on the day's own
 * work (legitimate: see libs/backtest/README.md "Per day"), and the plans checked against both baselines on
 * their own problem (never dearer unless something is wrong).
 */
export function dearerDaysText(result: BacktestResult): string {
  const d = dearerDays(result.days);
  const same = result.totals.samePlan;
  const sameText = same
    ? ` On its own problem (same horizon, remaining work and prices it knew) each of the ${fmt(same.plans)} plans ` +
      `cost ${same.dearerThanHome + same.dearerThanGreedy === 0 ? 'no more than home and greedy' : `more than home ${fmt(same.dearerThanHome)} and than greedy ${fmt(same.dearerThanGreedy)} time(s) — a bug`}.`
    : '';
  return (
    `gridshift's plan cost more than home on ${fmt(d.vsHome)} and more than greedy on ${fmt(d.vsGreedy)} of ` +
    `${fmt(d.days)} days (each day's own work at actual prices; a plan may pay more for one day's work to save ` +
    `more on a neighbouring day's).${sameText}`
  );
}

/** A few lines for the terminal: each plan on the same work, savings and (published) the capture share. */
export function summaryText(result: BacktestResult): string {
  const c = result.currency;
  const t = result.totals;
  const { vsHome, vsGreedy, perfectVsHome, captureVsHome } = compare(t);
  const published = result.information.information === 'published';
  const carbon = carbonMeasured(result);
  const line = (label: string, f: Figures) =>
    `${label.padEnd(18)} energy ${fmt(f.energyCost, 2)} ${c}` +
    (carbon ? `, ${fmt(f.carbonTonnes, 2)} t CO₂` : '') +
    `, served ${fmt(f.servedGpuHours, 0)} GPU-h, unserved ${fmt(f.unservedGpuHours, 1)} GPU-h (penalty ${fmt(f.penaltyCost, 2)} ${c})`;
  return [
    `${result.days.length} day(s) ${result.days[0]?.date ?? ''} → ${result.days.at(-1)?.date ?? ''}, ` +
      `${result.information.information} information, horizon ${result.options.horizonHours} h, ${t.solves} plans`,
    ...(published ? [line('perfect foresight', t.perfect)] : []),
    line(published ? 'gridshift (pub.)' : 'gridshift', t.optimal),
    line('home', t.home),
    line('greedy', t.greedy),
    `vs home   saves ${savingsText(vsHome, c)}`,
    `vs greedy saves ${savingsText(vsGreedy, c)}`,
    `days dearer than home ${fmt(dearerDays(result.days).vsHome)}, than greedy ${fmt(dearerDays(result.days).vsGreedy)} of ${fmt(result.days.length)}` +
      (result.totals.samePlan
        ? `; plans dearer on their own problem: ${fmt(result.totals.samePlan.dearerThanHome + result.totals.samePlan.dearerThanGreedy)} of ${fmt(result.totals.samePlan.plans)}`
        : ''),
    ...(published
      ? [
          `perfect foresight saves ${savingsText(perfectVsHome, c)} vs home; the published plan captures ${captureVsHome === null ? '—' : fmtPct(captureVsHome * 100)}`,
        ]
      : []),
  ].join('\n');
}
