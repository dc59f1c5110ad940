import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ExchangeRates } from '#gridshift/contracts';
import {
  readCarbonCsv,
  readExchangeRates,
  readPriceCsv,
  type CarbonSeries,
  type PriceSeries,
} from '#gridshift/datasets';
import { parseFleetFile, parseJobFile, readTraceProfiles } from '#gridshift/fleet';
import type { ForecastMethod } from '#gridshift/forecast';
import { backtestCharts } from './charts.js';
import { compare } from './figures.js';
import type { PublicationRule } from './publication.js';
import { dailyCsv, hourlyCsv } from './csv.js';
import { BacktestInputError } from './errors.js';
import { buildHourlyMarket } from './market.js';
import { reportMarkdown } from './report.js';
import {
  runBacktest,
  validateBacktestOptions,
  type BacktestInput,
  type BacktestProgress,
  type BacktestResult,
  type BacktestStep,
  type InformationSet,
} from './rolling.js';

// The thin IO shell around the pure backtest: find and read the files, run, write the report folder.

const MS_PER_HOUR = 3_600_000;

export interface BacktestRunOptions {
  fleetFile: string;
  jobsFile: string;
  /** Folder searched (recursively) for `<ZONE>_electricity_prices_*.csv`. */
  pricesDir: string;
  /** Folder searched (recursively) for `<ZONE>_<year…>_hourly.csv`; null = no carbon. */
  carbonDir: string | null;
  /** Exchange-rate table; null = only same-currency prices allowed. */
  fxFile: string | null;
  /** The repository's `data/` folder, where `demandTrace.file` paths are resolved first; null = job file's folder. */
  dataDir: string | null;
  outDir: string;
  fromMs: number;
  toMs: number;
  step: BacktestStep;
  horizonHours: number;
  carbonPricePerTonne: number;
  /** Default `published`. */
  information?: InformationSet;
  /** UTC hour of the daily plan (default 13). */
  planHourUtc?: number;
  /** Publication rules by zone overriding the defaults. */
  publication?: Record<string, PublicationRule>;
  forecastMethod?: ForecastMethod;
}

/** Price history loaded before the range for the forecaster (published information). */
const HISTORY_HOURS = 8 * 7 * 24;
/** Longest batch window a job file allows (deadlineHour ≤ 168). */
const MAX_WINDOW_HOURS = 168;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BacktestInputError(`cannot read the ${what} ${path}: ${message(error)}`);
  }
}

function csvFilesUnder(dir: string, what: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new BacktestInputError(`the ${what} folder ${dir} does not exist`);
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory() && depth < 4) walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.csv')) out.push(path);
    }
  };
  walk(dir, 0);
  return out.sort();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** One series per zone from every `<ZONE>_electricity_prices_*.csv` under `dir` (merged; the first file wins an hour). */
export function readZonePrices(dir: string, zones: readonly string[]): PriceSeries[] {
  const files = csvFilesUnder(dir, 'prices');
  return zones.map((zone) => {
    const pattern = new RegExp(`^${escapeRegExp(zone)}_electricity_prices_.*\\.csv$`);
    const matches = files.filter((f) => pattern.test(fileName(f)));
    if (matches.length === 0)
      throw new BacktestInputError(
        `no price file for zone ${zone} under ${dir} (expected ${zone}_electricity_prices_*.csv)`,
      );
    const series = matches.map((path) => {
      try {
        return readPriceCsv(path, zone);
      } catch (error) {
        throw new BacktestInputError(`${path}: ${message(error)}`);
      }
    });
    const first = series[0];
    if (first === undefined) throw new BacktestInputError(`no price file for zone ${zone} under ${dir}`);
    if (series.length === 1) return first;
    const byInstant = new Map<string, number>();
    for (const s of series) {
      if (s.currency !== first.currency)
        throw new BacktestInputError(`${zone}: price files mix ${first.currency} and ${s.currency}`);
      for (const p of s.points)
        if (!byInstant.has(p.intervalStartUtc)) byInstant.set(p.intervalStartUtc, p.price);
    }
    const points = [...byInstant.entries()]
      .sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]))
      .map(([intervalStartUtc, price]) => ({ intervalStartUtc, price }));
    return { ...first, points, adjustments: series.flatMap((s) => s.adjustments) };
  });
}

/** Carbon series of the zones that have a `<ZONE>_<year…>_hourly.csv` under `dir` (files merged per zone). */
export function readZoneCarbon(dir: string, zones: readonly string[]): Map<string, CarbonSeries> {
  const files = csvFilesUnder(dir, 'carbon');
  const out = new Map<string, CarbonSeries>();
  for (const zone of zones) {
    const pattern = new RegExp(`^${escapeRegExp(zone)}_\\d{4}[^/]*_hourly\\.csv$`);
    const series = files
      .filter((f) => pattern.test(fileName(f)))
      .map((path) => {
        try {
          return readCarbonCsv(path);
        } catch (error) {
          throw new BacktestInputError(`${path}: ${message(error)}`);
        }
      });
    const first = series[0];
    if (first === undefined) continue;
    const seen = new Set<string>();
    const points = series
      .flatMap((s) => s.points)
      .filter((p) => !seen.has(p.intervalStartUtc) && seen.add(p.intervalStartUtc))
      .sort((a, b) => Date.parse(a.intervalStartUtc) - Date.parse(b.intervalStartUtc));
    out.set(zone, { ...first, points });
  }
  return out;
}

/** Reads and validates every input file into a pure BacktestInput. Throws BacktestInputError / SpecFileError. */
export function loadBacktestInput(opts: BacktestRunOptions): BacktestInput {
  const options = {
    fromMs: opts.fromMs,
    toMs: opts.toMs,
    step: opts.step,
    horizonHours: opts.horizonHours,
    carbonPricePerTonne: opts.carbonPricePerTonne,
    information: opts.information ?? 'published',
    ...(opts.planHourUtc === undefined ? {} : { planHourUtc: opts.planHourUtc }),
    ...(opts.publication === undefined ? {} : { publication: opts.publication }),
    ...(opts.forecastMethod === undefined ? {} : { forecastMethod: opts.forecastMethod }),
  };
  validateBacktestOptions(options);
  const fleet = parseFleetFile(opts.fleetFile, readText(opts.fleetFile, 'fleet file'));
  const jobFile = parseJobFile(opts.jobsFile, readText(opts.jobsFile, 'job file'), fleet);
  const zones = [...new Set(fleet.clusters.map((c) => c.zone))];
  let fx: ExchangeRates | null = null;
  if (opts.fxFile !== null) {
    try {
      fx = readExchangeRates(opts.fxFile);
    } catch (error) {
      throw new BacktestInputError(`${opts.fxFile}: ${message(error)}`);
    }
  }
  const market = buildHourlyMarket({
    prices: readZonePrices(opts.pricesDir, zones),
    carbon: opts.carbonDir === null ? new Map() : readZoneCarbon(opts.carbonDir, zones),
    fx,
    currency: fleet.currency,
    fromMs: opts.fromMs,
    toMs: opts.toMs,
    // Past the range: the batch work released in it finishes, and the last plans see a full horizon.
    wantToMs: opts.toMs + (MAX_WINDOW_HOURS + opts.horizonHours) * MS_PER_HOUR,
    historyFromMs:
      options.information === 'published' ? opts.fromMs - HISTORY_HOURS * MS_PER_HOUR : opts.fromMs,
  });
  const jobsDir = dirname(opts.jobsFile);
  const traces = readTraceProfiles(jobFile.jobs, opts.dataDir ?? jobsDir, jobsDir);
  return {
    clusters: fleet.clusters,
    jobs: jobFile.jobs,
    traces,
    market,
    options: {
      ...options,
      ...(jobFile.tierPenaltiesPerGpuHour
        ? { tierPenaltiesPerGpuHour: jobFile.tierPenaltiesPerGpuHour }
        : {}),
    },
  };
}

/** Writes report.md, daily.csv, hourly.csv, summary.json and the SVG charts into `outDir`; returns the paths. */
export function writeBacktestReport(
  opts: BacktestRunOptions,
  result: BacktestResult,
  runtimeMs: number,
): string[] {
  mkdirSync(opts.outDir, { recursive: true });
  const charts = backtestCharts(result);
  const dataFiles = [
    { file: 'daily.csv', what: 'one row per day: optimal, whole-GPU, home and greedy figures and savings' },
    { file: 'hourly.csv', what: 'per hour and cluster: price, carbon, free GPUs, GPUs and GPU-hours placed' },
    { file: 'summary.json', what: 'totals, per-day figures, per-job figures and notes, machine-readable' },
  ];
  const rel = (path: string | null) => (path === null ? null : relative(process.cwd(), path) || '.');
  const report = reportMarkdown(result, {
    fleetFile: rel(opts.fleetFile) ?? '',
    jobsFile: rel(opts.jobsFile) ?? '',
    pricesDir: rel(opts.pricesDir) ?? '',
    carbonDir: rel(opts.carbonDir),
    fxFile: rel(opts.fxFile),
    runtimeMs,
    charts: charts.map(({ file, title }) => ({ file, title })),
    dataFiles,
  });
  const summary = {
    options: {
      ...result.options,
      from: new Date(result.options.fromMs).toISOString(),
      to: new Date(result.options.toMs).toISOString(),
    },
    information: result.information.information,
    informationDetails: result.information,
    currency: result.currency,
    runtimeMs,
    totals: result.totals,
    capture: { vsHome: compare(result.totals).captureVsHome },
    savings: (({ vsHome, vsGreedy, perfectVsHome }) => ({ vsHome, vsGreedy, perfectVsHome }))(
      compare(result.totals),
    ),
    days: result.days,
    jobs: result.jobs,
    solvers: result.solvers,
    notes: result.notes,
  };
  const files: [string, string][] = [
    ['report.md', report],
    ['daily.csv', dailyCsv(result)],
    ['hourly.csv', hourlyCsv(result)],
    ['summary.json', `${JSON.stringify(summary, null, 2)}\n`],
    ...charts.map((chart): [string, string] => [chart.file, chart.svg]),
  ];
  return files.map(([name, text]) => {
    const path = join(opts.outDir, name);
    writeFileSync(path, text);
    return path;
  });
}

/** Loads the inputs, runs the backtest and writes the report folder; returns the result, files and runtime. */
export function runBacktestFromFiles(
  opts: BacktestRunOptions,
  onProgress?: (p: BacktestProgress) => void,
): { result: BacktestResult; files: string[]; runtimeMs: number } {
  const startedAt = performance.now();
  const input = loadBacktestInput(opts);
  const result = runBacktest(input, onProgress);
  const runtimeMs = performance.now() - startedAt;
  const files = writeBacktestReport(opts, result, runtimeMs);
  return { result, files, runtimeMs };
}
