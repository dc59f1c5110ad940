// The rolling backtest in one file: four simulations (published plan, perfect foresight, home, greedy) share one
// clock, one state model and one costing at actual prices, and splitting them would spread that shared state
// over several modules that only make sense together.
import {
  buildFleetProblem,
  slotGrid,
  toFleetJobs,
  type ClusterSpec,
  type JobInputMeta,
  type JobSpec,
  type TraceProfiles,
  type ZoneSlots,
} from '#gridshift/fleet';
import { DEFAULT_FORECAST_METHOD, forecastHourly, type ForecastMethod } from '#gridshift/forecast';
import {
  cellCost,
  solveBaseline,
  solvePlacement,
  type ClusterInput,
  type PlacementProblem,
} from '#gridshift/placement';
import { BacktestInputError } from './errors.js';
import { addFigures, zeroFigures, type Figures } from './figures.js';
import { zoneSlots, type HourlyMarket } from './market.js';
import { knownUntilMs, publicationRule, publicationTimes, type PublicationRule } from './publication.js';

// Rolling-horizon backtest (pure apart from timing). Each plan (policy) is simulated on its own, the way it
// would run in production: at each plan time it solves the next horizon with what it knows, commits the work
// up to its next plan time, and carries its own batch progress forward. Every plan is costed at the actual
// prices. Jobs repeat every UTC day.

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const SLOT_MINUTES = 60;
const SECONDS_PER_HOUR = 3600;
const TOKENS_PER_MILLION = 1e6;
/** Below this a batch instance counts as finished (float noise of summed work). */
const EPS_GPU_HOURS = 1e-6;
/** History handed to the forecaster per call (it uses at most its own lookback). */
const FORECAST_HISTORY_HOURS = 8 * 7 * 24;

export type BacktestStep = 'day' | 'hour';

/**
 * What a plan knows about prices. `perfect`: the whole historical curve (hindsight). `published`: a price only
 * from its market's publication time; beyond the last published hour, a forecast from history alone.
 */
export type InformationSet = 'perfect' | 'published';

export interface BacktestOptions {
  /** First UTC day (midnight), inclusive. */
  fromMs: number;
  /** Last UTC midnight, exclusive. */
  toMs: number;
  /**
   * `day`: a plan every day at `planHourUtc` (and, under published information, at every publication of a
   * market the fleet uses); `hour`: a plan every hour.
   */
  step: BacktestStep;
  /** Planning horizon of each solve, hours (clipped where the price data ends). */
  horizonHours: number;
  /** Currency per tonne CO2; 0 = carbon reported, not priced. */
  carbonPricePerTonne: number;
  tierPenaltiesPerGpuHour?: Readonly<Record<string, number>>;
  /** Default `published`. */
  information?: InformationSet;
  /** UTC hour of the daily plan (default 13). */
  planHourUtc?: number;
  /** Publication rules by zone overriding the defaults (`DEFAULT_PUBLICATION_RULES`). */
  publication?: Readonly<Record<string, PublicationRule>>;
  /** Forecast method beyond the published prices (default the forecaster's default). */
  forecastMethod?: ForecastMethod;
}

export interface BacktestInput {
  clusters: readonly ClusterSpec[];
  jobs: readonly JobSpec[];
  traces: TraceProfiles;
  /** Actual prices; may start before the range (history for the forecaster) and run past it. */
  market: HourlyMarket;
  options: BacktestOptions;
}

/** The plans of a backtest over some period, each costed at actual prices on its own work. */
export interface PeriodFigures {
  /**
   * gridshift's plan under the run's information set: the LP optimum of each solve (fractional GPUs) over its
   * committed hours.
   */
  optimal: Figures;
  /** The same plan as published: rounded to whole GPUs; work the rounding drops is charged as unserved. */
  wholeGpu: Figures;
  /** Perfect-foresight optimum (hindsight prices); equals `optimal` when the information set is `perfect`. */
  perfect: Figures;
  /** What operators do without gridshift: home cluster first, spill in latency order, no prices. */
  home: Figures;
  /** The price-aware greedy heuristic under the run's information set. */
  greedy: Figures;
  /** Solves of gridshift's plan (the plans made that day). */
  solves: number;
  /** gridshift's plans of the period against home and greedy, each on the plan's own problem. */
  samePlan?: SamePlanFigures;
  /** Solves that fell back to the greedy schedule (solver error or timeout). */
  fallbackSolves: number;
  solveMs: number;
}

/**
 * Each plan's LP optimum against home and greedy on exactly its own problem (same horizon, remaining work,
 * windows, capacity and the prices the plan knew: actual ones under perfect information), over the whole
 * horizon, all fractional (before whole-GPU rounding). The optimum minimises that cost over every valid
 * schedule, so it is never dearer than either baseline on any plan; a dearer plan is a bug.
 */
export interface SamePlanFigures {
  plans: number;
  optimalCost: number;
  homeCost: number;
  greedyCost: number;
  /** Plans whose optimum cost more than the baseline on the same problem (beyond 1e-9 relative). */
  dearerThanHome: number;
  dearerThanGreedy: number;
}

/** Empty same-problem figures. */
export function zeroSamePlan(): SamePlanFigures {
  return { plans: 0, optimalCost: 0, homeCost: 0, greedyCost: 0, dearerThanHome: 0, dearerThanGreedy: 0 };
}

function addSamePlan(a: SamePlanFigures, b: SamePlanFigures | undefined): SamePlanFigures {
  if (!b) return a;
  return {
    plans: a.plans + b.plans,
    optimalCost: a.optimalCost + b.optimalCost,
    homeCost: a.homeCost + b.homeCost,
    greedyCost: a.greedyCost + b.greedyCost,
    dearerThanHome: a.dearerThanHome + b.dearerThanHome,
    dearerThanGreedy: a.dearerThanGreedy + b.dearerThanGreedy,
  };
}

/** Days of a result on which gridshift's plan (LP figures, its own work at actual prices) cost more. */
export interface DearerDays {
  days: number;
  vsHome: number;
  vsGreedy: number;
}

/** Counts the days on which the plan's total cost exceeds a baseline's beyond 1e-9 relative. */
export function dearerDays(days: readonly PeriodFigures[]): DearerDays {
  const dearer = (ours: number, theirs: number) => ours > theirs + 1e-9 * Math.max(1, Math.abs(theirs));
  return {
    days: days.length,
    vsHome: days.filter((d) => dearer(d.optimal.totalCost, d.home.totalCost)).length,
    vsGreedy: days.filter((d) => dearer(d.optimal.totalCost, d.greedy.totalCost)).length,
  };
}

/** One UTC day of the backtest: the work of that day (interactive hours of the day, batch released that day). */
export interface DayFigures extends PeriodFigures {
  /** `YYYY-MM-DD`. */
  date: string;
}

/** Per job over the whole run (gridshift's plan). */
export interface JobFigures {
  jobId: string;
  kind: 'interactive' | 'batch';
  tier: string;
  demandGpuHours: number;
  servedGpuHours: number;
  unservedGpuHours: number;
  tokensMillions: number;
  /** Served GPU-hours by cluster id. */
  gpuHoursByCluster: Record<string, number>;
}

/** One cluster's committed work per hour of the run (gridshift's plan). */
export interface ClusterHours {
  id: string;
  zone: string;
  schedulableGpus: number[];
  /** Whole GPUs reserved by gridshift. */
  gpus: number[];
  /** GPU-hours of work. */
  gpuHours: number[];
}

/** How much of the plan's prices were published and how much forecast. */
export interface InformationStats {
  information: InformationSet;
  /** Plans of gridshift's plan and their times' origins. */
  plans: number;
  publicationPlans: number;
  /** Zone-hours over all plans' horizons that were published / forecast. */
  publishedZoneHours: number;
  forecastZoneHours: number;
  forecastMethod: ForecastMethod | null;
  /** Publication rule per zone used. */
  publication: { zone: string; rule: PublicationRule }[];
}

export interface BacktestResult {
  options: BacktestOptions;
  information: InformationStats;
  currency: string;
  days: DayFigures[];
  totals: PeriodFigures;
  /** Hour starts of [from, to), epoch ms. */
  hourStartsMs: number[];
  zones: {
    zone: string;
    sourceCurrency: string;
    pricePerMwh: number[];
    carbonGPerKwh: (number | null)[] | null;
  }[];
  clusters: ClusterHours[];
  jobs: JobFigures[];
  /** Solver name(s) used, e.g. `polymatroid-flow`. */
  solvers: string[];
  /** What the run assumed or could not do, for the report. */
  notes: string[];
}

export interface BacktestProgress {
  done: number;
  total: number;
  /** Start of the step just finished, ISO UTC. */
  stepStartUtc: string;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Checks the options; throws BacktestInputError with the rule that failed. */
export function validateBacktestOptions(o: BacktestOptions): void {
  if (!Number.isFinite(o.fromMs) || !Number.isFinite(o.toMs))
    throw new BacktestInputError('--from and --to must be dates');
  if (o.fromMs % MS_PER_DAY !== 0 || o.toMs % MS_PER_DAY !== 0)
    throw new BacktestInputError(
      '--from and --to must be UTC midnights (YYYY-MM-DD); the report is per UTC day',
    );
  if (o.toMs <= o.fromMs) throw new BacktestInputError('--to must be after --from (--to is exclusive)');
  const stepHours = o.step === 'day' ? 24 : 1;
  if (!Number.isInteger(o.horizonHours) || o.horizonHours < stepHours || o.horizonHours > 168)
    throw new BacktestInputError(
      `--horizon-hours must be a whole number of hours from ${stepHours} (one ${o.step} step) to 168, got ${o.horizonHours}`,
    );
  if (!Number.isFinite(o.carbonPricePerTonne) || o.carbonPricePerTonne < 0)
    throw new BacktestInputError(`--carbon-price must be ≥ 0, got ${o.carbonPricePerTonne}`);
  const planHour = o.planHourUtc ?? 13;
  if (!Number.isInteger(planHour) || planHour < 0 || planHour > 23)
    throw new BacktestInputError(`--plan-hour must be a whole UTC hour 0..23, got ${planHour}`);
}

/** Which plan a simulation runs. */
type PlanKind = 'lp' | 'home' | 'greedy';

export interface PlanRun {
  days: Map<string, Figures>;
  /** Whole-GPU figures (LP plans only). */
  wholeDays: Map<string, Figures>;
  /** Solver effort by the UTC day of the plan time. */
  effort: Map<string, { solves: number; fallbackSolves: number; solveMs: number }>;
  /** gridshift's plans against the baselines on each plan's own problem, by the UTC day of the plan time. */
  samePlan: Map<string, SamePlanFigures>;
}

/** The fixed context every simulation shares. */
interface Context {
  input: BacktestInput;
  o: BacktestOptions;
  information: InformationSet;
  marketEndMs: number;
  /** Simulation end: the range end plus the longest batch window (so work released in range is finished). */
  simEndMs: number;
  planTimes: number[];
  publicationPlanTimes: Set<number>;
  rules: Map<string, PublicationRule>;
  forecastCache: Map<string, Float64Array>;
  stats: { publishedZoneHours: number; forecastZoneHours: number };
  solvers: Set<string>;
  fallbackMessages: Set<string>;
  issueMessages: Set<string>;
  horizonClipped: number;
  openAtEnd: Set<string>;
  /** Called after each plan of each simulation. */
  tick: (planMs: number) => void;
  /** Checks only: no work released from this instant (the world ends with the range). */
  workUntilMs?: number;
}

function hourIndex(market: HourlyMarket, ms: number): number {
  return (ms - market.startMs) / MS_PER_HOUR;
}

/** What `knownSlots` reads: the actual market, the options that shape the forecast, a shared forecast cache. */
interface PriceKnowledge {
  market: HourlyMarket;
  o: Pick<BacktestOptions, 'publication' | 'forecastMethod' | 'carbonPricePerTonne' | 'horizonHours'>;
  /** Forecasts by series, zone and first forecast hour (the same publication repeats across plans). */
  forecastCache: Map<string, Float64Array>;
  /** Zone-hours handed to plans as published and as forecast. */
  stats: { publishedZoneHours: number; forecastZoneHours: number };
}

/**
 * The zone series a plan at `atMs` sees for `count` hours under published information (see `knownSlots`):
 * exported for tests that plant prices after the cutoff.
 */
export function pricesKnownAt(
  market: HourlyMarket,
  atMs: number,
  count: number,
  options: PriceKnowledge['o'],
): Map<string, ZoneSlots> {
  const knowledge = {
    market,
    o: options,
    forecastCache: new Map(),
    stats: { publishedZoneHours: 0, forecastZoneHours: 0 },
  };
  return knownSlots(knowledge, atMs, count);
}

/**
 * Prices as a plan at `atMs` knows them for `count` hours from `atMs`: actual up to the zone's last published
 * hour, then the forecast from the history before it (cached per zone and publication). Carbon: actual up to
 * `atMs`, then the same forecaster on carbon history when carbon is priced (it changes no decision otherwise;
 * the evaluation uses actual carbon either way).
 */
function knownSlots(k: PriceKnowledge, atMs: number, count: number): Map<string, ZoneSlots> {
  const market = k.market;
  const h0 = hourIndex(market, atMs);
  const out = new Map<string, ZoneSlots>();
  for (const [zone, z] of market.zones) {
    const rule = publicationRule(zone, k.o.publication);
    const knownEnd = Math.min(hourIndex(market, knownUntilMs(rule, atMs)), market.hours);
    const known = Math.max(0, Math.min(count, knownEnd - h0));
    const price = Array.from(z.pricePerMwh.subarray(h0, h0 + count));
    k.stats.publishedZoneHours += known;
    k.stats.forecastZoneHours += count - known;
    if (known < count) {
      const need = h0 + count - knownEnd;
      const forecast = cachedForecast(k, `p|${zone}|${knownEnd}`, z.pricePerMwh, knownEnd, need);
      for (let t = known; t < count; t++) price[t] = forecast[h0 + t - knownEnd] ?? 0;
    }
    let carbon: (number | null)[] | undefined;
    if (z.carbonGPerKwh) {
      carbon = z.carbonGPerKwh.slice(h0, h0 + count);
      if (k.o.carbonPricePerTonne > 0 && count > 0) {
        // Carbon intensity is measured, not published ahead: known up to now, forecast beyond.
        carbon = Array.from(
          cachedForecast(k, `c|${zone}|${h0}`, z.carbonGPerKwh, h0, count).subarray(0, count),
        );
      }
    }
    out.set(zone, { pricePerMwh: price, ...(carbon ? { carbonGPerKwh: carbon } : {}) });
  }
  return out;
}

/** The forecast of `hours` (at least a horizon) after hour `knownEnd` of `values` (null = missing), cached. */
function cachedForecast(
  k: PriceKnowledge,
  key: string,
  values: ArrayLike<number | null>,
  knownEnd: number,
  hours: number,
): Float64Array {
  const cached = k.forecastCache.get(key);
  if (cached && cached.length >= hours) return cached;
  const from = Math.max(0, knownEnd - FORECAST_HISTORY_HOURS);
  const history = Float64Array.from({ length: knownEnd - from }, (_, i) => values[from + i] ?? Number.NaN);
  if (history.length === 0)
    throw new BacktestInputError(
      'published information needs price history before the first plan; the price data starts too late',
    );
  const f = forecastHourly(
    { startMs: k.market.startMs + from * MS_PER_HOUR, values: history },
    Math.max(hours, k.o.horizonHours),
    k.o.forecastMethod ? { method: k.o.forecastMethod } : {},
  );
  k.forecastCache.set(key, f.point);
  return f.point;
}

/** The work day a job input's work counts for: an interactive slot's UTC day, a batch release's UTC day. */
function workDay(meta: JobInputMeta, slotMs: number): string {
  return meta.kind === 'batch' ? dayOf(meta.windowStartMs) : dayOf(slotMs);
}

function figuresFor(map: Map<string, Figures>, day: string): Figures {
  let f = map.get(day);
  if (!f) map.set(day, (f = zeroFigures()));
  return f;
}

function addWork(
  f: Figures,
  cluster: ClusterInput,
  t: number,
  gpuHours: number,
  tokensPerSecondPerGpu: number,
  carbonPricePerTonne: number,
): void {
  if (!(gpuHours > 0)) return;
  const cost = cellCost(cluster, t, carbonPricePerTonne);
  const energyCost = gpuHours * cost.energyCostPerGpuHour;
  const carbonCost = gpuHours * (cost.costPerGpuHour - cost.energyCostPerGpuHour);
  f.energyMwh += (gpuHours * cost.kwhPerGpuHour) / 1000;
  f.energyCost += energyCost;
  f.carbonTonnes += gpuHours * cost.carbonTonnesPerGpuHour;
  f.carbonCost += carbonCost;
  f.totalCost += energyCost + carbonCost;
  f.servedGpuHours += gpuHours;
  f.tokensMillions += (gpuHours * tokensPerSecondPerGpu * SECONDS_PER_HOUR) / TOKENS_PER_MILLION;
  f.tokenCost += energyCost + carbonCost;
}

/** Adds (or, negative, removes) `gpuHours` of work to `f` at the average energy, carbon and tokens per GPU-hour of `like`. */
function addAverageWork(f: Figures, like: Figures, gpuHours: number): void {
  if (!(like.servedGpuHours > 0)) return;
  const share = gpuHours / like.servedGpuHours;
  f.energyMwh += like.energyMwh * share;
  f.energyCost += like.energyCost * share;
  f.carbonTonnes += like.carbonTonnes * share;
  f.carbonCost += like.carbonCost * share;
  f.totalCost += (like.energyCost + like.carbonCost) * share;
  f.servedGpuHours += gpuHours;
  f.tokensMillions += like.tokensMillions * share;
  f.tokenCost += like.tokenCost * share;
}

function addShortfall(f: Figures, gpuHours: number, penaltyPerGpuHour: number): void {
  f.unservedGpuHours += gpuHours;
  f.penaltyCost += gpuHours * penaltyPerGpuHour;
  f.totalCost += gpuHours * penaltyPerGpuHour;
}

function penaltyOf(problem: PlacementProblem, k: number): number {
  const job = problem.jobs[k];
  if (!job) return 0;
  return job.penaltyPerGpuHour ?? problem.tierPenaltiesPerGpuHour?.[job.tier ?? ''] ?? 0;
}

/** What gridshift's plan records beyond figures (hourly cluster use, per-job figures). */
export interface Recorder {
  clusterHours: ClusterHours[];
  jobFigures: Map<string, JobFigures>;
}

/**
 * Simulates one plan over the range: at each plan time, build the problem with `buildFleetProblem` (the
 * planner's conversion) from this plan's own batch progress and the prices it knows, solve it (`lp`) or run a
 * baseline on it, commit the hours up to the next plan time, cost them at actual prices. Work is attributed
 * to its work day; days outside [from, to) are simulated but not reported.
 */
function simulate(
  ctx: Context,
  kind: PlanKind,
  information: InformationSet,
  recorder?: Recorder,
  planTimes: readonly number[] = ctx.planTimes,
): PlanRun {
  const { input, o } = ctx;
  const market = input.market;
  const run: PlanRun = { days: new Map(), wholeDays: new Map(), effort: new Map(), samePlan: new Map() };
  const clusterIndex = new Map(input.clusters.map((c, i) => [c.id, i]));
  const done = new Map<string, number>();
  const closed = new Set<string>();
  const inRange = (day: string) => day >= dayOf(o.fromMs) && day < dayOf(o.toMs);
  const rangeHours = (o.toMs - o.fromMs) / MS_PER_HOUR;

  // A batch release whose window opened before the first plan counts as done for the part of its window
  // before it (steady state: the previous plan ran it), the same for every plan.
  const first = planTimes[0] ?? o.fromMs;
  for (const meta of toFleetJobs(
    input.jobs.filter((j) => j.kind === 'batch'),
    slotGrid(first, 1, SLOT_MINUTES),
    { clusters: input.clusters },
  ).meta) {
    if (meta.kind !== 'batch' || meta.windowStartMs >= first) continue;
    const share = (first - meta.windowStartMs) / (meta.deadlineMs - meta.windowStartMs);
    done.set(meta.inputId, meta.instanceGpuHours * share);
  }

  /** Batch work the whole-GPU schedule did per release (starts with the same share done before the range). */
  const wholeDone = new Map(done);
  for (let i = 0; i < planTimes.length; i++) {
    const startMs = planTimes[i]!;
    const commitEndMs = planTimes[i + 1] ?? ctx.simEndMs;
    const horizonEndMs = Math.min(startMs + o.horizonHours * MS_PER_HOUR, ctx.marketEndMs);
    const hours = (horizonEndMs - startMs) / MS_PER_HOUR;
    const commitSlots = Math.min(hours, (commitEndMs - startMs) / MS_PER_HOUR);
    if (
      kind === 'lp' &&
      information === ctx.information &&
      horizonEndMs < startMs + o.horizonHours * MS_PER_HOUR
    )
      ctx.horizonClipped++;
    const grid = slotGrid(startMs, hours, SLOT_MINUTES);
    const actual = zoneSlots(market, startMs, hours);
    const zones =
      kind === 'home' || information === 'perfect'
        ? actual
        : knownSlots({ market, o, forecastCache: ctx.forecastCache, stats: ctx.stats }, startMs, hours);
    const opts = {
      traces: input.traces,
      doneGpuHours: done,
      zones,
      currency: market.currency,
      carbonPricePerTonne: o.carbonPricePerTonne,
      ...(o.tierPenaltiesPerGpuHour ? { tierPenaltiesPerGpuHour: o.tierPenaltiesPerGpuHour } : {}),
      ...(ctx.workUntilMs === undefined ? {} : { workUntilMs: ctx.workUntilMs }),
    };
    const built = buildFleetProblem(input.clusters, input.jobs, grid, opts);
    for (const issue of built.issues) ctx.issueMessages.add(issue.message);
    const problem = built.problem;
    // The same clusters at actual prices and carbon: what the committed work costs.
    const actualClusters =
      zones === actual
        ? problem.clusters
        : problem.clusters.map((c) => {
            const z = actual.get(c.zone);
            return {
              ...c,
              pricePerMwh: [...(z?.pricePerMwh ?? [])],
              carbonGPerKwh: [...(z?.carbonGPerKwh ?? [])],
            };
          });
    const metaById = new Map(built.meta.map((m) => [m.inputId, m]));
    const jobIndex = new Map(problem.jobs.map((j, k) => [j.id, k]));

    /** [job id, cluster index, slot, LP GPU-hours, whole-GPU GPU-hours, whole GPUs] */
    const work: [string, number, number, number, number, number][] = [];
    if (kind === 'lp') {
      // Whole GPUs and the baselines on the same problem only for gridshift's plan (its published schedule);
      // the references need the optimum's cost.
      const result = solvePlacement(problem, {
        explain: false,
        tieBreak: true,
        baselines: recorder !== undefined,
        // Compared with the LP optimum below (fractional on both sides).
        baselineGpus: 'fractional',
        wholeGpus: recorder !== undefined,
      });
      if (result.baselines && result.lpBound) {
        let same = run.samePlan.get(dayOf(startMs));
        if (!same) run.samePlan.set(dayOf(startMs), (same = zeroSamePlan()));
        const ours = result.lpBound.totalCost;
        const dearer = (theirs: number) => ours > theirs + 1e-9 * Math.max(1, Math.abs(theirs));
        same.plans++;
        same.optimalCost += ours;
        same.homeCost += result.baselines.home.totalCost;
        same.greedyCost += result.baselines.greedy.totalCost;
        if (dearer(result.baselines.home.totalCost)) same.dearerThanHome++;
        if (dearer(result.baselines.greedy.totalCost)) same.dearerThanGreedy++;
      }
      let effort = run.effort.get(dayOf(startMs));
      if (!effort) run.effort.set(dayOf(startMs), (effort = { solves: 0, fallbackSolves: 0, solveMs: 0 }));
      effort.solves++;
      effort.solveMs += result.solver.stats.totalMs;
      ctx.solvers.add(result.solver.name);
      if (result.fallback !== undefined) {
        effort.fallbackSolves++;
        ctx.fallbackMessages.add(result.message ?? result.status);
      }
      for (const p of result.placements) {
        const r = clusterIndex.get(p.clusterId);
        if (r !== undefined && p.slotIndex < commitSlots)
          work.push([p.jobId, r, p.slotIndex, p.lpGpuHours, p.gpuHours, p.gpus]);
      }
    } else {
      const baseline = solveBaseline(problem, kind);
      for (const p of baseline.placements) {
        const r = clusterIndex.get(p.clusterId);
        if (r !== undefined && p.slotIndex < commitSlots)
          work.push([p.jobId, r, p.slotIndex, p.gpuHours, p.gpuHours, 0]);
      }
    }

    const servedBySlot = new Map<string, Float64Array>();
    /** Interactive GPU-hours the whole-GPU rounding dropped (net), per job and day (`job|day`). */
    const dropped = new Map<string, number>();
    for (const [jobId, r, t, lpGpuHours, wholeGpuHours, gpus] of work) {
      const meta = metaById.get(jobId);
      const cluster = actualClusters[r];
      if (meta === undefined || cluster === undefined) continue;
      const slotMs = startMs + t * MS_PER_HOUR;
      const day = workDay(meta, slotMs);
      if (meta.kind === 'batch') {
        done.set(meta.inputId, (done.get(meta.inputId) ?? 0) + lpGpuHours);
        wholeDone.set(meta.inputId, (wholeDone.get(meta.inputId) ?? 0) + wholeGpuHours);
      } else {
        let served = servedBySlot.get(jobId);
        if (!served) servedBySlot.set(jobId, (served = new Float64Array(commitSlots)));
        served[t] = (served[t] ?? 0) + lpGpuHours;
      }
      if (!inRange(day)) continue;
      addWork(
        figuresFor(run.days, day),
        cluster,
        t,
        lpGpuHours,
        meta.tokensPerSecondPerGpu,
        o.carbonPricePerTonne,
      );
      if (kind === 'lp') {
        addWork(
          figuresFor(run.wholeDays, day),
          cluster,
          t,
          wholeGpuHours,
          meta.tokensPerSecondPerGpu,
          o.carbonPricePerTonne,
        );
        if (meta.kind === 'interactive') {
          const key = `${jobId}|${day}`;
          dropped.set(key, (dropped.get(key) ?? 0) + lpGpuHours - wholeGpuHours);
        }
      }
      const h = (slotMs - o.fromMs) / MS_PER_HOUR;
      if (recorder) {
        const ch = recorder.clusterHours[r];
        if (ch && h >= 0 && h < rangeHours) {
          ch.gpus[h] = (ch.gpus[h] ?? 0) + gpus;
          ch.gpuHours[h] = (ch.gpuHours[h] ?? 0) + lpGpuHours;
        }
        const jf = recorder.jobFigures.get(meta.jobId);
        if (jf) {
          jf.servedGpuHours += lpGpuHours;
          jf.tokensMillions +=
            (lpGpuHours * meta.tokensPerSecondPerGpu * SECONDS_PER_HOUR) / TOKENS_PER_MILLION;
          jf.gpuHoursByCluster[input.clusters[r]?.id ?? ''] =
            (jf.gpuHoursByCluster[input.clusters[r]?.id ?? ''] ?? 0) + lpGpuHours;
        }
      }
    }
    if (recorder) {
      for (let t = 0; t < commitSlots; t++) {
        const h = (startMs - o.fromMs) / MS_PER_HOUR + t;
        if (h < 0 || h >= rangeHours) continue;
        problem.clusters.forEach((c, r) => {
          const ch = recorder.clusterHours[r];
          if (ch) ch.schedulableGpus[h] = c.schedulableGpus[t] ?? 0;
        });
      }
    }

    // Shortfall: interactive demand per committed hour; a batch release when it is finished or its deadline
    // falls in the committed hours (then whatever is not done is unserved).
    problem.jobs.forEach((job, k) => {
      const meta = built.meta[k];
      if (meta === undefined) return;
      const penalty = penaltyOf(problem, k);
      const jf = recorder?.jobFigures.get(meta.jobId);
      const charge = (day: string, unserved: number, demand: number, replanned = 0) => {
        if (!inRange(day)) return;
        if (jf) jf.demandGpuHours += demand;
        if (unserved > EPS_GPU_HOURS) {
          addShortfall(figuresFor(run.days, day), unserved, penalty);
          if (jf) jf.unservedGpuHours += unserved;
        }
        if (kind !== 'lp') return;
        if (unserved > EPS_GPU_HOURS) addShortfall(figuresFor(run.wholeDays, day), unserved, penalty);
        if (Math.abs(replanned) > EPS_GPU_HOURS)
          addAverageWork(figuresFor(run.wholeDays, day), figuresFor(run.days, day), replanned);
      };
      if (job.kind === 'interactive') {
        const served = servedBySlot.get(job.id);
        for (let t = 0; t < commitSlots; t++) {
          const demand = job.demandGpuHours[t] ?? 0;
          charge(dayOf(startMs + t * MS_PER_HOUR), Math.max(0, demand - (served?.[t] ?? 0)), demand);
        }
      } else if (meta.kind === 'batch') {
        const left = meta.instanceGpuHours - (done.get(meta.inputId) ?? 0);
        if ((meta.deadlineMs > commitEndMs && left > EPS_GPU_HOURS) || closed.has(meta.inputId)) return;
        closed.add(meta.inputId);
        // The simulation follows the LP's progress, and the rounding does a release's work in other cells than the
        // LP does: what it left behind is re-planned by a later plan in production, what it did beyond the release
        // is not work. The whole-GPU figures settle the difference at the day's average LP cost per GPU-hour.
        const wholeLeft = meta.instanceGpuHours - (wholeDone.get(meta.inputId) ?? 0);
        const unserved = Math.max(0, left);
        charge(dayOf(meta.windowStartMs), unserved, meta.instanceGpuHours, wholeLeft - unserved);
      }
    });
    // Interactive work the rounding to whole GPUs dropped counts as unserved in the whole-GPU schedule (batch
    // work it dropped is charged when its release closes, above).
    for (const [key, gpuHours] of dropped) {
      const [jobId = '', day = ''] = key.split('|');
      if (gpuHours > EPS_GPU_HOURS)
        addShortfall(figuresFor(run.wholeDays, day), gpuHours, penaltyOf(problem, jobIndex.get(jobId) ?? -1));
    }
    if (kind === 'lp' && information === ctx.information) {
      for (const m of built.meta)
        if (m.kind === 'batch' && m.deadlineMs > ctx.simEndMs && inRange(dayOf(m.windowStartMs)))
          ctx.openAtEnd.add(m.inputId);
    }
    ctx.tick(startMs);
  }
  return run;
}

/** Plan times: the range start, the daily plan hour, and (published) every publication; or every hour. */
function planTimesOf(
  o: BacktestOptions,
  information: InformationSet,
  rules: Map<string, PublicationRule>,
  endMs: number,
): { times: number[]; publications: Set<number> } {
  const times = new Set<number>([o.fromMs]);
  const publications = new Set<number>();
  if (o.step === 'hour') {
    for (let t = o.fromMs; t < endMs; t += MS_PER_HOUR) times.add(t);
  } else {
    const planHour = o.planHourUtc ?? 13;
    for (let d = o.fromMs; d < endMs; d += MS_PER_DAY) {
      const t = d + planHour * MS_PER_HOUR;
      if (t < endMs) times.add(t);
    }
    if (information === 'published') {
      for (const rule of new Set(rules.values())) {
        for (const at of publicationTimes(rule, o.fromMs, endMs)) {
          // The plan runs on the hour after the results are out.
          const t = Math.ceil(at / MS_PER_HOUR) * MS_PER_HOUR;
          if (t < endMs) {
            times.add(t);
            publications.add(t);
          }
        }
      }
    }
  }
  return { times: [...times].sort((a, b) => a - b), publications };
}

/** The four plans a backtest simulates. */
export type SimulationName = 'plan' | 'perfect' | 'home' | 'greedy';

/** One simulation's outcome (structured-clonable, so a worker thread can run it). */
export interface SimulationOutcome {
  name: SimulationName;
  run: PlanRun;
  /** gridshift's plan only: hourly cluster use and per-job figures. */
  recorder: Recorder | null;
  /** gridshift's plan only: what it saw (published vs forecast zone-hours), clipping, open releases. */
  stats: Context['stats'];
  solvers: string[];
  fallbackMessages: string[];
  issueMessages: string[];
  horizonClipped: number;
  openAtEnd: string[];
}

interface Prepared {
  ctx: Context;
  perfectTimes: number[];
}

function prepare(input: BacktestInput): Prepared {
  const o = input.options;
  validateBacktestOptions(o);
  const information = o.information ?? 'published';
  const market = input.market;
  const marketEndMs = market.startMs + market.hours * MS_PER_HOUR;
  if (market.startMs > o.fromMs || marketEndMs < o.toMs)
    throw new BacktestInputError('the price data does not cover the backtest range');
  const maxWindowHours = Math.max(
    0,
    ...input.jobs.map((j) => (j.kind === 'batch' ? (j.deadlineHour ?? 24) - (j.windowStartHour ?? 0) : 0)),
  );
  const simEndMs = Math.min(marketEndMs, o.toMs + maxWindowHours * MS_PER_HOUR);
  const zonesUsed = [...new Set(input.clusters.map((c) => c.zone))];
  const rules = new Map(zonesUsed.map((z) => [z, publicationRule(z, o.publication)]));
  const { times, publications } = planTimesOf(o, information, rules, simEndMs);
  // The perfect-foresight reference learns nothing from a publication: it plans at the daily plan hour only.
  const perfectTimes = information === 'published' ? planTimesOf(o, 'perfect', rules, simEndMs).times : times;
  const ctx: Context = {
    input,
    o,
    information,
    marketEndMs,
    simEndMs,
    planTimes: times,
    publicationPlanTimes: publications,
    rules,
    forecastCache: new Map(),
    stats: { publishedZoneHours: 0, forecastZoneHours: 0 },
    solvers: new Set(),
    fallbackMessages: new Set(),
    issueMessages: new Set(),
    horizonClipped: 0,
    openAtEnd: new Set(),
    tick: () => {},
  };
  return { ctx, perfectTimes };
}

function newRecorder(input: BacktestInput): Recorder {
  const o = input.options;
  const rangeHours = (o.toMs - o.fromMs) / MS_PER_HOUR;
  return {
    clusterHours: input.clusters.map((c) => ({
      id: c.id,
      zone: c.zone,
      schedulableGpus: new Array<number>(rangeHours).fill(0),
      gpus: new Array<number>(rangeHours).fill(0),
      gpuHours: new Array<number>(rangeHours).fill(0),
    })),
    jobFigures: new Map(
      input.jobs.map((j) => [
        j.id,
        {
          jobId: j.id,
          kind: j.kind,
          tier: j.tier,
          demandGpuHours: 0,
          servedGpuHours: 0,
          unservedGpuHours: 0,
          tokensMillions: 0,
          gpuHoursByCluster: {},
        },
      ]),
    ),
  };
}

/** How many plans the whole backtest makes (for progress). */
export function backtestPlanCount(input: BacktestInput): number {
  const { ctx, perfectTimes } = prepare(input);
  return 3 * ctx.planTimes.length + (ctx.information === 'published' ? perfectTimes.length : 0);
}

/**
 * Runs one of the backtest's simulations on its own (pure apart from timing): `plan` is gridshift's plan under
 * the run's information set, `perfect` the perfect-foresight optimum (published information only), `home` and
 * `greedy` the baselines. `onPlan` is called after each plan.
 */
export function runSimulation(
  input: BacktestInput,
  name: SimulationName,
  onPlan?: (planMs: number) => void,
): SimulationOutcome {
  const { ctx, perfectTimes } = prepare(input);
  if (onPlan) ctx.tick = onPlan;
  const recorder = name === 'plan' ? newRecorder(input) : null;
  const run =
    name === 'plan'
      ? simulate(ctx, 'lp', ctx.information, recorder ?? undefined)
      : name === 'perfect'
        ? simulate(ctx, 'lp', 'perfect', undefined, perfectTimes)
        : name === 'home'
          ? simulate(ctx, 'home', 'perfect')
          : simulate(ctx, 'greedy', ctx.information);
  return {
    name,
    run,
    recorder,
    stats: { ...ctx.stats },
    solvers: [...ctx.solvers],
    fallbackMessages: [...ctx.fallbackMessages],
    issueMessages: [...ctx.issueMessages],
    horizonClipped: ctx.horizonClipped,
    openAtEnd: [...ctx.openAtEnd],
  };
}

/** The simulations a backtest needs, gridshift's plan first. */
export function simulationsOf(input: BacktestInput): SimulationName[] {
  return (input.options.information ?? 'published') === 'published'
    ? ['plan', 'perfect', 'home', 'greedy']
    : ['plan', 'home', 'greedy'];
}

/**
 * Runs the backtest: gridshift's plan under the information set, and — simulated the same way, each with its
 * own batch progress — the perfect-foresight optimum, home and greedy. Every plan is costed at actual prices
 * on its work day (interactive hours by their day, batch work by its release day), so each day compares the
 * same work. Pure apart from timing. `runBacktestInWorkers` runs the same simulations on two threads.
 */
export function runBacktest(
  input: BacktestInput,
  onProgress?: (p: BacktestProgress) => void,
): BacktestResult {
  const total = backtestPlanCount(input);
  let finished = 0;
  const tick = (planMs: number) =>
    onProgress?.({ done: ++finished, total, stepStartUtc: new Date(planMs).toISOString() });
  return assembleBacktest(
    input,
    simulationsOf(input).map((name) => runSimulation(input, name, tick)),
  );
}

/** Combines the simulations' outcomes into the backtest result (pure). */
export function assembleBacktest(
  input: BacktestInput,
  outcomes: readonly SimulationOutcome[],
): BacktestResult {
  const { ctx } = prepare(input);
  const o = ctx.o;
  const information = ctx.information;
  const market = input.market;
  const marketEndMs = ctx.marketEndMs;
  const rules = ctx.rules;
  const rangeHours = (o.toMs - o.fromMs) / MS_PER_HOUR;
  const byName = new Map(outcomes.map((x) => [x.name, x]));
  const planOutcome = byName.get('plan');
  if (!planOutcome?.recorder) throw new Error("the backtest has no result of gridshift's plan");
  const recorder = planOutcome.recorder;
  const plan = planOutcome.run;
  const perfect = byName.get('perfect')?.run ?? plan;
  const home = byName.get('home')?.run;
  const greedy = byName.get('greedy')?.run;
  if (!home || !greedy) throw new Error('the backtest has no result of a baseline');
  for (const x of outcomes) {
    for (const s of x.solvers) ctx.solvers.add(s);
    for (const m of x.fallbackMessages) ctx.fallbackMessages.add(m);
    for (const m of x.issueMessages) ctx.issueMessages.add(m);
  }
  ctx.stats = planOutcome.stats;
  ctx.horizonClipped = planOutcome.horizonClipped;
  ctx.openAtEnd = new Set(planOutcome.openAtEnd);

  const days: DayFigures[] = [];
  for (let d = o.fromMs; d < o.toMs; d += MS_PER_DAY) {
    const date = dayOf(d);
    days.push({
      date,
      optimal: plan.days.get(date) ?? zeroFigures(),
      wholeGpu: plan.wholeDays.get(date) ?? zeroFigures(),
      perfect: perfect.days.get(date) ?? zeroFigures(),
      home: home.days.get(date) ?? zeroFigures(),
      greedy: greedy.days.get(date) ?? zeroFigures(),
      solves: 0,
      fallbackSolves: 0,
      solveMs: 0,
      ...plan.effort.get(date),
      samePlan: plan.samePlan.get(date) ?? zeroSamePlan(),
    });
  }

  const notes: string[] = [];
  if (ctx.horizonClipped > 0)
    notes.push(
      `${ctx.horizonClipped} plan(s) near the end had a horizon shorter than ${o.horizonHours} h because the price data ends at ${new Date(marketEndMs).toISOString()}.`,
    );
  if (ctx.openAtEnd.size > 0)
    notes.push(
      `${ctx.openAtEnd.size} batch release(s) of the range were still open where the price data ends: the work done on them is costed, what is left is not charged (the same rule for every plan).`,
    );
  for (const z of market.zones.values()) {
    if (z.filledPriceHours > 0)
      notes.push(
        `${z.zone}: ${z.filledPriceHours} hour(s) without a price in the source were filled with the previous hour's price.`,
      );
  }
  const noCarbon = [...market.zones.values()].filter((z) => z.carbonGPerKwh === null).map((z) => z.zone);
  if (noCarbon.length > 0 && noCarbon.length < market.zones.size)
    notes.push(
      `No carbon data for ${noCarbon.join(', ')}: their work counts 0 t CO₂ and is not carbon-priced.`,
    );
  for (const message of ctx.issueMessages) notes.push(message);
  for (const message of ctx.fallbackMessages)
    notes.push(`A solve fell back to the greedy schedule: ${message}`);

  const totals = days.reduce<PeriodFigures>(
    (acc, d) => ({
      optimal: addFigures(acc.optimal, d.optimal),
      wholeGpu: addFigures(acc.wholeGpu, d.wholeGpu),
      perfect: addFigures(acc.perfect, d.perfect),
      home: addFigures(acc.home, d.home),
      greedy: addFigures(acc.greedy, d.greedy),
      solves: acc.solves + d.solves,
      fallbackSolves: acc.fallbackSolves + d.fallbackSolves,
      solveMs: acc.solveMs + d.solveMs,
      samePlan: addSamePlan(acc.samePlan ?? zeroSamePlan(), d.samePlan),
    }),
    {
      optimal: zeroFigures(),
      wholeGpu: zeroFigures(),
      perfect: zeroFigures(),
      home: zeroFigures(),
      greedy: zeroFigures(),
      solves: 0,
      fallbackSolves: 0,
      solveMs: 0,
      samePlan: zeroSamePlan(),
    },
  );
  const h0 = hourIndex(market, o.fromMs);
  return {
    options: o,
    information: {
      information,
      plans: ctx.planTimes.length,
      publicationPlans: ctx.publicationPlanTimes.size,
      publishedZoneHours: ctx.stats.publishedZoneHours,
      forecastZoneHours: ctx.stats.forecastZoneHours,
      forecastMethod: information === 'published' ? (o.forecastMethod ?? DEFAULT_FORECAST_METHOD) : null,
      publication: [...rules].map(([zone, rule]) => ({ zone, rule })),
    },
    currency: market.currency,
    days,
    totals,
    hourStartsMs: Array.from({ length: rangeHours }, (_, h) => o.fromMs + h * MS_PER_HOUR),
    zones: [...market.zones.values()].map((z) => ({
      zone: z.zone,
      sourceCurrency: z.sourceCurrency,
      pricePerMwh: Array.from(z.pricePerMwh.subarray(h0, h0 + rangeHours)),
      carbonGPerKwh: z.carbonGPerKwh ? z.carbonGPerKwh.slice(h0, h0 + rangeHours) : null,
    })),
    clusters: recorder.clusterHours,
    jobs: [...recorder.jobFigures.values()],
    solvers: [...ctx.solvers],
    notes,
  };
}

/**
 * The hindsight bound of a range: one plan over the whole range (and the windows of its last releases),
 * knowing every price, committed at once — what the rolling perfect-foresight plan approximates. Per day, as
 * the simulations report them. For checks over days to weeks (the problem grows with the span; pure).
 */
export function singlePlanOptimum(input: BacktestInput): Map<string, Figures> {
  const { ctx } = prepare(input);
  const spanHours = (ctx.simEndMs - ctx.o.fromMs) / MS_PER_HOUR;
  ctx.o = { ...ctx.o, horizonHours: spanHours };
  ctx.workUntilMs = ctx.o.toMs;
  const from = ctx.o.fromMs;
  return simulate(ctx, 'lp', 'perfect', undefined, [from]).days;
}

/**
 * The rolling perfect-foresight plan on the same finite world as `singlePlanOptimum` (no work released after
 * the range), for comparing the two.
 */
export function rollingPerfectOptimum(input: BacktestInput): Map<string, Figures> {
  const { ctx, perfectTimes } = prepare({ ...input, options: { ...input.options, information: 'perfect' } });
  ctx.workUntilMs = ctx.o.toMs;
  return simulate(ctx, 'lp', 'perfect', undefined, perfectTimes).days;
}
