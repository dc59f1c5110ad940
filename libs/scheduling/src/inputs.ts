import type { DataSource, EntityManager } from 'typeorm';
import {
  BAND_ORIGIN_DAYS,
  DEFAULT_FORECAST_METHOD,
  forecastHourly,
  type HourlyForecast,
  type HourlySeries,
} from '#gridshift/forecast';
import { PriceRepository, type HourlyPricePoint } from '#gridshift/persistence';
import type { Assumption } from './assumptions.js';
import type { PlanningSettings } from './settings.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

/** Markets in the order the planner prefers them for a slot. */
export const PRICE_MARKET_PREFERENCE = ['day_ahead', 'intraday', 'real_time', 'forecast'] as const;
export type PriceMarket = (typeof PRICE_MARKET_PREFERENCE)[number];

/**
 * Where a slot's price came from: a stored market (`forecast` = a partner's forecast), gridshift's own forecast
 * from the zone's price history, the last known price carried forward, or assumed (`fillMissingZonePrices`).
 */
export type PriceSource = PriceMarket | 'gridshift-forecast' | 'carried-forward' | 'assumed';

/** Fewer known hours of history than this: no gridshift forecast, the last known price is carried forward. */
export const MIN_FORECAST_HISTORY_HOURS = 24;

/** One stored price row as the planner reads it (newest issue per zone/market/interval across partners). */
export interface PriceCandidate {
  intervalStartMs: number;
  minutes: number;
  market: string;
  pricePerMwh: number;
  carbonGPerKwh: number | null;
  issuedAtMs: number;
}

/** The price series of one zone over the horizon, with the source of every slot. */
export interface ZonePriceSeries {
  zone: string;
  pricePerMwh: number[];
  carbonGPerKwh: (number | null)[];
  source: PriceSource[];
  /** Issue time of the price used per slot (null when assumed or forecast by gridshift). */
  issuedAtUtc: (string | null)[];
}

/** Latest state of a cluster from its load reports. */
export interface ClusterStateSnapshot {
  observedAtUtc: string;
  gpuTotal: number;
  gpuBusy: number;
  gpuSchedulable: number;
  powerCapKw: number | null;
  pue: number;
}

/** A registered cluster with its capacity forecast per slot. */
export interface PlanningCluster {
  id: string;
  name: string;
  region: string;
  zone: string;
  gpuModel: string;
  gpuTotal: number;
  kwPerGpu: number;
  pue: number;
  /** Facility power cap, kW: one value for every slot, or one per slot once grid events apply (`grid-events.ts`). */
  powerCapKw: number | (number | null)[] | null;
  /** True in slots whose power cap comes from a grid event. */
  gridEventCap?: readonly boolean[];
  latencyMsByOrigin: Record<string, number>;
  state: ClusterStateSnapshot | null;
  /** Forecast schedulable GPUs per slot. */
  schedulableGpus: number[];
}

/** An active job as stored (dates as ISO strings). */
export interface PlanningJob {
  id: string;
  name: string;
  model: string;
  kind: 'interactive' | 'batch';
  tokensPerSecondPerGpu: Record<string, number>;
  tokensPerHour: number | null;
  demandProfile: number[] | null;
  totalTokens: number | null;
  windowStartUtc: string | null;
  deadlineUtc: string | null;
  origin: string;
  latencySlaMs: number | null;
  residency: string[];
  tier: string;
  maxGpus: number;
  pins: { mustRunIn?: string[]; mustNotRunIn?: string[] };
  /** Where the job runs without gridshift (home baseline); null = first allowed cluster. */
  homeClusterId: string | null;
}

/** Everything one plan is built from, already resolved per slot, plus what had to be assumed. */
export interface PlanningInputs {
  nowUtc: string;
  horizonStartUtc: string;
  slotMinutes: number;
  slotStartsUtc: string[];
  clusters: PlanningCluster[];
  zones: ZonePriceSeries[];
  jobs: PlanningJob[];
  assumptions: Assumption[];
  settings: PlanningSettings;
}

/** The slot grid: the horizon starts at the start of the slot containing `now`. */
export function slotGrid(
  nowMs: number,
  settings: Pick<PlanningSettings, 'horizonHours' | 'slotMinutes'>,
): { horizonStartMs: number; slotStartsUtc: string[]; slotStartsMs: number[] } {
  const slotMs = settings.slotMinutes * MS_PER_MINUTE;
  const horizonStartMs = Math.floor(nowMs / slotMs) * slotMs;
  const count = Math.max(1, Math.round((settings.horizonHours * 60) / settings.slotMinutes));
  const slotStartsMs = Array.from({ length: count }, (_, i) => horizonStartMs + i * slotMs);
  return {
    horizonStartMs,
    slotStartsMs,
    slotStartsUtc: slotStartsMs.map((ms) => new Date(ms).toISOString()),
  };
}

/** The stored market price chosen for one slot (`publishedSlotPrices`). */
interface PublishedSlotPrice {
  market: PriceMarket;
  price: number;
  carbon: number | null;
  issuedAtMs: number;
}

/**
 * Per slot, the price of the first market in PRICE_MARKET_PREFERENCE with a candidate overlapping the slot
 * (several overlapping rows averaged weighted by overlap), else null.
 */
function publishedSlotPrices(
  slotStartsMs: number[],
  slotMinutes: number,
  candidates: PriceCandidate[],
): (PublishedSlotPrice | null)[] {
  const slotMs = slotMinutes * MS_PER_MINUTE;
  return slotStartsMs.map((from) => {
    const to = from + slotMs;
    for (const market of PRICE_MARKET_PREFERENCE) {
      let weight = 0;
      let priceSum = 0;
      let carbonWeight = 0;
      let carbonSum = 0;
      let oldestIssue = Number.POSITIVE_INFINITY;
      for (const c of candidates) {
        if (c.market !== market) continue;
        const overlap =
          Math.min(to, c.intervalStartMs + c.minutes * MS_PER_MINUTE) - Math.max(from, c.intervalStartMs);
        if (overlap <= 0) continue;
        weight += overlap;
        priceSum += overlap * c.pricePerMwh;
        if (c.carbonGPerKwh !== null) {
          carbonWeight += overlap;
          carbonSum += overlap * c.carbonGPerKwh;
        }
        oldestIssue = Math.min(oldestIssue, c.issuedAtMs);
      }
      if (weight > 0) {
        return {
          market,
          price: priceSum / weight,
          carbon: carbonWeight > 0 ? carbonSum / carbonWeight : null,
          issuedAtMs: oldestIssue,
        };
      }
    }
    return null;
  });
}

/**
 * Index of the first slot after the last slot with a published price (any stored market): the first slot
 * gridshift may forecast. 0 when no slot has a price, `slotStartsMs.length` when the last one has.
 */
export function firstUnpublishedSlot(
  slotStartsMs: number[],
  slotMinutes: number,
  candidates: PriceCandidate[],
): number {
  return afterLastPublished(publishedSlotPrices(slotStartsMs, slotMinutes, candidates));
}

function afterLastPublished(published: readonly (PublishedSlotPrice | null)[]): number {
  let t = published.length;
  while (t > 0 && !published[t - 1]) t -= 1;
  return t;
}

/** The UTC hour containing `slotStartMs`: the price history for a forecast from that slot ends before it. */
export function forecastCutoffMs(slotStartMs: number): number {
  return Math.floor(slotStartMs / MS_PER_HOUR) * MS_PER_HOUR;
}

/**
 * A zone's hourly price history for gridshift's forecast: per UTC hour in [cutoffMs − hours, cutoffMs) the
 * price of the first market in PRICE_MARKET_PREFERENCE that has one; points at or after `cutoffMs` are
 * ignored; hours before the first and after the last priced hour are dropped (gaps inside stay NaN).
 * Empty values when no hour has a price.
 */
export function hourlyPriceHistory(
  points: readonly Pick<HourlyPricePoint, 'market' | 'hourStart' | 'pricePerMwh'>[],
  cutoffMs: number,
  hours: number,
): HourlySeries {
  const startMs = cutoffMs - hours * MS_PER_HOUR;
  const values = new Float64Array(hours).fill(Number.NaN);
  const rank = new Float64Array(hours).fill(Number.POSITIVE_INFINITY);
  for (const p of points) {
    const i = (p.hourStart.getTime() - startMs) / MS_PER_HOUR;
    const r = (PRICE_MARKET_PREFERENCE as readonly string[]).indexOf(p.market);
    if (!Number.isInteger(i) || i < 0 || i >= hours || r < 0 || !Number.isFinite(p.pricePerMwh)) continue;
    if (r < rank[i]!) {
      rank[i] = r;
      values[i] = p.pricePerMwh;
    }
  }
  let first = 0;
  while (first < hours && Number.isNaN(values[first])) first += 1;
  let end = hours;
  while (end > first && Number.isNaN(values[end - 1])) end -= 1;
  return { startMs: startMs + first * MS_PER_HOUR, values: values.subarray(first, end) };
}

/** gridshift's own forecast for the slots after the last published one (an argument of `resolveZonePrices`). */
export interface ZoneForecastInput {
  /** The zone's hourly prices before the first unpublished slot's hour (`hourlyPriceHistory`). */
  history: HourlySeries;
  /** History hours the point forecast uses (the bands look up to 14 days further back). */
  lookbackHours: number;
}

/** The forecast's values for the slots from `firstSlot` on, and how it was made; null without usable history. */
function gridshiftForecast(
  input: ZoneForecastInput,
  slotStartsMs: number[],
  firstSlot: number,
): { forecast: HourlyForecast; hourOfSlot: (t: number) => number; historyHours: number } | null {
  if (firstSlot >= slotStartsMs.length) return null;
  // Never read history at or after the first forecast hour, whatever the caller passed.
  const cutoffMs = forecastCutoffMs(slotStartsMs[firstSlot]!);
  const usable = Math.max(
    0,
    Math.min(input.history.values.length, (cutoffMs - input.history.startMs) / MS_PER_HOUR),
  );
  const values = Array.prototype.slice.call(input.history.values, 0, usable) as number[];
  if (values.filter(Number.isFinite).length < MIN_FORECAST_HISTORY_HOURS) return null;
  const startMs = input.history.startMs + values.length * MS_PER_HOUR;
  const hours = Math.floor((slotStartsMs.at(-1)! - startMs) / MS_PER_HOUR) + 1;
  const forecast = forecastHourly({ startMs: input.history.startMs, values }, hours, {
    method: DEFAULT_FORECAST_METHOD,
    lookbackHours: input.lookbackHours,
  });
  return {
    forecast,
    hourOfSlot: (t) => Math.floor((slotStartsMs[t]! - startMs) / MS_PER_HOUR),
    historyHours: Math.min(values.length, input.lookbackHours),
  };
}

/** "8 weeks", "9 days" or "30 h". */
function describeHours(hours: number): string {
  if (hours % 168 === 0) return `${hours / 168} week${hours === 168 ? '' : 's'}`;
  if (hours % 24 === 0) return `${hours / 24} day${hours === 24 ? '' : 's'}`;
  return `${hours} h`;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Resolves one zone's price per slot: day-ahead, else intraday / real-time / a partner's forecast; after the
 * last slot with any of those, gridshift's own forecast from `forecast.history` (when it holds at least
 * MIN_FORECAST_HISTORY_HOURS known hours); else the last known price carried forward; else `null` (filled by
 * `fillMissingZonePrices`). Slots with a published price are never forecast. Several rows of the preferred
 * market overlapping a slot are averaged weighted by overlap; each non-day-ahead choice and each price
 * issued more than `priceMaxAgeHours` before `nowMs` is reported as an assumption.
 */
export function resolveZonePrices(
  zone: string,
  slotStartsMs: number[],
  slotMinutes: number,
  candidates: PriceCandidate[],
  lastBefore: PriceCandidate | null,
  nowMs: number,
  priceMaxAgeHours: number,
  forecast: ZoneForecastInput | null = null,
): { series: ZonePriceSeries; assumptions: Assumption[]; missingSlots: number[] } {
  const n = slotStartsMs.length;
  const series: ZonePriceSeries = {
    zone,
    pricePerMwh: new Array<number>(n).fill(Number.NaN),
    carbonGPerKwh: new Array<number | null>(n).fill(null),
    source: new Array<PriceSource>(n).fill('assumed'),
    issuedAtUtc: new Array<string | null>(n).fill(null),
  };
  const bySource = new Map<string, number[]>();
  const stale = new Map<number, number[]>();
  const missingSlots: number[] = [];
  const published = publishedSlotPrices(slotStartsMs, slotMinutes, candidates);
  const firstUnpublished = afterLastPublished(published);
  const own = forecast ? gridshiftForecast(forecast, slotStartsMs, firstUnpublished) : null;
  const forecastSlots: number[] = [];
  let carried: PriceCandidate | null = lastBefore;
  for (let t = 0; t < n; t += 1) {
    const from = slotStartsMs[t]!;
    const chosen = published[t];
    if (chosen) {
      series.pricePerMwh[t] = chosen.price;
      series.carbonGPerKwh[t] = chosen.carbon;
      series.source[t] = chosen.market;
      series.issuedAtUtc[t] = new Date(chosen.issuedAtMs).toISOString();
      carried = {
        intervalStartMs: from,
        minutes: slotMinutes,
        market: chosen.market,
        pricePerMwh: chosen.price,
        carbonGPerKwh: chosen.carbon,
        issuedAtMs: chosen.issuedAtMs,
      };
      if (chosen.market !== 'day_ahead') push(bySource, chosen.market, t);
      if (nowMs - chosen.issuedAtMs > priceMaxAgeHours * MS_PER_HOUR) push(stale, chosen.issuedAtMs, t);
    } else if (own && t >= firstUnpublished) {
      // Hourly forecast spread to the slot grid: every slot takes its UTC hour's value. Carbon intensity is
      // not forecast: the last known one is kept.
      series.pricePerMwh[t] = own.forecast.point[own.hourOfSlot(t)]!;
      series.carbonGPerKwh[t] = carried?.carbonGPerKwh ?? null;
      series.source[t] = 'gridshift-forecast';
      forecastSlots.push(t);
      // A forecast is as old as the published price it follows: a dead feed still shows up as stale.
      if (carried && nowMs - carried.issuedAtMs > priceMaxAgeHours * MS_PER_HOUR)
        push(stale, carried.issuedAtMs, t);
    } else if (carried) {
      series.pricePerMwh[t] = carried.pricePerMwh;
      series.carbonGPerKwh[t] = carried.carbonGPerKwh;
      series.source[t] = 'carried-forward';
      series.issuedAtUtc[t] = new Date(carried.issuedAtMs).toISOString();
      push(bySource, `carried:${carried.intervalStartMs}`, t);
      if (nowMs - carried.issuedAtMs > priceMaxAgeHours * MS_PER_HOUR) push(stale, carried.issuedAtMs, t);
    } else {
      missingSlots.push(t);
    }
  }
  const iso = (slots: number[]) => slots.map((t) => new Date(slotStartsMs[t]!).toISOString());
  const assumptions: Assumption[] = [];
  if (own && forecastSlots.length > 0) {
    const hourIndex = forecastSlots.map(own.hourOfSlot);
    const band = (values: Float64Array) => hourIndex.map((h) => round2(values[h]!));
    // The last published slot, or (none in the horizon) the last hour of history.
    const after = new Date(
      firstUnpublished > 0 ? slotStartsMs[firstUnpublished - 1]! : own.forecast.startMs - MS_PER_HOUR,
    ).toISOString();
    assumptions.push({
      code: 'price-forecast',
      zone,
      slotStartsUtc: iso(forecastSlots),
      message:
        `${zone}: no published price for ${forecastSlots.length} slot(s) after ${after.slice(0, 16)}Z; ` +
        `gridshift's ${own.forecast.method} forecast from ${describeHours(own.historyHours)} of history was used`,
      details: {
        source: 'gridshift',
        method: own.forecast.method,
        historyHours: own.historyHours,
        shortHistory: own.forecast.shortHistory,
        bands: { p10: band(own.forecast.p10), p50: band(own.forecast.p50), p90: band(own.forecast.p90) },
      },
    });
  }
  for (const [key, slots] of bySource) {
    if (key.startsWith('carried:')) {
      const fromMs = Number(key.slice('carried:'.length));
      assumptions.push({
        code: 'price-carried-forward',
        zone,
        slotStartsUtc: iso(slots),
        message: `${zone}: no price for ${slots.length} slot(s); the last known price (slot ${new Date(fromMs).toISOString()}) was carried forward`,
        details: { fromIntervalStartUtc: new Date(fromMs).toISOString() },
      });
    } else {
      const code =
        key === 'intraday' ? 'price-intraday' : key === 'real_time' ? 'price-real-time' : 'price-forecast';
      const what = key === 'forecast' ? "a partner's forecast" : `the ${key.replace('_', '-')}`;
      assumptions.push({
        code,
        zone,
        slotStartsUtc: iso(slots),
        message: `${zone}: no day-ahead price for ${slots.length} slot(s); ${what} price was used`,
        ...(key === 'forecast' ? { details: { source: 'partner' } } : {}),
      });
    }
  }
  for (const [issuedAtMs, slots] of stale) {
    const ageHours = Math.round(((nowMs - issuedAtMs) / MS_PER_HOUR) * 10) / 10;
    assumptions.push({
      code: 'price-stale',
      zone,
      slotStartsUtc: iso(slots),
      message: `${zone}: the price used for ${slots.length} slot(s) was issued ${ageHours} h ago (limit ${priceMaxAgeHours} h)`,
      details: { issuedAtUtc: new Date(issuedAtMs).toISOString(), ageHours },
    });
  }
  return { series, assumptions, missingSlots };
}

/**
 * Fills slots without any known price: the median of the zones that have a (non-assumed) price in that
 * slot, else `missingPricePerMwh`. Mutates the series it is given (they are the caller's fresh objects).
 */
export function fillMissingZonePrices(
  series: ZonePriceSeries[],
  missing: Map<string, number[]>,
  slotStartsUtc: string[],
  missingPricePerMwh: number,
): Assumption[] {
  const assumptions: Assumption[] = [];
  for (const zoneSeries of series) {
    const slots = missing.get(zoneSeries.zone) ?? [];
    if (slots.length === 0) continue;
    const byBasis = new Map<string, number[]>();
    for (const t of slots) {
      const known = series
        .filter((s) => s.source[t] !== 'assumed' && Number.isFinite(s.pricePerMwh[t]))
        .map((s) => s.pricePerMwh[t]!);
      const basis = known.length > 0 ? 'fleet-median' : 'configured-default';
      zoneSeries.pricePerMwh[t] = known.length > 0 ? median(known) : missingPricePerMwh;
      zoneSeries.source[t] = 'assumed';
      push(byBasis, basis, t);
    }
    for (const [basis, ts] of byBasis) {
      assumptions.push({
        code: 'price-missing',
        zone: zoneSeries.zone,
        slotStartsUtc: ts.map((t) => slotStartsUtc[t]!),
        message:
          basis === 'fleet-median'
            ? `${zoneSeries.zone}: no price known for ${ts.length} slot(s); the median price of the other zones was assumed`
            : `${zoneSeries.zone}: no price known for ${ts.length} slot(s) in any zone; ${missingPricePerMwh} per MWh was assumed`,
        details: { basis, assumedPricePerMwh: ts.map((t) => zoneSeries.pricePerMwh[t]) },
      });
    }
  }
  return assumptions;
}

/**
 * Capacity forecast of one cluster: the latest schedulable GPUs for the first slot, then per slot the
 * median schedulable GPUs reported at the same UTC hour of day within the lookback (else the latest),
 * capped by the installed GPUs. No report at all → 0 GPUs (flagged); an old report → used, flagged.
 */
export function forecastCapacity(
  cluster: Pick<PlanningCluster, 'id' | 'gpuTotal' | 'state'>,
  medianByHour: Map<number, number>,
  slotStartsMs: number[],
  nowMs: number,
  loadMaxAgeMinutes: number,
): { schedulableGpus: number[]; assumptions: Assumption[] } {
  const state = cluster.state;
  if (!state) {
    return {
      schedulableGpus: slotStartsMs.map(() => 0),
      assumptions: [
        {
          code: 'capacity-missing',
          clusterId: cluster.id,
          message: `${cluster.id}: no load report yet; 0 schedulable GPUs assumed`,
        },
      ],
    };
  }
  const cap = Math.min(cluster.gpuTotal, state.gpuTotal);
  const latest = Math.max(0, Math.min(cap, state.gpuSchedulable));
  let forecastUsed = false;
  const schedulableGpus = slotStartsMs.map((startMs, t) => {
    if (t === 0) return latest;
    const m = medianByHour.get(new Date(startMs).getUTCHours());
    if (m === undefined) return latest;
    const value = Math.max(0, Math.min(cap, Math.floor(m)));
    if (value !== latest) forecastUsed = true;
    return value;
  });
  const assumptions: Assumption[] = [];
  const ageMinutes = (nowMs - Date.parse(state.observedAtUtc)) / MS_PER_MINUTE;
  if (ageMinutes > loadMaxAgeMinutes) {
    assumptions.push({
      code: 'capacity-stale',
      clusterId: cluster.id,
      message: `${cluster.id}: the latest load report is ${Math.round(ageMinutes)} min old (limit ${loadMaxAgeMinutes} min); used anyway`,
      details: { observedAtUtc: state.observedAtUtc, ageMinutes: Math.round(ageMinutes) },
    });
  }
  if (forecastUsed) {
    assumptions.push({
      code: 'capacity-forecast',
      clusterId: cluster.id,
      message: `${cluster.id}: future slots use the median schedulable GPUs reported at the same hour of day`,
    });
  }
  return { schedulableGpus, assumptions };
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type Db = DataSource | EntityManager;

/** A `clusters` row's fleet columns as PostgreSQL returns them (shared with the admin API's cluster views). */
export interface ClusterRow {
  id: string;
  name: string;
  region: string;
  zone: string;
  gpu_model: string;
  gpu_total: number;
  kw_per_gpu: number;
  pue: number;
  power_cap_kw: number | null;
  latency_ms_by_origin: Record<string, number>;
}

/** A cluster joined with its latest `cluster_state` (the `s_` columns are null without a report). */
interface ClusterWithStateRow extends ClusterRow {
  s_observed_at: Date | null;
  s_gpu_total: number | null;
  s_gpu_busy: number | null;
  s_gpu_schedulable: number | null;
  s_power_cap_kw: number | null;
  s_pue: number | null;
}

interface PriceRowDb {
  zone: string;
  market: string;
  interval_start: Date;
  slot_minutes: number;
  price_per_mwh: number;
  carbon_g_per_kwh: number | null;
  issued_at: Date;
}

/** Options of `loadInputs`. */
export interface LoadInputsOptions {
  settings: PlanningSettings;
  /** The planning clock; default the wall clock. */
  now?: Date;
  /** Skip reading jobs (change detection only needs prices and capacity). */
  withJobs?: boolean;
}

/**
 * Phase 1 — reads clusters, their latest state and recent load, prices around the horizon and the
 * active jobs, and resolves prices and capacity per slot (flagging every assumption).
 */
export async function loadInputs(db: Db, options: LoadInputsOptions): Promise<PlanningInputs> {
  const { settings } = options;
  const nowMs = (options.now ?? new Date()).getTime();
  const grid = slotGrid(nowMs, settings);
  const horizonEndMs = grid.horizonStartMs + grid.slotStartsMs.length * settings.slotMinutes * MS_PER_MINUTE;
  const clusterRows = await db.query<ClusterWithStateRow[]>(
    `select c.id, c.name, c.region, c.zone, c.gpu_model, c.gpu_total, c.kw_per_gpu, c.pue, c.power_cap_kw,
            c.latency_ms_by_origin, s.observed_at as s_observed_at, s.gpu_total as s_gpu_total,
            s.gpu_busy as s_gpu_busy, s.gpu_schedulable as s_gpu_schedulable,
            s.power_cap_kw as s_power_cap_kw, s.pue as s_pue
     from clusters c left join cluster_state s on s.cluster_id = c.id
     where c.active order by c.id`,
  );
  const clusterIds = clusterRows.map((c) => c.id);
  const zones = [...new Set(clusterRows.map((c) => c.zone))].sort();
  const [profileRows, priceRows, lastRows, jobRows] = await Promise.all([
    db.query<{ cluster_id: string; hour: number; median: number }[]>(
      `select cluster_id, extract(hour from observed_at at time zone 'UTC')::int as hour,
              percentile_cont(0.5) within group (order by gpu_schedulable) as median
       from load_reports where cluster_id = any($1) and observed_at >= $2 and observed_at <= $3
       group by 1, 2`,
      [clusterIds, new Date(nowMs - settings.capacityLookbackHours * MS_PER_HOUR), new Date(nowMs)],
    ),
    db.query<PriceRowDb[]>(
      `select distinct on (zone, market, interval_start)
              zone, market, interval_start, slot_minutes, price_per_mwh, carbon_g_per_kwh, issued_at
       from prices_between($1, $2, $3)
       order by zone, market, interval_start, issued_at desc, partner_id`,
      [zones, new Date(grid.horizonStartMs - 24 * MS_PER_HOUR), new Date(horizonEndMs)],
    ),
    db.query<PriceRowDb[]>(
      `select z.zone, p.market, p.interval_start, p.slot_minutes, p.price_per_mwh, p.carbon_g_per_kwh, p.issued_at
       from unnest($1::text[]) as z(zone)
       cross join lateral (
         select i.market, i.block_start + (s.n - 1) * make_interval(mins => i.slot_minutes) as interval_start,
                i.slot_minutes, i.price_per_mwh[s.n] as price_per_mwh, i.carbon_g_per_kwh[s.n] as carbon_g_per_kwh,
                i.issued_at
         from price_issues i cross join lateral generate_series(1, cardinality(i.price_per_mwh)) as s(n)
         where i.zone = z.zone and i.block_start < $2 and i.price_per_mwh[s.n] is not null
           and i.block_start + (s.n - 1) * make_interval(mins => i.slot_minutes) < $2
         -- newest day first (the primary key's order), so only the last days' issues are expanded
         order by i.block_start desc, interval_start desc, i.issued_at desc limit 1) p`,
      [zones, new Date(grid.horizonStartMs)],
    ),
    options.withJobs === false
      ? Promise.resolve([])
      : db.query<JobRow[]>(
          `select id, name, model, kind, tokens_per_second_per_gpu, tokens_per_hour, demand_profile, total_tokens,
                  window_start, deadline, origin, latency_sla_ms, residency, tier, max_gpus, pins, home_cluster_id
           from jobs
           where status = 'active' and (deadline is null or deadline > $1) and (window_start is null or window_start < $2)
           order by id`,
          [new Date(grid.horizonStartMs), new Date(horizonEndMs)],
        ),
  ]);

  const assumptions: Assumption[] = [];
  const profiles = new Map<string, Map<number, number>>();
  for (const r of profileRows) {
    let m = profiles.get(r.cluster_id);
    if (!m) profiles.set(r.cluster_id, (m = new Map<number, number>()));
    m.set(r.hour, Number(r.median));
  }
  const clusters: PlanningCluster[] = clusterRows.map((r) => {
    const state: ClusterStateSnapshot | null =
      r.s_observed_at === null
        ? null
        : {
            observedAtUtc: r.s_observed_at.toISOString(),
            gpuTotal: r.s_gpu_total ?? r.gpu_total,
            gpuBusy: r.s_gpu_busy ?? 0,
            gpuSchedulable: r.s_gpu_schedulable ?? 0,
            powerCapKw: r.s_power_cap_kw,
            pue: r.s_pue ?? r.pue,
          };
    const base = { id: r.id, gpuTotal: r.gpu_total, state };
    const forecast = forecastCapacity(
      base,
      profiles.get(r.id) ?? new Map<number, number>(),
      grid.slotStartsMs,
      nowMs,
      settings.loadMaxAgeMinutes,
    );
    assumptions.push(...forecast.assumptions);
    return {
      id: r.id,
      name: r.name,
      region: r.region,
      zone: r.zone,
      gpuModel: r.gpu_model,
      gpuTotal: r.gpu_total,
      kwPerGpu: r.kw_per_gpu,
      // The latest reported PUE and power cap win over the registered ones.
      pue: state?.pue ?? r.pue,
      powerCapKw: state?.powerCapKw ?? r.power_cap_kw,
      latencyMsByOrigin: r.latency_ms_by_origin ?? {},
      state,
      schedulableGpus: forecast.schedulableGpus,
    };
  });

  const toCandidate = (p: PriceRowDb): PriceCandidate => ({
    intervalStartMs: p.interval_start.getTime(),
    minutes: p.slot_minutes,
    market: p.market,
    pricePerMwh: p.price_per_mwh,
    carbonGPerKwh: p.carbon_g_per_kwh,
    issuedAtMs: p.issued_at.getTime(),
  });
  const candidatesByZone = new Map<string, PriceCandidate[]>();
  for (const p of priceRows) {
    const list = candidatesByZone.get(p.zone);
    if (list) list.push(toCandidate(p));
    else candidatesByZone.set(p.zone, [toCandidate(p)]);
  }
  const lastByZone = new Map(lastRows.map((p) => [p.zone, toCandidate(p)]));
  const horizonCandidates = new Map(
    zones.map((zone) => [
      zone,
      (candidatesByZone.get(zone) ?? []).filter(
        (c) => c.intervalStartMs + c.minutes * MS_PER_MINUTE > grid.horizonStartMs,
      ),
    ]),
  );
  // gridshift forecasts the slots after the last published one from the zone's history before that slot's
  // hour, as stored with issued_at <= now (no look-ahead); the bands need BAND_ORIGIN_DAYS more days.
  const cutoffs = zones.flatMap((zone) => {
    const first = firstUnpublishedSlot(grid.slotStartsMs, settings.slotMinutes, horizonCandidates.get(zone)!);
    return first < grid.slotStartsMs.length
      ? [{ zone, beforeMs: forecastCutoffMs(grid.slotStartsMs[first]!) }]
      : [];
  });
  const historyHours = settings.forecastLookbackHours + BAND_ORIGIN_DAYS * 24;
  const historyPoints = await new PriceRepository(db).hourlyHistory(cutoffs, historyHours, new Date(nowMs));
  const historyByZone = new Map(
    cutoffs.map((c) => [
      c.zone,
      hourlyPriceHistory(
        historyPoints.filter((p) => p.zone === c.zone),
        c.beforeMs,
        historyHours,
      ),
    ]),
  );
  const missing = new Map<string, number[]>();
  const series = zones.map((zone) => {
    const history = historyByZone.get(zone);
    const resolved = resolveZonePrices(
      zone,
      grid.slotStartsMs,
      settings.slotMinutes,
      horizonCandidates.get(zone)!,
      // Rows just before the horizon that still overlap it are candidates, not carried prices.
      lastByZone.get(zone) ?? null,
      nowMs,
      settings.priceMaxAgeHours,
      history ? { history, lookbackHours: settings.forecastLookbackHours } : null,
    );
    assumptions.push(...resolved.assumptions);
    if (resolved.missingSlots.length > 0) missing.set(zone, resolved.missingSlots);
    return resolved.series;
  });
  assumptions.push(
    ...fillMissingZonePrices(series, missing, grid.slotStartsUtc, settings.missingPricePerMwh),
  );

  return {
    nowUtc: new Date(nowMs).toISOString(),
    horizonStartUtc: new Date(grid.horizonStartMs).toISOString(),
    slotMinutes: settings.slotMinutes,
    slotStartsUtc: grid.slotStartsUtc,
    clusters,
    zones: series,
    jobs: jobRows.map(toPlanningJob),
    assumptions,
    settings,
  };
}

/** A `jobs` row's planning columns as PostgreSQL returns them (shared with the admin API's job views). */
export interface JobRow {
  id: string;
  name: string;
  model: string;
  kind: 'interactive' | 'batch';
  tokens_per_second_per_gpu: Record<string, number>;
  tokens_per_hour: number | null;
  demand_profile: number[] | null;
  total_tokens: number | null;
  window_start: Date | null;
  deadline: Date | null;
  origin: string;
  latency_sla_ms: number | null;
  residency: string[];
  tier: string;
  max_gpus: number;
  pins: { mustRunIn?: string[]; mustNotRunIn?: string[] };
  home_cluster_id: string | null;
}

function toPlanningJob(r: JobRow): PlanningJob {
  return {
    id: r.id,
    name: r.name,
    model: r.model,
    kind: r.kind,
    tokensPerSecondPerGpu: r.tokens_per_second_per_gpu ?? {},
    tokensPerHour: r.tokens_per_hour,
    demandProfile: r.demand_profile,
    totalTokens: r.total_tokens,
    windowStartUtc: r.window_start?.toISOString() ?? null,
    deadlineUtc: r.deadline?.toISOString() ?? null,
    origin: r.origin,
    latencySlaMs: r.latency_sla_ms,
    residency: r.residency ?? [],
    tier: r.tier,
    maxGpus: r.max_gpus,
    pins: r.pins ?? {},
    homeClusterId: r.home_cluster_id ?? null,
  };
}

/** The planning clock: `wall` = now; `load-reports` = the newest load report (for replays of past data). */
export async function planningNow(db: Db, mode: 'wall' | 'load-reports', fixed?: string): Promise<Date> {
  if (fixed) return new Date(fixed);
  if (mode === 'wall') return new Date();
  const rows = await db.query<{ at: Date | null }[]>(`select max(observed_at) as at from cluster_state`);
  return rows[0]?.at ?? new Date();
}
