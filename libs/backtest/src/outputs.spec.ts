import { describe, expect, it } from 'vitest';
import { backtestCharts } from './charts.js';
import { csvDocument, csvField, csvNumber, dailyCsv, DAILY_CSV_HEADER, hourlyCsv } from './csv.js';
import { zeroFigures, type Figures } from './figures.js';
import { createProgressBar } from './progress.js';
import { fmt, reportMarkdown, summaryText } from './report.js';
import type { BacktestResult, DayFigures } from './rolling.js';
import { compactNumber, escapeXml, niceScale, timeChartSvg, timeTicks } from './svg.js';

const FROM = Date.parse('2023-03-01T00:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;

function figures(totalCost: number, extra: Partial<Figures> = {}): Figures {
  return {
    ...zeroFigures(),
    totalCost,
    energyCost: totalCost,
    energyMwh: totalCost / 100,
    tokensMillions: 10,
    tokenCost: totalCost,
    ...extra,
  };
}

/** Two days, two zones, one cluster: enough to exercise every writer without solving anything. */
function sampleResult(): BacktestResult {
  const days: DayFigures[] = [
    {
      date: '2023-03-01',
      optimal: figures(80),
      wholeGpu: figures(81),
      perfect: figures(75),
      home: figures(100),
      greedy: figures(90),
      solves: 1,
      fallbackSolves: 0,
      solveMs: 3,
    },
    {
      date: '2023-03-02',
      optimal: figures(60),
      wholeGpu: figures(60),
      perfect: figures(55),
      home: figures(100),
      greedy: figures(60),
      solves: 1,
      fallbackSolves: 0,
      solveMs: 2,
    },
  ];
  const hours = 48;
  return {
    options: { fromMs: FROM, toMs: FROM + 2 * DAY, step: 'day', horizonHours: 24, carbonPricePerTonne: 0 },
    information: {
      information: 'published',
      plans: 12,
      publicationPlans: 8,
      publishedZoneHours: 300,
      forecastZoneHours: 100,
      forecastMethod: 'profile',
      publication: [],
    },
    currency: 'USD',
    days,
    totals: {
      optimal: figures(140),
      wholeGpu: figures(141),
      perfect: figures(130),
      home: figures(200),
      greedy: figures(150),
      solves: 2,
      fallbackSolves: 0,
      solveMs: 5,
    },
    hourStartsMs: Array.from({ length: hours }, (_, h) => FROM + h * HOUR),
    zones: [
      {
        zone: 'DE-LU',
        sourceCurrency: 'EUR',
        pricePerMwh: Array.from({ length: hours }, (_, h) => 50 + (h % 24)),
        carbonGPerKwh: null,
      },
      {
        zone: 'A&B <test>',
        sourceCurrency: 'USD',
        pricePerMwh: Array.from({ length: hours }, () => -5),
        carbonGPerKwh: Array.from({ length: hours }, () => 300),
      },
    ],
    clusters: [
      {
        id: 'fra-1',
        zone: 'DE-LU',
        schedulableGpus: Array.from({ length: hours }, () => 10),
        gpus: Array.from({ length: hours }, () => 4),
        gpuHours: Array.from({ length: hours }, () => 3.5),
      },
    ],
    jobs: [
      {
        jobId: 'chat',
        kind: 'interactive',
        tier: 'critical',
        demandGpuHours: 168,
        servedGpuHours: 168,
        unservedGpuHours: 0,
        tokensMillions: 20,
        gpuHoursByCluster: { 'fra-1': 168 },
      },
    ],
    solvers: ['polymatroid-flow'],
    notes: ['a note'],
  };
}

describe('CSV writers', () => {
  it.each([
    { x: 1.005, d: 2, want: '1.00' }, // binary 1.00499… rounds down
    { x: -0.0001, d: 2, want: '0.00' }, // never "-0.00"
    { x: -1.5, d: 1, want: '-1.5' },
    { x: null, d: 2, want: '' },
    { x: Number.NaN, d: 2, want: '' },
  ])('csvNumber($x, $d) = "$want"', ({ x, d, want }) => {
    expect(csvNumber(x, d)).toBe(want);
  });

  it('quotes fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvDocument(['a', 'b'], [['1', 'x,y']])).toBe('a,b\n1,"x,y"\n');
  });

  it('daily.csv has the header and one row per day with savings', () => {
    const lines = dailyCsv(sampleResult()).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(DAILY_CSV_HEADER.join(','));
    const row = Object.fromEntries(DAILY_CSV_HEADER.map((h, i) => [h, lines[1]?.split(',')[i]]));
    // home 100 − optimal 80 = 20 (20 %); greedy 90 − 80 = 10 (11.111 %)
    expect(row).toMatchObject({
      date: '2023-03-01',
      currency: 'USD',
      total_cost: '80.00',
      whole_gpu_total_cost: '81.00',
      savings_vs_home: '20.00',
      savings_vs_home_pct: '20.000',
      savings_vs_greedy: '10.00',
      savings_vs_greedy_pct: '11.111',
      cost_per_million_tokens: '8.000000', // 80 ÷ 10 million tokens
    });
  });

  it('hourly.csv has one row per hour and cluster', () => {
    const lines = hourlyCsv(sampleResult()).trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 48);
    expect(lines[1]).toBe('2023-03-01T00:00:00Z,fra-1,DE-LU,50.00,,10,4,3.500');
  });
});

describe('SVG charts', () => {
  it.each([
    { min: 0, max: 95, want: { lo: 0, hi: 100, step: 20 } }, // raw 95/6 ≈ 15.8 → 20
    { min: -4.2, max: 251, want: { lo: -50, hi: 300, step: 50 } }, // raw ≈ 42.5 → 50
    { min: 0, max: 0, want: { lo: -1, hi: 1, step: 0.5 } }, // flat zero padded to ±1
    { min: 0, max: 3.5e7, want: { lo: 0, hi: 4e7, step: 1e7 } }, // raw ≈ 5.8e6 → 1e7
  ])('niceScale($min, $max)', ({ min, max, want }) => {
    expect(niceScale(min, max)).toEqual(want);
  });

  it('formats ticks and escapes text', () => {
    expect([0, 12.5, 1500, 25_000, 3.5e7, -2e9].map(compactNumber)).toEqual([
      '0',
      '12.5',
      '1500',
      '25k',
      '35M',
      '-2G',
    ]);
    expect(escapeXml(`a<b & "c"`)).toBe('a&lt;b &amp; &quot;c&quot;');
    expect(timeTicks(FROM, FROM + 14 * DAY).map((t) => t.label)).toEqual([
      '03-01',
      '03-03',
      '03-05',
      '03-07',
      '03-09',
      '03-11',
      '03-13',
      '03-15',
    ]);
    expect(timeTicks(FROM, FROM + 6 * HOUR)[1]?.label).toBe('03-01 01:00');
  });

  it('draws lines with gaps as separate subpaths and stacks as closed areas', () => {
    const svg = timeChartSvg({
      title: 'T & t',
      xMs: [FROM, FROM + HOUR, FROM + 2 * HOUR, FROM + 3 * HOUR],
      panels: [
        { yLabel: 'y', kind: 'lines', series: [{ name: 'gappy', values: [1, null, 3, 4] }] },
        {
          yLabel: 'y',
          kind: 'stacked',
          series: [
            { name: 's1', values: [1, 1, 1, 1] },
            { name: 's2', values: [2, 2, 2, 2] },
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<title>T &amp; t</title>');
    const paths = [...svg.matchAll(/<path class="series" data-series="([^"]+)" d="([^"]+)"/g)];
    expect(paths.map((m) => m[1])).toEqual(['gappy', 's1', 's2']);
    expect(paths[0]?.[2]?.match(/M/g)).toHaveLength(2); // the null breaks the line
    expect(paths[1]?.[2]?.endsWith('Z')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('produces the four report charts, each with data paths', () => {
    const charts = backtestCharts(sampleResult());
    expect(charts.map((c) => c.file)).toEqual([
      'prices.svg',
      'gpu-hours.svg',
      'cumulative-savings.svg',
      'daily-cost.svg',
    ]);
    for (const chart of charts) {
      expect(chart.svg).toContain('<svg');
      expect(chart.svg).toMatch(/<path class="series"[^>]* d="M[\d.-]+,[\d.-]+L/);
    }
    expect(charts[0]?.svg).toContain('A&amp;B &lt;test&gt;');
  });
});

describe('report', () => {
  it('summarises totals, savings, days, jobs, charts and notes', () => {
    const md = reportMarkdown(sampleResult(), {
      fleetFile: 'fleet.yaml',
      jobsFile: 'jobs.yaml',
      pricesDir: 'prices',
      carbonDir: null,
      exchangeRates: null,
      runtimeMs: 1234,
      charts: [{ file: 'prices.svg', title: 'Prices' }],
      dataFiles: [{ file: 'daily.csv', what: 'per day' }],
    });
    expect(md).toContain('# gridshift backtest: 2023-03-01 → 2023-03-02');
    // home 200 − 140 = 60 (30 %); greedy 150 − 140 = 10 (6.67 %)
    expect(md).toContain('saves 60.00 USD (30.00 %)');
    expect(md).toContain('saves 10.00 USD (6.67 %)');
    expect(md).toContain('| 2023-03-02 | 60.00 |');
    expect(md).toContain('| **total** | **140.00** |');
    expect(md).toContain('![Prices](prices.svg)');
    expect(md).toContain('- a note');
    expect(md).toContain('runtime 1.2 s');
    // perfect foresight saves 200 − 130 = 70; the published plan captures 60 ÷ 70 = 85.71 %
    expect(md).toContain('captures **85.71 %**');
    expect(md).toContain('25.00 %'); // 100 of 400 zone-hours forecast
    const text = summaryText(sampleResult());
    expect(text).toContain('vs greedy saves 10.00 USD (6.67 %)');
    expect(text).toContain('the published plan captures 85.71 %');
  });

  it('never shows a saving against a baseline that served less work', () => {
    const result = sampleResult();
    // Home served 90 GPU-hours of the plan's 100 for less money: not comparable, on the day and in the totals.
    const served = (f: Figures, gpuHours: number) => ({ ...f, servedGpuHours: gpuHours });
    result.days[0] = {
      ...result.days[0]!,
      optimal: served(result.days[0]!.optimal, 100),
      home: served(figures(50), 90),
    };
    result.totals = {
      ...result.totals,
      optimal: served(result.totals.optimal, 100),
      home: served(figures(50), 90),
    };
    const md = reportMarkdown(result, {
      fleetFile: 'f',
      jobsFile: 'j',
      pricesDir: 'p',
      carbonDir: null,
      exchangeRates: null,
      runtimeMs: 1,
      charts: [],
      dataFiles: [],
    });
    expect(md).toContain(
      'vs home** (home cluster first, spill to the nearest allowed cluster, no prices): saves not comparable: the baseline serves 10.0 GPU-hours less',
    );
    expect(md).toMatch(/\| 2023-03-01 \|[^\n]*\| n\/c \| n\/c \|/);
    expect(summaryText(result)).toContain('vs home   saves not comparable');
    expect(fmt(-0.001, 2)).toBe('0.00');
    expect(fmt(1234567.891, 1)).toBe('1,234,567.9');
  });
});

describe('progress bar', () => {
  const step = (done: number) => ({
    done,
    total: 20,
    stepStartUtc: new Date(FROM + done * HOUR).toISOString(),
  });

  it('prints a plain line per 10 % when not a TTY', () => {
    const out: string[] = [];
    const bar = createProgressBar({ isTTY: false, write: (t) => out.push(t) }, 'bt');
    for (let i = 1; i <= 20; i++) bar.update(step(i));
    bar.finish();
    expect(out).toHaveLength(11); // 5 %, then every 10 % up to 100 %
    expect(out.at(-1)).toMatch(/^bt: 100% \(20\/20 steps, at 2023-03-01 20:00Z, \d+s elapsed\)\n$/);
  });

  it('redraws one line on a TTY, throttled, and ends it with a newline', () => {
    const out: string[] = [];
    let clock = 0;
    const bar = createProgressBar({ isTTY: true, columns: 200, write: (t) => out.push(t) }, 'bt', {
      now: () => clock,
      minIntervalMs: 100,
    });
    bar.update(step(1)); // drawn
    bar.update(step(2)); // throttled (same instant)
    clock = 500;
    bar.update(step(10)); // drawn, 50 %, ETA = 0.5 s elapsed for half → 0.5 s
    bar.update(step(20)); // final always drawn
    bar.finish();
    expect(out).toHaveLength(4);
    expect(out[1]).toContain('[##############--------------]  50% 10/20 eta 1s · 2023-03-01 10:00Z');
    expect(out[0]?.startsWith('\r')).toBe(true);
    expect(out.at(-1)).toBe('\n');
  });
});

describe('charts share the x range', () => {
  /** `days` days of the sample's shape, for the daily-means path (> 62 days). */
  function longResult(days: number): BacktestResult {
    const r = sampleResult();
    const hours = days * 24;
    const day = r.days[0] as DayFigures;
    return {
      ...r,
      options: { ...r.options, toMs: FROM + days * DAY },
      days: Array.from({ length: days }, (_, d) => ({
        ...day,
        date: new Date(FROM + d * DAY).toISOString().slice(0, 10),
      })),
      hourStartsMs: Array.from({ length: hours }, (_, h) => FROM + h * HOUR),
      zones: r.zones.map((z) => ({ ...z, pricePerMwh: Array.from({ length: hours }, () => 50) })),
      clusters: r.clusters.map((c) => ({
        ...c,
        schedulableGpus: Array.from({ length: hours }, () => 10),
        gpus: Array.from({ length: hours }, () => 4),
        gpuHours: Array.from({ length: hours }, () => 3.5),
      })),
    };
  }

  it.each([
    { name: 'hourly (2 days)', result: sampleResult(), to: '2023-03-03T00:00:00.000Z' },
    { name: 'daily means (70 days)', result: longResult(70), to: '2023-05-10T00:00:00.000Z' },
  ])('every chart and panel spans [from, to): $name', ({ result, to }) => {
    const extents = backtestCharts(result).flatMap((chart) =>
      [...chart.svg.matchAll(/<rect class="plot" data-x-from="([^"]+)" data-x-to="([^"]+)"/g)].map(
        (m) => `${chart.file} ${m[1]} → ${m[2]}`,
      ),
    );
    const span = `2023-03-01T00:00:00.000Z → ${to}`;
    expect(extents).toEqual([
      `prices.svg ${span}`,
      `gpu-hours.svg ${span}`,
      `cumulative-savings.svg ${span}`,
      `cumulative-savings.svg ${span}`,
      `daily-cost.svg ${span}`,
      `daily-cost.svg ${span}`,
    ]);
  });
});

describe('carbon not measured (--carbon none)', () => {
  const noCarbon = (): BacktestResult => {
    const r = sampleResult();
    return { ...r, zones: r.zones.map((z) => ({ ...z, carbonGPerKwh: null })) };
  };
  const meta = {
    fleetFile: 'fleet.yaml',
    jobsFile: 'jobs.yaml',
    pricesDir: 'prices',
    carbonDir: null,
    exchangeRates: null,
    runtimeMs: 1,
    charts: [],
    dataFiles: [],
  };

  it('prints no carbon figure in the summary text', () => {
    expect(summaryText(noCarbon())).not.toContain('CO₂');
    expect(summaryText(noCarbon()).split('\n')[2]).toBe(
      'gridshift (pub.)   energy 140.00 USD, served 0 GPU-h, unserved 0.0 GPU-h (penalty 0.00 USD)',
    );
    expect(summaryText(sampleResult())).toContain('energy 140.00 USD, 0.00 t CO₂, ');
  });

  it('says "not measured" in report.md and leaves the carbon_t cells of daily.csv empty', () => {
    const md = reportMarkdown(noCarbon(), meta);
    expect(md).not.toMatch(/\d t CO₂/); // no "0.00 t CO₂" anywhere
    expect(md).toContain(
      '| Carbon (t CO₂, direct) | not measured | not measured | not measured | not measured | not measured |',
    );
    expect(md).toContain('| 2023-03-01 | 80.00 | 0.80 | — |');
    expect(md).toContain('| **total** | **140.00** | **1.40** | not measured |');
    expect(md).toContain('carbon none (not measured)');
    const [header, row] = dailyCsv(noCarbon()).split('\n');
    const cells = Object.fromEntries(
      (header ?? '').split(',').map((name, i) => [name, (row ?? '').split(',')[i]]),
    );
    expect([cells.carbon_t, cells.perfect_carbon_t, cells.home_carbon_t, cells.greedy_carbon_t]).toEqual([
      '',
      '',
      '',
      '',
    ]);
    expect(cells.carbon_cost).toBe('0.00'); // not priced: a real zero
  });

  it('says which exchange-rate tables converted which years', () => {
    const md = reportMarkdown(sampleResult(), {
      ...meta,
      exchangeRates: '`data/fx-2023.json` (2023 rates) for 2023',
    });
    expect(md).toContain(
      'prices `prices` converted with `data/fx-2023.json` (2023 rates) for 2023, carbon none',
    );
  });
});

describe('progress: loading phases', () => {
  it('prints each loading phase with its time and starts the ETA clock when planning begins', () => {
    const out: string[] = [];
    let clock = 0;
    const bar = createProgressBar({ isTTY: true, columns: 200, write: (t) => out.push(t) }, 'bt', {
      now: () => clock,
      minIntervalMs: 0,
    });
    bar.loading('prices');
    bar.loaded('prices', 2500, '8 zones');
    clock = 10_000; // 10 s of loading must not count into the ETA
    bar.start();
    clock = 11_000;
    bar.update({ done: 10, total: 20, stepStartUtc: '2023-03-01T10:00:00.000Z' });
    expect(out.slice(0, 2)).toEqual(['bt: loading prices … ', '2.5 s (8 zones)\n']);
    expect(out[2]).toContain('50% 10/20 eta 1s'); // 1 s for half → 1 s left (not 11 s)
  });
});
