/**
 * Rolling-origin evaluation of the price forecasters (not a test):
 * `npm run forecast:eval [-- --json FILE] [--prices DIR] [--from DATE] [--origin-hour H] [--lookback-hours N]`.
 *
 * For every zone: one origin per day at --origin-hour UTC from --from on, history = every hour strictly
 * before the origin, 168 h forecast, scored per lead bucket against the shipped prices. Prints MAE, MAPE
 * (hours with |actual| ≥ 5 /MWh only), MAE ratio vs seasonal naive and p10–p90 coverage per zone, lead
 * bucket and method, an overall row per method (pooled over zones), and the mean time per call.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { readZonePrices } from '#gridshift/backtest';
import { findDataDir, SHIPPED_DATA } from '#gridshift/datasets';
import {
  ALL_LEADS,
  DEFAULT_FORECAST_METHOD,
  DEFAULT_LOOKBACK_HOURS,
  FORECAST_METHODS,
  LEAD_BUCKETS,
  MAPE_MIN_ABS_ACTUAL,
  dailyOrigins,
  errorRow,
  evaluateRollingOrigin,
  forecastHourly,
  hourlySeriesFromPoints,
  poolTallies,
  type ErrorRow,
  type ErrorTally,
  type Forecaster,
} from '#gridshift/forecast';
import { parseCli, parseUtc, runCli, UsageError } from './lib/cli.js';

const usage = `usage: npm run forecast:eval [-- options]
  --json FILE            also write the rows as JSON
  --prices DIR           folder with <ZONE>_electricity_prices_*.csv   (default: data/prices-2023)
  --zones A,B            zones                                          (default: the 8 shipped zones)
  --from DATE            first origin day, UTC                          (default: 2023-01-29)
  --origin-hour H        UTC hour of the daily origin                   (default: 12)
  --lookback-hours N     history hours per point forecast               (default: ${DEFAULT_LOOKBACK_HOURS})`;

const HORIZON_HOURS = 168;
const ALL_ZONES = 'ALL';

interface JsonRow {
  zone: string;
  method: string;
  leadBucket: string;
  mae: number;
  mape: number;
  maeRatioVsSeasonalNaive: number;
  coverage80: number;
  n: number;
}

function withRatios(zone: string, tallies: readonly ErrorTally[]): JsonRow[] {
  const rows = tallies.map(errorRow);
  const naive = new Map(
    rows.filter((r) => r.method === 'seasonal-naive').map((r) => [r.leadBucket, r.mae] as const),
  );
  return rows.map((r: ErrorRow) => ({
    zone,
    method: r.method,
    leadBucket: r.leadBucket,
    mae: r.mae,
    mape: r.mape,
    maeRatioVsSeasonalNaive: r.mae / (naive.get(r.leadBucket) ?? Number.NaN),
    coverage80: r.coverage80,
    n: r.n,
  }));
}

const fmt = (x: number, digits: number, width: number) =>
  (Number.isFinite(x) ? x.toFixed(digits) : '–').padStart(width);

function printZone(zone: string, note: string, rows: readonly JsonRow[]): void {
  const leads = [...LEAD_BUCKETS.map((b) => b.label), ALL_LEADS];
  const cell = 'MAE   MAPE% ×naive  cov80';
  process.stdout.write(`\n${zone} — ${note}\n`);
  process.stdout.write(
    `${'lead'.padEnd(8)}${FORECAST_METHODS.map((m) => ` | ${m.padEnd(cell.length)}`).join('')}\n`,
  );
  process.stdout.write(`${''.padEnd(8)}${FORECAST_METHODS.map(() => ` | ${cell}`).join('')}\n`);
  for (const lead of leads) {
    const cells = FORECAST_METHODS.map((method) => {
      const r = rows.find((x) => x.method === method && x.leadBucket === lead);
      if (r === undefined) return ` | ${''.padEnd(cell.length)}`;
      return ` | ${fmt(r.mae, 1, 5)} ${fmt(r.mape, 1, 6)} ${fmt(r.maeRatioVsSeasonalNaive, 3, 6)} ${fmt(r.coverage80, 2, 6)}`;
    });
    process.stdout.write(`${lead.padEnd(8)}${cells.join('')}\n`);
  }
}

function main(): void {
  const args = parseCli(usage, {
    json: { type: 'string' },
    prices: { type: 'string' },
    zones: { type: 'string' },
    from: { type: 'string' },
    'origin-hour': { type: 'string' },
    'lookback-hours': { type: 'string' },
    help: { type: 'boolean' },
  });
  const pricesDir = args.prices ?? join(findDataDir(), 'prices-2023');
  const zones = args.zones?.split(',') ?? [...SHIPPED_DATA.priceZones];
  const fromMs = parseUtc('--from', args.from ?? '2023-01-29');
  const originHour = Number(args['origin-hour'] ?? 12);
  if (!Number.isInteger(originHour) || originHour < 0 || originHour > 23)
    throw new UsageError(`--origin-hour must be 0..23, got ${args['origin-hour']}`);
  const lookbackHours = Number(args['lookback-hours'] ?? DEFAULT_LOOKBACK_HOURS);
  if (!Number.isInteger(lookbackHours) || lookbackHours < 1)
    throw new UsageError(`--lookback-hours must be a whole number ≥ 1, got ${args['lookback-hours']}`);

  const timing = new Map<string, { calls: number; ms: number }>();
  const timed: Forecaster = (known, hours, options) => {
    const t0 = performance.now();
    const forecast = forecastHourly(known, hours, options);
    const t = timing.get(forecast.method) ?? { calls: 0, ms: 0 };
    t.ms += performance.now() - t0;
    t.calls++;
    timing.set(forecast.method, t);
    return forecast;
  };

  process.stdout.write(
    `forecast:eval — ${pricesDir}, daily origins at ${String(originHour).padStart(2, '0')}:00 UTC from ${new Date(fromMs).toISOString().slice(0, 10)}, ` +
      `history strictly before each origin, ${HORIZON_HOURS} h ahead, lookback ${lookbackHours} h\n` +
      `MAE in the zone's currency/MWh; MAPE% over hours with |actual| ≥ ${MAPE_MIN_ABS_ACTUAL} /MWh only; ×naive = MAE / MAE(seasonal-naive) ` +
      `on the same hours; cov80 = share of actuals inside [p10, p90]\n`,
  );
  const series = readZonePrices(pricesDir, zones);
  const out: JsonRow[] = [];
  const allTallies: ErrorTally[] = [];
  for (const s of series) {
    const hourly = hourlySeriesFromPoints(s.points);
    const originsMs = dailyOrigins(hourly, fromMs, originHour, HORIZON_HOURS);
    const tallies = evaluateRollingOrigin(hourly, {
      originsMs,
      hours: HORIZON_HOURS,
      methods: FORECAST_METHODS,
      lookbackHours,
      forecaster: timed,
    });
    allTallies.push(...tallies);
    const rows = withRatios(s.zone, tallies);
    out.push(...rows);
    const missing = Array.from(hourly.values).filter((v) => !Number.isFinite(v)).length;
    printZone(s.zone, `${s.currency}/MWh, ${originsMs.length} origins, ${missing} missing hours (NaN)`, rows);
  }
  const pooled = withRatios(ALL_ZONES, poolTallies(allTallies));
  out.push(...pooled);
  printZone(
    ALL_ZONES,
    'pooled over zones (MAE mixes EUR and USD; the ratio is pooled |error| / pooled naive |error|)',
    pooled,
  );
  const calls = [...timing.values()].reduce((s, t) => s + t.calls, 0);
  const callMs = [...timing.values()].reduce((s, t) => s + t.ms, 0);
  const perMethod = [...timing].map(([m, t]) => `${m} ${(t.ms / t.calls).toFixed(3)}`).join(', ');
  process.stdout.write(
    `\n${calls} forecast calls (${HORIZON_HOURS} h ahead, with bands), mean ${(callMs / calls).toFixed(3)} ms per call ` +
      `(${perMethod}; 1-min load average ${loadavg()[0]?.toFixed(2)}); default method: ${DEFAULT_FORECAST_METHOD}\n`,
  );
  if (args.json !== undefined) {
    writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`rows written to ${args.json}\n`);
  }
}

runCli(usage, () => Promise.resolve().then(main));
