// The backtest's file side: reading fleet, job, price, carbon and exchange-rate files, validating them against
// each other, and writing the report (CSV, JSON, SVG); kept together because the CLI and the workers share it.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ExchangeRates } from '#gridshift/contracts';
import { readCarbonCsv, readPriceCsv, type CarbonSeries, type PriceSeries } from '#gridshift/datasets';
import { parseFleetFile, parseJobFile, readTraceProfiles, validateFleetJobs } from '#gridshift/fleet';
import type { ForecastMethod } from '#gridshift/forecast';
import { backtestCharts } from './charts.js';
import { compare } from './figures.js';
import type { PublicationRule } from './publication.js';
import { dailyCsv, hourlyCsv } from './csv.js';
import { BacktestInputError } from './errors.js';
import {
  fxUsageText,
  fxWarnings,
  nearestFxYears,
  parseFxTable,
  utcYears,
  type FxTable,
  type FxYearUse,
} from './fx.js';
import { buildHourlyMarket } from './market.js';
import { reportMarkdown } from './report.js';
import { runBacktestInWorkers } from './workers.js';
import {
  dearerDays,
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
  /**
   * Exchange rates: `auto` = `fx-<year>.json` in `dataDir` for each year of the range (the nearest year's
   * when one is missing, with a warning); `none` = only prices already in the fleet currency; or one file.
   */
  fx: 'auto' | 'none' | { file: string };
  /**
   * The repository's `data/` folder, where `demandTrace.file` paths are resolved first (null = job file's
   * folder) and `--fx auto` looks for tables.
   */
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

/** Whether `path` is a file or folder, following symlinks; null for a dangling link or anything else. */
function kindOf(path: string): 'file' | 'dir' | null {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/** `.csv` files under `dir`, 4 levels deep, following symlinks to files and folders (each folder once). */
export function csvFilesUnder(dir: string, what: string): string[] {
  if (kindOf(dir) !== 'dir') throw new BacktestInputError(`the ${what} folder ${dir} does not exist`);
  const out: string[] = [];
  const seenDirs = new Set<string>();
  const walk = (d: string, depth: number) => {
    const real = realpathSync(d);
    if (seenDirs.has(real)) return; // a symlink cycle or a folder linked twice
    seenDirs.add(real);
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const kind = entry.isSymbolicLink()
        ? kindOf(path)
        : entry.isDirectory()
          ? 'dir'
          : entry.isFile()
            ? 'file'
            : null;
      if (kind === 'dir' && depth < 4) walk(path, depth + 1);
      else if (kind === 'file' && entry.name.endsWith('.csv')) out.push(path);
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

/** Hooks for the CLI: file-loading phases (with timings), the start of planning, progress and warnings. */
export interface BacktestRunHooks {
  /** A loading phase starts (`prices`, `carbon`, `traces`, …). */
  onLoading?: (what: string) => void;
  /** It ended after `ms`; `detail` says what was read. */
  onLoaded?: (what: string, ms: number, detail: string) => void;
  /** Planning starts (the progress bar's ETA clock starts here, after loading). */
  onPlanningStart?: () => void;
  onProgress?: (p: BacktestProgress) => void;
  /** Something the user should know (also in the report's notes). */
  onWarning?: (message: string) => void;
}

/** What loading produced: the pure input, the exchange-rate tables used per year, and warnings. */
export interface LoadedBacktest {
  input: BacktestInput;
  /** Which table converted which year's prices; empty when no price needed converting. */
  exchangeRates: FxYearUse[];
  warnings: string[];
}

function timed<T>(hooks: BacktestRunHooks, what: string, run: () => T, detail: (value: T) => string): T {
  hooks.onLoading?.(what);
  const startedAt = performance.now();
  let value: T;
  try {
    value = run();
  } catch (error) {
    hooks.onLoaded?.(what, performance.now() - startedAt, 'failed'); // ends the phase's line before the error
    throw error;
  }
  hooks.onLoaded?.(what, performance.now() - startedAt, detail(value));
  return value;
}

function shown(path: string): string {
  return relative(process.cwd(), path) || '.';
}

function readFx(path: string): FxTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new BacktestInputError(`cannot read the exchange-rate table ${shown(path)}: ${message(error)}`);
  }
  return parseFxTable(shown(path), json);
}

/**
 * The exchange rates for hours in [fromMs, toMs): by year (`auto`: `fx-<year>.json` in `dataDir`, nearest year
 * when one is missing) or one table; null with `none`.
 */
function chooseFx(
  opts: BacktestRunOptions,
  fromMs: number,
  toMs: number,
): { fx: ExchangeRates | Map<number, ExchangeRates> | null; uses: FxYearUse[] } {
  const years = utcYears(fromMs, toMs);
  if (opts.fx === 'none') return { fx: null, uses: [] };
  if (opts.fx !== 'auto') {
    const table = readFx(opts.fx.file);
    return {
      fx: table.rates,
      uses: years.map((year) => ({ year, file: table.file, tableYear: table.year })),
    };
  }
  const dir = opts.dataDir;
  const available = new Map<number, string>();
  if (dir !== null && existsSync(dir))
    for (const name of readdirSync(dir)) {
      const year = /^fx-(\d{4})\.json$/.exec(name)?.[1];
      if (year !== undefined) available.set(Number(year), join(dir, name));
    }
  if (available.size === 0)
    throw new BacktestInputError(
      `--fx auto found no fx-<year>.json under ${dir === null ? 'data/ (no data folder)' : shown(dir)}; pass --fx FILE`,
    );
  const tables = new Map<number, FxTable>();
  const fx = new Map<number, ExchangeRates>();
  const uses: FxYearUse[] = [];
  for (const [year, tableYear] of nearestFxYears(years, [...available.keys()])) {
    let table = tables.get(tableYear);
    if (table === undefined) {
      table = readFx(available.get(tableYear) ?? '');
      tables.set(tableYear, table);
    }
    fx.set(year, table.rates);
    uses.push({ year, file: table.file, tableYear: table.year });
  }
  return { fx, uses };
}

/** Reads and validates every input file into a pure BacktestInput. Throws BacktestInputError / SpecFileError. */
export function loadBacktestInput(opts: BacktestRunOptions, hooks: BacktestRunHooks = {}): LoadedBacktest {
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
  const fleetFile = shown(opts.fleetFile);
  const jobsFile = shown(opts.jobsFile);
  const { fleet, jobFile } = timed(
    hooks,
    'fleet and jobs',
    () => {
      const fleet = parseFleetFile(fleetFile, readText(opts.fleetFile, 'fleet file'));
      const jobFile = parseJobFile(jobsFile, readText(opts.jobsFile, 'job file'));
      validateFleetJobs({ fleetFile, jobsFile }, fleet, jobFile);
      return { fleet, jobFile };
    },
    (r) => `${r.fleet.clusters.length} clusters, ${r.jobFile.jobs.length} jobs`,
  );
  const zones = [...new Set(fleet.clusters.map((c) => c.zone))];
  // Past the range: the batch work released in it finishes, and the last plans see a full horizon. Before it:
  // price history for the forecaster (published information).
  const wantToMs = opts.toMs + (MAX_WINDOW_HOURS + opts.horizonHours) * MS_PER_HOUR;
  const historyFromMs =
    options.information === 'published' ? opts.fromMs - HISTORY_HOURS * MS_PER_HOUR : opts.fromMs;
  const prices = timed(
    hooks,
    'prices',
    () => readZonePrices(opts.pricesDir, zones),
    (p) => `${p.length} zones, ${p.reduce((n, s) => n + s.points.length, 0).toLocaleString('en-US')} hours`,
  );
  const carbonDir = opts.carbonDir;
  const carbon =
    carbonDir === null
      ? new Map<string, CarbonSeries>()
      : timed(
          hooks,
          'carbon',
          () => readZoneCarbon(carbonDir, zones),
          (c) => `${c.size} zones`,
        );
  const needsFx = prices.some((s) => s.currency !== fleet.currency);
  const fx = needsFx ? chooseFx(opts, historyFromMs, wantToMs) : { fx: null, uses: [] };
  const market = buildHourlyMarket({
    prices,
    carbon,
    fx: fx.fx,
    currency: fleet.currency,
    fromMs: opts.fromMs,
    toMs: opts.toMs,
    wantToMs,
    historyFromMs,
  });
  // Only the years the market really spans (the price data may end before the last horizon does).
  const lastYear = new Date(market.startMs + market.hours * MS_PER_HOUR - 1).getUTCFullYear();
  const exchangeRates = fx.uses.filter((u) => u.year <= lastYear);
  const warnings = fxWarnings(exchangeRates, opts.fx === 'auto');
  if (opts.carbonPricePerTonne > 0 && carbon.size === 0)
    warnings.push(
      `Carbon price ${opts.carbonPricePerTonne} ${fleet.currency}/t has no effect: no carbon data was read (${opts.carbonDir === null ? '--carbon none' : `no zone has a file under ${shown(opts.carbonDir)}`}).`,
    );
  for (const warning of warnings) hooks.onWarning?.(warning);
  const jobsDir = dirname(opts.jobsFile);
  const traces = timed(
    hooks,
    'traces',
    () => readTraceProfiles(jobFile.jobs, opts.dataDir ?? jobsDir, jobsDir),
    (t) => `${t.size} profiles`,
  );
  return {
    input: {
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
    },
    exchangeRates,
    warnings,
  };
}

/** Writes report.md, daily.csv, hourly.csv, summary.json and the SVG charts into `outDir`; returns the paths. */
export function writeBacktestReport(
  opts: BacktestRunOptions,
  result: BacktestResult,
  runtimeMs: number,
  loaded: Pick<LoadedBacktest, 'exchangeRates' | 'warnings'> = { exchangeRates: [], warnings: [] },
): string[] {
  mkdirSync(opts.outDir, { recursive: true });
  const withNotes = { ...result, notes: [...result.notes, ...loaded.warnings] };
  const charts = backtestCharts(withNotes);
  const dataFiles = [
    { file: 'daily.csv', what: 'one row per day: optimal, whole-GPU, home and greedy figures and savings' },
    { file: 'hourly.csv', what: 'per hour and cluster: price, carbon, free GPUs, GPUs and GPU-hours placed' },
    { file: 'summary.json', what: 'totals, per-day figures, per-job figures and notes, machine-readable' },
  ];
  const rel = (path: string | null) => (path === null ? null : shown(path));
  const report = reportMarkdown(withNotes, {
    fleetFile: rel(opts.fleetFile) ?? '',
    jobsFile: rel(opts.jobsFile) ?? '',
    pricesDir: rel(opts.pricesDir) ?? '',
    carbonDir: rel(opts.carbonDir),
    exchangeRates: loaded.exchangeRates.length > 0 ? fxUsageText(loaded.exchangeRates) : null,
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
    exchangeRates: loaded.exchangeRates,
    carbonMeasured: result.zones.some((z) => z.carbonGPerKwh !== null),
    totals: result.totals,
    capture: { vsHome: compare(result.totals).captureVsHome },
    savings: (({ vsHome, vsGreedy, perfectVsHome }) => ({ vsHome, vsGreedy, perfectVsHome }))(
      compare(result.totals),
    ),
    dearerDays: dearerDays(result.days),
    samePlan: result.totals.samePlan ?? null,
    days: result.days,
    jobs: result.jobs,
    solvers: result.solvers,
    notes: withNotes.notes,
  };
  const files: [string, string][] = [
    ['report.md', report],
    ['daily.csv', dailyCsv(withNotes)],
    ['hourly.csv', hourlyCsv(withNotes)],
    ['summary.json', `${JSON.stringify(summary, null, 2)}\n`],
    ...charts.map((chart): [string, string] => [chart.file, chart.svg]),
  ];
  return files.map(([name, text]) => {
    const path = join(opts.outDir, name);
    writeFileSync(path, text);
    return path;
  });
}

/**
 * Loads the inputs, runs the backtest and writes the report folder; returns the result (with the loading
 * warnings in its notes), files and runtime (loading included).
 */
export async function runBacktestFromFiles(
  opts: BacktestRunOptions,
  hooks: BacktestRunHooks = {},
): Promise<{ result: BacktestResult; files: string[]; runtimeMs: number }> {
  const startedAt = performance.now();
  const loaded = loadBacktestInput(opts, hooks);
  hooks.onPlanningStart?.();
  // The simulations run on worker threads (gridshift's plan on one, the references on another).
  const result = await runBacktestInWorkers(loaded.input, hooks.onProgress);
  const runtimeMs = performance.now() - startedAt;
  const files = writeBacktestReport(opts, result, runtimeMs, loaded);
  return { result: { ...result, notes: [...result.notes, ...loaded.warnings] }, files, runtimeMs };
}
