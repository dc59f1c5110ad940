import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DAILY_CSV_HEADER,
  runBacktestFromFiles,
  zeroFigures,
  type BacktestResult,
  type BacktestRunOptions,
  type Figures,
} from '#gridshift/backtest';
import { findDataDir } from '#gridshift/datasets';
import { repoRoot } from '../support/processes.js';

// The backtest needs no Kafka or PostgreSQL: it reads the shipped real data (data/) and writes a report folder.

const data = findDataDir(repoRoot);
const FROM = Date.parse('2023-03-01T00:00:00Z');
const TO = Date.parse('2023-03-15T00:00:00Z'); // exclusive: 14 days
const CHARTS = ['prices.svg', 'gpu-hours.svg', 'cumulative-savings.svg', 'daily-cost.svg'];

function options(outDir: string, overrides: Partial<BacktestRunOptions> = {}): BacktestRunOptions {
  return {
    fleetFile: join(data, 'demo/fleet.yaml'),
    jobsFile: join(data, 'demo/jobs.yaml'),
    pricesDir: join(data, 'prices'),
    carbonDir: join(data, 'carbon'),
    fx: { file: join(data, 'fx-2023.json') },
    dataDir: data,
    outDir,
    fromMs: FROM,
    toMs: TO,
    step: 'day',
    horizonHours: 24,
    carbonPricePerTonne: 0,
    // Hindsight prices and one plan a day at midnight: each day is one problem, so the optimum is ≤ both baselines.
    information: 'perfect',
    planHourUtc: 0,
    ...overrides,
  };
}

/** Well-formedness of the SVG subset we write: one root <svg>, every tag closed in order, attributes quoted. */
function parseSvg(text: string): { tags: Map<string, number> } {
  const tags = new Map<string, number>();
  const stack: string[] = [];
  const body = text.trim();
  if (!body.startsWith('<svg ') || !body.endsWith('</svg>')) throw new Error('not an <svg> document');
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<[^>]*>/g)) {
    const [whole, closing, name, , selfClosing] = match;
    if (name === undefined) throw new Error(`malformed tag ${whole}`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`unexpected </${name}>`);
    } else {
      tags.set(name, (tags.get(name) ?? 0) + 1);
      if (!selfClosing) stack.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  return { tags };
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trimEnd().split('\n');
  const names = header?.split(',') ?? [];
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i] ?? '', v])));
}

describe('backtest on the shipped two-week slice (2023-03-01..2023-03-15, demo fleet and jobs, perfect information)', () => {
  let out: string;
  let result: BacktestResult;
  let files: string[];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'gridshift-backtest-'));
    ({ result, files } = await runBacktestFromFiles(options(out)));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('has one figure set per day and totals that equal the sum of the daily figures', () => {
    expect(result.days.map((d) => d.date)).toEqual(
      Array.from({ length: 14 }, (_, i) => new Date(FROM + i * 86_400_000).toISOString().slice(0, 10)),
    );
    for (const key of Object.keys(zeroFigures()) as (keyof Figures)[]) {
      for (const which of ['optimal', 'wholeGpu', 'home', 'greedy'] as const) {
        const sum = result.days.reduce((s, d) => s + d[which][key], 0);
        expect(result.totals[which][key], `${which}.${key}`).toBeCloseTo(sum, 6);
      }
    }
    expect(result.totals.solves).toBe(14);
    expect(result.totals.fallbackSolves).toBe(0);
    expect(result.totals.optimal.energyMwh).toBeGreaterThan(0);
    expect(result.totals.optimal.carbonTonnes).toBeGreaterThan(0);
    expect(result.totals.optimal.tokensMillions).toBeGreaterThan(0);
  });

  it('never lets the optimal cost exceed either baseline on any day', () => {
    for (const d of result.days) {
      expect(d.optimal.totalCost, d.date).toBeLessThanOrEqual(d.home.totalCost * (1 + 1e-9));
      expect(d.optimal.totalCost, d.date).toBeLessThanOrEqual(d.greedy.totalCost * (1 + 1e-9));
    }
  });

  it('writes daily.csv with one row per day whose columns add up to the totals', () => {
    const rows = parseCsv(readFileSync(join(out, 'daily.csv'), 'utf8'));
    expect(rows).toHaveLength(14);
    expect(Object.keys(rows[0] ?? {})).toEqual([...DAILY_CSV_HEADER]);
    const sum = (column: string) => rows.reduce((s, r) => s + Number(r[column]), 0);
    // Each cell is rounded to 0.01, so 14 cells may drift by 14 × 0.005.
    expect(Math.abs(sum('total_cost') - result.totals.optimal.totalCost)).toBeLessThanOrEqual(0.07);
    expect(Math.abs(sum('home_total_cost') - result.totals.home.totalCost)).toBeLessThanOrEqual(0.07);
    expect(Math.abs(sum('greedy_total_cost') - result.totals.greedy.totalCost)).toBeLessThanOrEqual(0.07);
    for (const r of rows) expect(Number(r.savings_vs_greedy)).toBeGreaterThanOrEqual(0);
    const hourly = readFileSync(join(out, 'hourly.csv'), 'utf8').trimEnd().split('\n');
    expect(hourly).toHaveLength(1 + 14 * 24 * 8); // header + hours × clusters
  });

  it('writes every chart as a non-empty, well-formed SVG with data paths', () => {
    for (const chart of CHARTS) {
      const path = join(out, chart);
      expect(files).toContain(path);
      expect(statSync(path).size, chart).toBeGreaterThan(1000);
      const svg = readFileSync(path, 'utf8');
      const { tags } = parseSvg(svg);
      expect(tags.get('svg')).toBe(1);
      const series = [...svg.matchAll(/<path class="series"[^>]* d="([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(series.length, chart).toBeGreaterThan(0);
      for (const d of series) expect(d).toMatch(/^M-?[\d.]+,-?[\d.]+(L-?[\d.]+,-?[\d.]+)+/);
    }
    const prices = readFileSync(join(out, 'prices.svg'), 'utf8');
    for (const zone of ['DE-LU', 'FR', 'NL', 'ES', 'GB', 'US-CAL-CISO', 'US-TEX-ERCO', 'US-NY-NYIS'])
      expect(prices).toContain(`data-series="${zone}"`);
  });

  it('writes report.md with the summary, per-day table and embedded charts, and summary.json', () => {
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('# gridshift backtest: 2023-03-01 → 2023-03-14');
    for (const heading of [
      '## Summary',
      '## Totals',
      '## Per day',
      '## Where the work went',
      '## Charts',
      '## Method',
    ])
      expect(report).toContain(heading);
    for (const chart of CHARTS) expect(report).toContain(`](${chart})`);
    expect(report.match(/^\| 2023-03-\d\d \|/gm)).toHaveLength(14);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      totals: { optimal: Figures };
    };
    expect(summary.totals.optimal.totalCost).toBeCloseTo(result.totals.optimal.totalCost, 6);
  });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function backtestCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/scripts/backtest.js', ...args],
      { cwd: repoRoot, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The March slice and the roomy demo fleet (the CLI's defaults are the full year and the capacity-binds scenario). */
const demoData = [
  '--fleet',
  join(data, 'demo/fleet.yaml'),
  '--jobs',
  join(data, 'demo/jobs.yaml'),
  '--prices',
  join(data, 'prices'),
  '--carbon',
  join(data, 'carbon'),
];

describe('backtest CLI (dist/scripts/backtest.js)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gridshift-backtest-cli-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('re-plans hour by hour with carbon priced, shows progress and writes the report', async () => {
    const out = join(tmp, 'hourly');
    const run = await backtestCli([
      ...demoData,
      '--from',
      '2023-03-01',
      '--to',
      '2023-03-03',
      '--step',
      'hour',
      '--carbon-price',
      '80',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      '2 day(s) 2023-03-01 → 2023-03-02, published information, horizon 48 h, 48 plans',
    );
    for (const plan of ['perfect foresight', 'gridshift (pub.)', 'home', 'greedy'])
      expect(run.stdout).toMatch(
        new RegExp(`^${plan.replace(/[()]/g, '\\$&')} +energy .* served .* unserved`, 'm'),
      );
    expect(run.stdout).toMatch(/^vs home +saves /m);
    expect(run.stdout).toMatch(/^vs greedy saves /m);
    expect(run.stdout).toMatch(/the published plan captures/);
    // 72 hourly plan times (the range and the 24 h until its last batch releases are due) × 4 simulations;
    // plain progress lines: stderr is not a TTY
    expect(run.stderr).toContain('backtest: 100% (288/288 steps');
    expect(run.stderr).toMatch(/^backtest: loading prices … \d+\.\d s \(8 zones, [\d,]+ hours\)$/m);
    for (const file of ['report.md', 'daily.csv', 'hourly.csv', 'summary.json', ...CHARTS])
      expect(existsSync(join(out, file)), file).toBe(true);
    const days = parseCsv(readFileSync(join(out, 'daily.csv'), 'utf8'));
    expect(days).toHaveLength(2);
    for (const d of days) expect(Number(d.carbon_cost)).toBeCloseTo(80 * Number(d.carbon_t), 0);
  });

  const badFleet = (dir: string) => {
    const path = join(dir, 'bad-fleet.yaml');
    writeFileSync(
      path,
      'clusters:\n  - { id: a, region: r, zone: DE-LU, gpuModel: H100, gpuTotal: 8, kwPerGpu: 1, pue: 0.5 }\n',
    );
    return path;
  };
  const jobsWithTypos = (dir: string) => {
    const path = join(dir, 'typo-jobs.yaml');
    writeFileSync(
      path,
      readFileSync(join(data, 'demo/jobs.yaml'), 'utf8')
        .replace('residency: [DE-LU, FR, NL, ES]', 'residency: [DE-LU, FR, NL, ES_]')
        .replace('homeClusterId: nyc-1', 'homeClusterId: nyc-2'),
    );
    return path;
  };
  const pricesWithoutGb = (dir: string) => {
    const path = join(dir, 'prices');
    cpSync(join(data, 'prices'), path, { recursive: true });
    rmSync(join(path, 'GB_electricity_prices_2023-03.csv'));
    return path;
  };

  it.each([
    { name: 'missing --to', args: () => ['--from', '2023-03-01'], want: '--to is required' },
    {
      name: 'unknown flag',
      args: () => ['--from', '2023-03-01', '--to', '2023-03-02', '--speed', '3'],
      want: "Unknown option '--speed'",
    },
    {
      name: 'bad step',
      args: () => ['--from', '2023-03-01', '--to', '2023-03-02', '--step', 'week'],
      want: '--step must be day or hour, got week',
    },
    {
      name: 'bad date',
      args: () => ['--from', '2023-02-30', '--to', '2023-03-02'],
      want: '--from is not a valid date: 2023-02-30',
    },
    {
      name: 'horizon below the step',
      args: () => ['--from', '2023-03-01', '--to', '2023-03-02', '--horizon-hours', '12'],
      want: '--horizon-hours must be a whole number of hours from 24',
    },
    {
      name: 'range without prices',
      args: () => [...demoData, '--from', '2023-05-01', '--to', '2023-05-02'],
      want: 'prices cover 2023-02-28T00:00Z → 2023-04-02T00:00Z, the backtest needs 2023-05-01T00:00Z → 2023-05-02T00:00Z',
    },
    {
      name: 'invalid fleet file',
      args: () => ['--from', '2023-03-01', '--to', '2023-03-02', '--fleet', badFleet(tmp)],
      want: 'bad-fleet.yaml: clusters[0].pue',
    },
    {
      name: 'zone without a price file',
      args: () => ['--from', '2023-03-01', '--to', '2023-03-02', '--prices', pricesWithoutGb(tmp)],
      want: 'no price file for zone GB',
    },
    {
      name: 'job file that does not fit the fleet (every problem, one line each)',
      args: () => [...demoData, '--from', '2023-03-01', '--to', '2023-03-02', '--jobs', jobsWithTypos(tmp)],
      want:
        'typo-jobs.yaml: jobs[0].residency[3]: zone ES_ is not a zone of any cluster in data/demo/fleet.yaml (zones: DE-LU, ES, FR, GB, NL, US-CAL-CISO, US-NY-NYIS, US-TEX-ERCO)\n' +
        'backtest: ',
    },
    {
      name: 'currency without rates',
      args: () => ['--from', '2023-03-01', '--to', '2023-03-02', '--fx', 'none'],
      want: 'prices in EUR need an exchange-rate table (--fx) to convert to USD',
    },
  ])('exits 2 with a clear message: $name', async ({ args, want }) => {
    const run = await backtestCli([...args(), '--out', join(tmp, 'never')]);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain(want);
    expect(existsSync(join(tmp, 'never', 'report.md'))).toBe(false);
  });
});
