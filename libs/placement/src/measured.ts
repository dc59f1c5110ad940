// Measured savings (M&V): realized usage at the prices actually paid against the plan and against the home and
// greedy baselines re-run on the realized demand; grouping and totals that equal the sum of their rows.
import type { JobInput, PlacementProblem } from './model.js';
import { baselinePlacements, type BaselineKind } from './solve.js';

// Measurement and verification (M&V, after IPMVP option C's "measured consumption against an adjusted
// baseline"): what the work that really ran cost at the prices really paid, against what the home and greedy
// baselines would have paid for the same realized work at the same prices, and against the plan. Pure.

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Realized usage of one job in one cluster and interval (from the data centers). */
export interface MeasuredUsage {
  clusterId: string;
  jobId: string;
  slotStartMs: number;
  minutes: number;
  gpuHours: number;
  /** Metered facility energy, kWh. */
  energyKwh: number;
}

/**
 * Realized usage as columns: row i is (clusterIds[clusterIndex[i]], jobIds[jobIndex[i]], slotStartMs[i], …). A month
 * is ~100,000 rows; as columns they are a few typed arrays instead of an object and strings per row.
 */
export interface MeasuredUsageColumns {
  clusterIds: readonly string[];
  jobIds: readonly string[];
  clusterIndex: Int32Array;
  jobIndex: Int32Array;
  slotStartMs: Float64Array;
  minutes: Float64Array;
  gpuHours: Float64Array;
  /** Metered facility energy, kWh. */
  energyKwh: Float64Array;
}

/** The same usage as columns (ids numbered in order of first appearance). */
export function usageColumns(rows: readonly MeasuredUsage[]): MeasuredUsageColumns {
  const clusterIds: string[] = [];
  const jobIds: string[] = [];
  const clusterNumber = new Map<string, number>();
  const jobNumber = new Map<string, number>();
  const number = (ids: string[], numbers: Map<string, number>, id: string): number => {
    let n = numbers.get(id);
    if (n === undefined) numbers.set(id, (n = ids.push(id) - 1));
    return n;
  };
  const columns: MeasuredUsageColumns = {
    clusterIds,
    jobIds,
    clusterIndex: new Int32Array(rows.length),
    jobIndex: new Int32Array(rows.length),
    slotStartMs: new Float64Array(rows.length),
    minutes: new Float64Array(rows.length),
    gpuHours: new Float64Array(rows.length),
    energyKwh: new Float64Array(rows.length),
  };
  rows.forEach((u, i) => {
    columns.clusterIndex[i] = number(clusterIds, clusterNumber, u.clusterId);
    columns.jobIndex[i] = number(jobIds, jobNumber, u.jobId);
    columns.slotStartMs[i] = u.slotStartMs;
    columns.minutes[i] = u.minutes;
    columns.gpuHours[i] = u.gpuHours;
    columns.energyKwh[i] = u.energyKwh;
  });
  return columns;
}

/** A stored price interval of a zone (base currency per MWh). */
export interface PricePaidInterval {
  zone: string;
  market: string;
  intervalStartMs: number;
  minutes: number;
  pricePerMwh: number;
}

/** Planned GPU-hours of the schedule in force for a slot. */
export interface PlannedUsage {
  clusterId: string;
  jobId: string;
  slotStartMs: number;
  minutes: number;
  gpuHours: number;
}

export interface MeasuredCluster {
  id: string;
  zone: string;
  region: string;
  gpuTotal: number;
  kwPerGpu: number;
  pue: number;
  latencyMsByOrigin: Record<string, number>;
  /** Schedulable GPUs reported per UTC hour start (ms); hours without a report use the latest earlier one. */
  capacityByHour: ReadonlyMap<number, number>;
}

export interface MeasuredJob {
  id: string;
  kind: 'interactive' | 'batch';
  maxGpus: number;
  origin?: string;
  latencySlaMs?: number | null;
  /** Allowed zones (empty = any). */
  residencyZones: string[];
  pins?: { mustRunIn?: string[]; mustNotRunIn?: string[] };
  homeClusterId?: string | null;
}

export type MeasuredGroupBy = 'day' | 'zone' | 'cluster' | 'job';

/** What the home and greedy baselines of one day's counterfactual problem ran, per (cluster, job) of the day. */
export type DayBaselines = ReadonlyMap<
  BaselineKind,
  {
    clusterIds: readonly string[];
    jobIds: readonly string[];
    gpuHours: Float64Array;
    /** GPU-hours × the cluster's kWh per GPU-hour × the hour's price ÷ 1000, summed over the day's hours. */
    cost: Float64Array;
  }
>;

/**
 * A memo of each day's baselines, keyed by that day's complete counterfactual problem as JSON (usage, fleet,
 * capacity, prices and kWh per GPU-hour: everything the baselines and their costs read), so a hit is exactly what
 * solving again would give. The caller owns it (and bounds it, e.g. hashing the key); measureSavings stays pure.
 */
export interface BaselineMemo {
  get(problemKey: string): DayBaselines | undefined;
  set(problemKey: string, baselines: DayBaselines): void;
}

export interface MeasuredInput {
  fromMs: number;
  toMs: number;
  groupBy: MeasuredGroupBy;
  /** In the repository's order (interval, cluster, job): sums add up in input order. */
  usage: readonly MeasuredUsage[] | MeasuredUsageColumns;
  prices: readonly PricePaidInterval[];
  planned: readonly PlannedUsage[];
  clusters: readonly MeasuredCluster[];
  /** Jobs as registered; a job with usage but no registration is treated as interactive and unrestricted. */
  jobs: readonly MeasuredJob[];
}

/** GPU-hours and cost of one side of the comparison in a row. */
export interface MeasuredSide {
  gpuHours: number;
  cost: number;
}

export interface MeasuredRow {
  key: string;
  realized: MeasuredSide & { energyKwh: number };
  plan: MeasuredSide;
  home: MeasuredSide;
  greedy: MeasuredSide;
  /** home.cost − realized.cost; null when home does not serve the same work overall (see `comparable`). */
  vsHome: number | null;
  vsGreedy: number | null;
  /** plan.cost − realized.cost. */
  vsPlan: number;
}

export interface MeasuredReport {
  rows: MeasuredRow[];
  totals: Omit<MeasuredRow, 'key'> & { vsHomePct: number | null; vsGreedyPct: number | null };
  /** False when that baseline serves more than 0.1 % less of the realized work than really ran (no saving then). */
  comparable: { home: boolean; greedy: boolean };
  /** Which market priced the realized energy, kWh per market. */
  energyKwhByMarket: Record<string, number>;
  /** Zone-hours without any stored price: the zone's nearest known price was used. */
  pricesCarriedHours: number;
  /** kWh per GPU-hour used per cluster (metered ÷ realized; registered kW per GPU × PUE without usage). */
  kwhPerGpuHourByCluster: Record<string, number>;
}

/** Share of realized GPU-hours a baseline may serve less and still be compared (as in `savingsAgainst`). */
const SAME_WORK_TOLERANCE = 1e-3;
/** Markets that say what was paid, best first (forecasts never do). */
const PAID_MARKETS = ['real_time', 'intraday', 'day_ahead'] as const;

/** A zone's stored intervals of one market, in input order, with what a lookup by time needs. */
interface MarketIntervals {
  starts: number[];
  ends: number[];
  prices: number[];
  /** Starts never decrease (the repository reads them ordered): lookups bisect; else they scan. */
  sorted: boolean;
  /** Longest interval, ms: an interval overlapping [s, e) starts after s − longest. */
  longestMs: number;
}

/** Stored intervals by zone, then market. */
type PriceIndex = ReadonlyMap<string, ReadonlyMap<string, MarketIntervals>>;

function indexPrices(prices: readonly PricePaidInterval[]): PriceIndex {
  const index = new Map<string, Map<string, MarketIntervals>>();
  for (const p of prices) {
    let byMarket = index.get(p.zone);
    if (byMarket === undefined) index.set(p.zone, (byMarket = new Map<string, MarketIntervals>()));
    let m = byMarket.get(p.market);
    if (m === undefined)
      byMarket.set(p.market, (m = { starts: [], ends: [], prices: [], sorted: true, longestMs: 0 }));
    const endMs = p.intervalStartMs + p.minutes * MS_PER_MINUTE;
    if (m.starts.length > 0 && p.intervalStartMs < m.starts[m.starts.length - 1]!) m.sorted = false;
    m.starts.push(p.intervalStartMs);
    m.ends.push(endMs);
    m.prices.push(p.pricePerMwh);
    m.longestMs = Math.max(m.longestMs, endMs - p.intervalStartMs);
  }
  return index;
}

/**
 * Time-weighted price of `zone` over [startMs, endMs) from the first market in `markets` that covers any of it.
 * Overlapping intervals are summed in input order (bisecting only skips intervals that cannot overlap), so the
 * figures are the same as a scan of every interval.
 */
function priceOver(
  index: PriceIndex,
  zone: string,
  startMs: number,
  endMs: number,
  markets: readonly string[],
): { price: number; market: string } | null {
  const byMarket = index.get(zone);
  if (byMarket === undefined) return null;
  for (const market of markets) {
    const m = byMarket.get(market);
    if (m === undefined) continue;
    let i = 0;
    if (m.sorted) {
      // First interval that may reach past startMs: starts > startMs − longest.
      const after = startMs - m.longestMs;
      let hi = m.starts.length;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (m.starts[mid]! <= after) i = mid + 1;
        else hi = mid;
      }
    }
    let weight = 0;
    let sum = 0;
    for (; i < m.starts.length; i++) {
      const s = m.starts[i]!;
      if (m.sorted && s >= endMs) break;
      const overlap = Math.min(endMs, m.ends[i]!) - Math.max(startMs, s);
      if (overlap <= 0) continue;
      weight += overlap;
      sum += overlap * m.prices[i]!;
    }
    if (weight > 0) return { price: sum / weight, market };
  }
  return null;
}

/**
 * Measured savings over [fromMs, toMs): realized cost = metered kWh × the price paid (real-time, else intraday, else
 * day-ahead, time-weighted over the usage interval). The baselines run per UTC day on the realized demand
 * (interactive jobs: realized GPU-hours per hour; batch jobs: their day's realized GPU-hours anywhere in the day),
 * the same clusters (capacity: the reported schedulable GPUs, at least what really ran), the same paid hourly prices
 * and each cluster's metered kWh per GPU-hour; plan cost = planned GPU-hours × that kWh per GPU-hour × the
 * day-ahead price. Rows group by day, zone, cluster or job (each side's cost where it is incurred); totals are the
 * sums of the rows.
 */
export function measureSavings(input: MeasuredInput, memo?: BaselineMemo): MeasuredReport {
  const clusterById = new Map(input.clusters.map((c) => [c.id, c]));
  const pricesByZone = indexPrices(input.prices);
  const u = Array.isArray(input.usage)
    ? usageColumns(input.usage as readonly MeasuredUsage[])
    : (input.usage as MeasuredUsageColumns);
  const clusterOfIndex = u.clusterIds.map((id) => clusterById.get(id));
  // One pass: the usage in range (input order), metered kWh per GPU-hour per cluster, and the usage per UTC day
  // (row numbers).
  const inRange: number[] = [];
  const energy = new Map<string, { kwh: number; gpuHours: number }>();
  const byDay = new Map<number, number[]>();
  for (let i = 0; i < u.slotStartMs.length; i++) {
    const slotStartMs = u.slotStartMs[i]!;
    const cluster = clusterOfIndex[u.clusterIndex[i]!];
    if (slotStartMs < input.fromMs || slotStartMs >= input.toMs || cluster === undefined) continue;
    inRange.push(i);
    let e = energy.get(cluster.id);
    if (e === undefined) energy.set(cluster.id, (e = { kwh: 0, gpuHours: 0 }));
    e.kwh += u.energyKwh[i]!;
    e.gpuHours += u.gpuHours[i]!;
    const day = Math.floor(slotStartMs / MS_PER_DAY) * MS_PER_DAY;
    let list = byDay.get(day);
    if (list === undefined) byDay.set(day, (list = []));
    list.push(i);
  }
  const kwhPerGpuHour = new Map(
    input.clusters.map((c) => {
      const e = energy.get(c.id);
      return [c.id, e && e.gpuHours > 0 && e.kwh > 0 ? e.kwh / e.gpuHours : c.kwPerGpu * c.pue];
    }),
  );

  // Hourly paid price per zone (carried from the nearest known hour where none is stored).
  const hourCount = Math.ceil((input.toMs - input.fromMs) / MS_PER_HOUR);
  const firstHourMs = Math.floor(input.fromMs / MS_PER_HOUR) * MS_PER_HOUR;
  const zones = [...new Set(input.clusters.map((c) => c.zone))];
  const zonesUsed = new Set(inRange.map((i) => clusterOfIndex[u.clusterIndex[i]!]!.zone));
  let pricesCarriedHours = 0;
  const hourly = new Map<string, number[]>();
  for (const zone of zones) {
    const known: (number | null)[] = Array.from(
      { length: hourCount },
      (_, h) =>
        priceOver(
          pricesByZone,
          zone,
          firstHourMs + h * MS_PER_HOUR,
          firstHourMs + (h + 1) * MS_PER_HOUR,
          PAID_MARKETS,
        )?.price ?? null,
    );
    const usedZone = zonesUsed.has(zone);
    const filled = fillNearest(known);
    if (usedZone) pricesCarriedHours += known.filter((k) => k === null).length;
    hourly.set(zone, filled ?? known.map(() => 0));
  }
  const hourIndex = (ms: number) => Math.floor((ms - firstHourMs) / MS_PER_HOUR);
  const hourPrice = (zone: string, ms: number) => hourly.get(zone)![Math.max(0, hourIndex(ms))] ?? 0;

  const dayKeys = new Map<number, string>(); // UTC day index → YYYY-MM-DD (formatting dates is not cheap)
  const keyOf = (clusterId: string, jobId: string, ms: number): string => {
    switch (input.groupBy) {
      case 'day': {
        const day = Math.floor(ms / MS_PER_DAY);
        let key = dayKeys.get(day);
        if (key === undefined)
          dayKeys.set(day, (key = new Date(day * MS_PER_DAY).toISOString().slice(0, 10)));
        return key;
      }
      case 'zone':
        return clusterById.get(clusterId)!.zone;
      case 'cluster':
        return clusterId;
      case 'job':
        return jobId;
    }
  };
  const rows = new Map<string, MeasuredRow>();
  const row = (key: string): MeasuredRow => {
    let r = rows.get(key);
    if (r === undefined) {
      r = {
        key,
        realized: { gpuHours: 0, cost: 0, energyKwh: 0 },
        plan: { gpuHours: 0, cost: 0 },
        home: { gpuHours: 0, cost: 0 },
        greedy: { gpuHours: 0, cost: 0 },
        vsHome: null,
        vsGreedy: null,
        vsPlan: 0,
      };
      rows.set(key, r);
    }
    return r;
  };

  // Realized: metered energy × the price paid over the usage interval. Usage comes ordered by interval, so the
  // last lookup per zone and the last day's row are usually the ones needed again.
  const energyKwhByMarket: Record<string, number> = {};
  const lastPaid = new Map<string, { startMs: number; endMs: number; price: number; market: string }>();
  let lastDay = Number.NaN;
  let lastDayRow: MeasuredRow | undefined;
  for (const i of inRange) {
    const clusterId = u.clusterIds[u.clusterIndex[i]!]!;
    const zone = clusterOfIndex[u.clusterIndex[i]!]!.zone;
    const slotStartMs = u.slotStartMs[i]!;
    const endMs = slotStartMs + u.minutes[i]! * MS_PER_MINUTE;
    let paid = lastPaid.get(zone);
    if (paid === undefined || paid.startMs !== slotStartMs || paid.endMs !== endMs) {
      const found = priceOver(pricesByZone, zone, slotStartMs, endMs, PAID_MARKETS);
      paid = {
        startMs: slotStartMs,
        endMs,
        price: found?.price ?? hourPrice(zone, slotStartMs),
        market: found?.market ?? 'carried',
      };
      lastPaid.set(zone, paid);
    }
    const energyKwh = u.energyKwh[i]!;
    energyKwhByMarket[paid.market] = (energyKwhByMarket[paid.market] ?? 0) + energyKwh;
    let r: MeasuredRow;
    if (input.groupBy === 'day') {
      const day = Math.floor(slotStartMs / MS_PER_DAY);
      if (day !== lastDay) {
        lastDay = day;
        lastDayRow = row(keyOf(clusterId, '', slotStartMs));
      }
      r = lastDayRow!;
    } else r = row(keyOf(clusterId, u.jobIds[u.jobIndex[i]!]!, slotStartMs));
    r.realized.gpuHours += u.gpuHours[i]!;
    r.realized.energyKwh += energyKwh;
    r.realized.cost += (energyKwh * paid.price) / 1000;
  }

  // Plan: planned GPU-hours × metered kWh per GPU-hour × the day-ahead price (what the plan was priced with).
  for (const p of input.planned) {
    const cluster = clusterById.get(p.clusterId);
    if (cluster === undefined || p.slotStartMs < input.fromMs || p.slotStartMs >= input.toMs) continue;
    const endMs = p.slotStartMs + p.minutes * MS_PER_MINUTE;
    const price =
      priceOver(pricesByZone, cluster.zone, p.slotStartMs, endMs, ['day_ahead'])?.price ??
      hourPrice(cluster.zone, p.slotStartMs);
    const r = row(keyOf(p.clusterId, p.jobId, p.slotStartMs));
    r.plan.gpuHours += p.gpuHours;
    r.plan.cost += (p.gpuHours * kwhPerGpuHour.get(p.clusterId)! * price) / 1000;
  }

  // Baselines: per UTC day, on the realized demand.
  const jobById = new Map(input.jobs.map((j) => [j.id, j]));
  const capacityBefore = latestCapacityBefore(input.clusters);
  for (const [dayMs, dayUsage] of [...byDay].sort((a, b) => a[0] - b[0])) {
    const startMs = Math.max(dayMs, firstHourMs);
    const endMs = Math.min(dayMs + MS_PER_DAY, firstHourMs + hourCount * MS_PER_HOUR);
    const problem = baselineProblem(
      u,
      dayUsage,
      startMs,
      endMs,
      input.clusters,
      jobById,
      kwhPerGpuHour,
      (z, ms) => hourPrice(z, ms),
      capacityBefore,
    );
    const key = memo && JSON.stringify(problem);
    let baselines = key === undefined ? undefined : memo!.get(key);
    if (baselines === undefined) {
      baselines = dayBaselines(problem);
      if (key !== undefined) memo!.set(key, baselines);
    }
    for (const [kind, sums] of baselines) {
      for (let e = 0; e < sums.jobIds.length; e++) {
        // Every cell of the day's problem lies in the day: the day's start stands for its slots.
        const r = row(keyOf(sums.clusterIds[e]!, sums.jobIds[e]!, startMs));
        const side = kind === 'home' ? r.home : r.greedy;
        side.gpuHours += sums.gpuHours[e]!;
        side.cost += sums.cost[e]!;
      }
    }
  }

  const sorted = [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sum = (pick: (r: MeasuredRow) => number) => sorted.reduce((s, r) => s + pick(r), 0);
  const realizedGpuHours = sum((r) => r.realized.gpuHours);
  const comparable = {
    home: sum((r) => r.home.gpuHours) >= realizedGpuHours * (1 - SAME_WORK_TOLERANCE),
    greedy: sum((r) => r.greedy.gpuHours) >= realizedGpuHours * (1 - SAME_WORK_TOLERANCE),
  };
  for (const r of sorted) {
    r.vsHome = comparable.home ? r.home.cost - r.realized.cost : null;
    r.vsGreedy = comparable.greedy ? r.greedy.cost - r.realized.cost : null;
    r.vsPlan = r.plan.cost - r.realized.cost;
  }
  const homeCost = sum((r) => r.home.cost);
  const greedyCost = sum((r) => r.greedy.cost);
  const vsHome = comparable.home ? sum((r) => r.vsHome ?? 0) : null;
  const vsGreedy = comparable.greedy ? sum((r) => r.vsGreedy ?? 0) : null;
  return {
    rows: sorted,
    totals: {
      realized: {
        gpuHours: realizedGpuHours,
        cost: sum((r) => r.realized.cost),
        energyKwh: sum((r) => r.realized.energyKwh),
      },
      plan: { gpuHours: sum((r) => r.plan.gpuHours), cost: sum((r) => r.plan.cost) },
      home: { gpuHours: sum((r) => r.home.gpuHours), cost: homeCost },
      greedy: { gpuHours: sum((r) => r.greedy.gpuHours), cost: greedyCost },
      vsHome,
      vsGreedy,
      vsPlan: sum((r) => r.vsPlan),
      vsHomePct: vsHome === null || homeCost === 0 ? null : (vsHome / Math.abs(homeCost)) * 100,
      vsGreedyPct: vsGreedy === null || greedyCost === 0 ? null : (vsGreedy / Math.abs(greedyCost)) * 100,
    },
    comparable,
    energyKwhByMarket,
    pricesCarriedHours,
    kwhPerGpuHourByCluster: Object.fromEntries(kwhPerGpuHour),
  };
}

/** Solves the day's home and greedy baselines; sums GPU-hours and cost per (cluster, job), in placement order. */
function dayBaselines(problem: PlacementProblem): DayBaselines {
  const clusterIndex = new Map(problem.clusters.map((c, i) => [c.id, i]));
  const jobIndex = new Map(problem.jobs.map((j, i) => [j.id, i]));
  const jobCount = problem.jobs.length;
  const out = new Map<BaselineKind, ReturnType<DayBaselines['get']> & object>();
  for (const [kind, placements] of baselinePlacements(problem, ['home', 'greedy'])) {
    // (cluster, job) → entry, keyed by their indices (a string key per placement was most of this function's time).
    const entry = new Map<number, number>();
    const clusterIds: string[] = [];
    const jobIds: string[] = [];
    const gpuHours: number[] = [];
    const cost: number[] = [];
    for (const p of placements) {
      const ci = clusterIndex.get(p.clusterId)!;
      const key = ci * jobCount + jobIndex.get(p.jobId)!;
      let e = entry.get(key);
      if (e === undefined) {
        entry.set(key, (e = jobIds.length));
        clusterIds.push(p.clusterId);
        jobIds.push(p.jobId);
        gpuHours.push(0);
        cost.push(0);
      }
      const c = problem.clusters[ci]!;
      gpuHours[e]! += p.gpuHours;
      cost[e]! += (p.gpuHours * c.kwPerGpu * c.pricePerMwh[p.slotIndex]!) / 1000;
    }
    out.set(kind, {
      clusterIds,
      jobIds,
      gpuHours: Float64Array.from(gpuHours),
      cost: Float64Array.from(cost),
    });
  }
  return out;
}

/**
 * The schedulable GPUs of a cluster's latest report in an hour before `ms` (null: none), each cluster's reports
 * sorted once rather than for every day.
 */
function latestCapacityBefore(
  clusters: readonly MeasuredCluster[],
): (clusterId: string, ms: number) => number | null {
  const sorted = new Map(
    clusters.map((c) => {
      const reports = [...c.capacityByHour].sort((a, b) => a[0] - b[0]);
      return [c.id, { hours: reports.map((r) => r[0]), gpus: reports.map((r) => r[1]) }];
    }),
  );
  return (clusterId, ms) => {
    const c = sorted.get(clusterId);
    if (c === undefined) return null;
    // The number of reported hours before ms: the last of them is the latest.
    let lo = 0;
    let hi = c.hours.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c.hours[mid]! < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : c.gpus[lo - 1]!;
  };
}

/** Nearest known value for each null (earlier first); null when nothing is known. */
function fillNearest(values: readonly (number | null)[]): number[] | null {
  if (values.every((v) => v === null)) return null;
  const out: number[] = [];
  let last: number | null = null;
  for (const v of values) {
    if (v !== null) last = v;
    out.push(last ?? Number.NaN);
  }
  const firstKnown = values.find((v) => v !== null)!;
  return out.map((v) => (Number.isNaN(v) ? firstKnown : v));
}

/** The day's counterfactual problem: realized demand, reported capacity (≥ what ran), paid prices, metered kWh. */
function baselineProblem(
  usage: MeasuredUsageColumns,
  dayRows: readonly number[],
  startMs: number,
  endMs: number,
  clusters: readonly MeasuredCluster[],
  jobById: ReadonlyMap<string, MeasuredJob>,
  kwhPerGpuHour: ReadonlyMap<string, number>,
  hourPrice: (zone: string, ms: number) => number,
  capacityBefore: (clusterId: string, ms: number) => number | null,
): PlacementProblem {
  const slots = Math.max(1, Math.round((endMs - startMs) / MS_PER_HOUR));
  const slotStarts = Array.from({ length: slots }, (_, t) => startMs + t * MS_PER_HOUR);
  const slotOf = (ms: number) => Math.min(slots - 1, Math.max(0, Math.floor((ms - startMs) / MS_PER_HOUR)));
  // By cluster and job number, in order of first appearance (the jobs' order in the problem).
  const ranGpus = new Map<number, number[]>(); // cluster → GPU-hours per slot that really ran
  const demand = new Map<number, number[]>(); // job → realized GPU-hours per slot
  const ranWhere = new Map<number, Map<number, number>>(); // job → cluster → GPU-hours
  for (const i of dayRows) {
    const t = slotOf(usage.slotStartMs[i]!);
    const ci = usage.clusterIndex[i]!;
    const ji = usage.jobIndex[i]!;
    const gpuHours = usage.gpuHours[i]!;
    let cells = ranGpus.get(ci);
    if (cells === undefined) ranGpus.set(ci, (cells = new Array<number>(slots).fill(0)));
    cells[t]! += gpuHours;
    let d = demand.get(ji);
    if (d === undefined) demand.set(ji, (d = new Array<number>(slots).fill(0)));
    d[t]! += gpuHours;
    let where = ranWhere.get(ji);
    if (where === undefined) ranWhere.set(ji, (where = new Map<number, number>()));
    where.set(ci, (where.get(ci) ?? 0) + gpuHours);
  }
  const clusterNumber = new Map(usage.clusterIds.map((id, n) => [id, n]));
  const clusterInputs = clusters.map((c) => {
    // The latest report at or before each slot (reports before the day count), else the installed GPUs.
    let latest = capacityBefore(c.id, startMs);
    const number = clusterNumber.get(c.id);
    const ran = number === undefined ? undefined : ranGpus.get(number);
    const schedulableGpus = slotStarts.map((ms, t) => {
      latest = c.capacityByHour.get(ms) ?? latest;
      // What really ran there was possible, whatever the reports said.
      return Math.max(latest ?? c.gpuTotal, Math.ceil(ran?.[t] ?? 0));
    });
    return {
      id: c.id,
      zone: c.zone,
      region: c.region,
      schedulableGpus,
      kwPerGpu: kwhPerGpuHour.get(c.id)!,
      pue: 1,
      pricePerMwh: slotStarts.map((ms) => hourPrice(c.zone, ms)),
      latencyMsByOrigin: c.latencyMsByOrigin,
    };
  });
  const clusterIds = new Set(clusters.map((c) => c.id));
  const jobs: JobInput[] = [...demand].map(([ji, perSlot]) => {
    const jobId = usage.jobIds[ji]!;
    const job = jobById.get(jobId);
    const where = [...ranWhere.get(ji)!].sort((a, b) => b[1] - a[1]);
    const peak = Math.ceil(Math.max(...perSlot));
    const home =
      job?.homeClusterId && clusterIds.has(job.homeClusterId)
        ? job.homeClusterId
        : usage.clusterIds[where[0]![0]]!;
    const base = {
      id: jobId,
      maxGpus: Math.max(job?.maxGpus ?? 0, peak, 1),
      ...(job && job.residencyZones.length > 0 ? { residencyZones: job.residencyZones } : {}),
      ...(job?.origin && job.latencySlaMs ? { origin: job.origin, latencySlaMs: job.latencySlaMs } : {}),
      ...(job?.pins ? { pins: job.pins } : {}),
      homeClusterId: home,
      penaltyPerGpuHour: 1e6,
    };
    return job?.kind === 'batch'
      ? { ...base, kind: 'batch' as const, totalGpuHours: perSlot.reduce((s, g) => s + g, 0) }
      : { ...base, kind: 'interactive' as const, demandGpuHours: perSlot };
  });
  return {
    slotStartsUtc: slotStarts.map((ms) => new Date(ms).toISOString()),
    slotMinutes: 60,
    currency: 'base',
    clusters: clusterInputs,
    jobs,
  };
}
