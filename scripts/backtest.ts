// Backtest CLI: rolling-horizon planning of a fleet and its jobs over historical prices (no Kafka, no
// PostgreSQL); writes report.md, daily.csv, hourly.csv, summary.json and SVG charts into --out.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BacktestInputError,
  createProgressBar,
  parsePublicationRule,
  type PublicationRule,
  runBacktestFromFiles,
  summaryText,
  type BacktestRunOptions,
} from '#gridshift/backtest';
import { findDataDir } from '#gridshift/datasets';
import { SpecFileError, TraceFileError } from '#gridshift/fleet';
import { FORECAST_METHODS, type ForecastMethod } from '#gridshift/forecast';

const usage = `usage: npm run backtest -- --from 2023-03-01 --to 2023-03-15 [options]
  --from DATE            first UTC day (YYYY-MM-DD)                          (required)
  --to DATE              end UTC day, exclusive (YYYY-MM-DD)                 (required)
  --information published|perfect
                         published: a price is known from its market's publication, a forecast
                         beyond it; perfect: hindsight (every price known)    (default: published)
  --step day|hour        plan daily at --plan-hour (+ after each publication), or every hour (default: day)
  --plan-hour H          UTC hour of the daily plan                          (default: 13)
  --horizon-hours N      hours each solve looks ahead, ≥ the step            (default: 48)
  --publication Z=HH:MM@TZ  publication time of zone Z's day-ahead results (repeatable),
                         e.g. GB=09:50@Europe/London                         (default: exchange rules)
  --forecast METHOD      forecast beyond the published prices                (default: the forecaster's)
  --fleet FILE           fleet file, JSON or YAML                            (default: data/scenarios/capacity-binds/fleet.yaml)
  --jobs FILE            job file, JSON or YAML                              (default: data/scenarios/capacity-binds/jobs.yaml)
  --prices DIR           folder with <ZONE>_electricity_prices_*.csv         (default: data/prices-2023)
  --carbon DIR|none      folder with <ZONE>_<year>_hourly.csv, or none       (default: data/carbon-2023)
  --fx FILE|auto|none    exchange rates: auto = data/fx-<year>.json per year  (default: auto)
  --carbon-price N       fleet currency per tonne CO2; 0 = report only       (default: 0)
  --out DIR              report folder                                       (default: reports/backtest-<from>-<to>-<step>)
Exit codes: 0 done, 2 bad arguments or input files, 1 anything else.`;

/** A mistake in the arguments: printed with the usage, exit 2. */
class UsageError extends Error {}

function day(flag: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new UsageError(`${flag} must be a UTC day YYYY-MM-DD, got ${value}`);
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
    throw new UsageError(`${flag} is not a valid date: ${value}`);
  return ms;
}

function number(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`${flag} must be a number, got ${value}`);
  return n;
}

function parseOptions(argv: string[]): BacktestRunOptions {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        step: { type: 'string' },
        information: { type: 'string' },
        'plan-hour': { type: 'string' },
        publication: { type: 'string', multiple: true },
        forecast: { type: 'string' },
        'horizon-hours': { type: 'string' },
        fleet: { type: 'string' },
        jobs: { type: 'string' },
        prices: { type: 'string' },
        carbon: { type: 'string' },
        fx: { type: 'string' },
        'carbon-price': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  let dataDir: string | null = null;
  try {
    dataDir = findDataDir();
  } catch {
    dataDir = null;
  }
  const fromData = (flag: string, value: string | undefined, path: string): string => {
    if (value !== undefined) return resolve(value);
    if (dataDir === null)
      throw new UsageError(`${flag} is required outside the gridshift repository (no data/ folder found)`);
    return join(dataDir, path);
  };
  const step = values.step ?? 'day';
  if (step !== 'day' && step !== 'hour') throw new UsageError(`--step must be day or hour, got ${step}`);
  const information = values.information ?? 'published';
  if (information !== 'published' && information !== 'perfect')
    throw new UsageError(`--information must be published or perfect, got ${information}`);
  const publication: Record<string, PublicationRule> = {};
  for (const entry of values.publication ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--publication must be ZONE=HH:MM@Time/Zone, got ${entry}`);
    try {
      publication[entry.slice(0, eq)] = parsePublicationRule(entry.slice(eq + 1));
    } catch (error) {
      throw new UsageError(
        `--publication ${entry}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const forecast = values.forecast;
  if (forecast !== undefined && !(FORECAST_METHODS as readonly string[]).includes(forecast))
    throw new UsageError(`--forecast must be one of ${FORECAST_METHODS.join(', ')}, got ${forecast}`);
  const fromMs = day('--from', values.from);
  const toMs = day('--to', values.to);
  return {
    fleetFile: fromData('--fleet', values.fleet, 'scenarios/capacity-binds/fleet.yaml'),
    jobsFile: fromData('--jobs', values.jobs, 'scenarios/capacity-binds/jobs.yaml'),
    pricesDir: fromData('--prices', values.prices, 'prices-2023'),
    carbonDir: values.carbon === 'none' ? null : fromData('--carbon', values.carbon, 'carbon-2023'),
    fx:
      values.fx === undefined || values.fx === 'auto'
        ? 'auto'
        : values.fx === 'none'
          ? 'none'
          : { file: resolve(values.fx) },
    dataDir,
    outDir: resolve(values.out ?? join('reports', `backtest-${values.from}-${values.to}-${information}`)),
    fromMs,
    toMs,
    step,
    horizonHours: number('--horizon-hours', values['horizon-hours'], 48),
    carbonPricePerTonne: number('--carbon-price', values['carbon-price'], 0),
    information,
    planHourUtc: number('--plan-hour', values['plan-hour'], 13),
    publication,
    ...(forecast === undefined ? {} : { forecastMethod: forecast as ForecastMethod }),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const bar = createProgressBar(process.stderr, 'backtest');
  const { result, files, runtimeMs } = await runBacktestFromFiles(options, {
    onLoading: (what) => bar.loading(what),
    onLoaded: (what, ms, detail) => bar.loaded(what, ms, detail),
    onPlanningStart: () => bar.start(),
    onProgress: (p) => bar.update(p),
    onWarning: (warning) => process.stderr.write(`backtest: warning: ${warning}\n`),
  });
  bar.finish();
  process.stdout.write(`${summaryText(result)}\n`);
  process.stdout.write(`runtime ${(runtimeMs / 1000).toFixed(1)} s; report: ${files[0] ?? options.outDir}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`backtest: ${error.message}\n\n${usage}\n`);
    process.exit(2);
  }
  if (
    error instanceof BacktestInputError ||
    error instanceof SpecFileError ||
    error instanceof TraceFileError
  ) {
    // One line per problem (a job file checked against its fleet lists them all), each prefixed.
    process.stderr.write(`${error.message.replace(/^/gm, 'backtest: ')}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `backtest: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
