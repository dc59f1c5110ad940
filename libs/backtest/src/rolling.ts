import {
  slotGrid,
  toClusterInputs,
  toJobInputs,
  type ClusterSpec,
  type JobSpec,
  type TraceProfiles,
} from '#gridshift/fleet';
import {
  solvePlacement,
  type ClusterInput,
  type PlacementProblem,
  type PlacementResult,
} from '#gridshift/placement';
import { BacktestInputError } from './errors.js';
import { addFigures, figuresOf, zeroFigures, type Figures } from './figures.js';
import { zoneSlots, type HourlyMarket } from './market.js';

// Rolling-horizon backtest (pure apart from timing): for each step, solve the next horizon with the placement
// engine, commit the step's first slots, advance. Jobs repeat every UTC day.

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const SLOT_MINUTES = 60;
const KWH_PER_MWH = 1000;
const G_PER_TONNE = 1e6;
const SECONDS_PER_HOUR = 3600;
const TOKENS_PER_MILLION = 1e6;
/** Below this a batch instance counts as finished (float noise of summed work). */
const EPS_GPU_HOURS = 1e-6;

export type BacktestStep = 'day' | 'hour';

export interface BacktestOptions {
  /** First UTC day (midnight), inclusive. */
  fromMs: number;
  /** Last UTC midnight, exclusive. */
  toMs: number;
  /** `day`: each UTC day planned once; `hour`: re-planned every hour, committing one hour. */
  step: BacktestStep;
  /** Planning horizon of each solve, hours (≥ the step; clipped where the price data ends). */
  horizonHours: number;
  /** Currency per tonne CO2; 0 = carbon reported, not priced. */
  carbonPricePerTonne: number;
  tierPenaltiesPerGpuHour?: Readonly<Record<string, number>>;
}

export interface BacktestInput {
  clusters: readonly ClusterSpec[];
  jobs: readonly JobSpec[];
  traces: TraceProfiles;
  market: HourlyMarket;
  options: BacktestOptions;
}

/** The committed plan, its whole-GPU rounding, both baselines and the solver effort over some period. */
export interface PeriodFigures {
  /** The committed rolling-horizon plan: the LP optimum of each solve (fractional GPUs), its step's slots. */
  optimal: Figures;
  /** The same slots as published: rounded to whole GPUs; work the rounding drops is charged as unserved. */
  wholeGpu: Figures;
  /** Baselines of the day's problem (the UTC day as one 24 h horizon, same demand, capacity and prices). */
  home: Figures;
  greedy: Figures;
  solves: number;
  /** Solves that fell back to the greedy schedule (solver error or timeout). */
  fallbackSolves: number;
  solveMs: number;
}

/** One UTC day of the backtest. */
export interface DayFigures extends PeriodFigures {
  /** `YYYY-MM-DD`. */
  date: string;
}

function zeroPeriodFigures(): PeriodFigures {
  return {
    optimal: zeroFigures(),
    wholeGpu: zeroFigures(),
    home: zeroFigures(),
    greedy: zeroFigures(),
    solves: 0,
    fallbackSolves: 0,
    solveMs: 0,
  };
}

/** Per job over the whole run. */
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

/** One cluster's committed work per hour of the run. */
export interface ClusterHours {
  id: string;
  zone: string;
  schedulableGpus: number[];
  /** Whole GPUs reserved by gridshift. */
  gpus: number[];
  /** GPU-hours of work. */
  gpuHours: number[];
}

export interface BacktestResult {
  options: BacktestOptions;
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

/** Adds `gpuHours` of work in slot `t` of `cluster` to `f`: energy = GPU-hours × kW per GPU × PUE. */
function addWork(
  f: Figures,
  cluster: ClusterInput,
  t: number,
  gpuHours: number,
  tokensPerSecondPerGpu: number,
  carbonPricePerTonne: number,
): void {
  if (!(gpuHours > 0)) return;
  const kwh = gpuHours * cluster.kwPerGpu * cluster.pue;
  const energyCost = (kwh * (cluster.pricePerMwh[t] ?? 0)) / KWH_PER_MWH;
  const carbon = cluster.carbonGPerKwh?.[t] ?? null;
  const tonnes = carbon === null ? 0 : (kwh * carbon) / G_PER_TONNE;
  const carbonCost = carbonPricePerTonne * tonnes;
  f.energyMwh += kwh / KWH_PER_MWH;
  f.energyCost += energyCost;
  f.carbonTonnes += tonnes;
  f.carbonCost += carbonCost;
  f.totalCost += energyCost + carbonCost;
  f.servedGpuHours += gpuHours;
  f.tokensMillions += (gpuHours * tokensPerSecondPerGpu * SECONDS_PER_HOUR) / TOKENS_PER_MILLION;
  f.tokenCost += energyCost + carbonCost;
}

function addShortfall(f: Figures, gpuHours: number, penaltyPerGpuHour: number): void {
  f.unservedGpuHours += gpuHours;
  f.penaltyCost += gpuHours * penaltyPerGpuHour;
  f.totalCost += gpuHours * penaltyPerGpuHour;
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
}

interface StepProblem {
  problem: PlacementProblem;
  built: ReturnType<typeof toJobInputs>;
  clusters: ClusterInput[];
}

function buildStepProblem(
  input: BacktestInput,
  fromMs: number,
  hours: number,
  done: ReadonlyMap<string, number>,
): StepProblem {
  const grid = slotGrid(fromMs, hours, SLOT_MINUTES);
  const clusters = toClusterInputs(input.clusters, grid, zoneSlots(input.market, fromMs, hours));
  const built = toJobInputs(input.jobs, grid, {
    clusters: input.clusters,
    traces: input.traces,
    doneGpuHours: done,
    ...(input.options.tierPenaltiesPerGpuHour
      ? { tierPenaltiesPerGpuHour: input.options.tierPenaltiesPerGpuHour }
      : {}),
  });
  return {
    problem: {
      slotStartsUtc: [...grid.slotStartsUtc],
      slotMinutes: SLOT_MINUTES,
      currency: input.market.currency,
      clusters,
      jobs: built.jobs,
      carbonPricePerTonne: input.options.carbonPricePerTonne,
    },
    built,
    clusters,
  };
}

/**
 * Runs the rolling-horizon backtest: per step, solve [step start, + horizon) with `solvePlacement`, commit the
 * step's slots (1 h or 24 h), carry batch work done into the next solve, advance. Committed work is costed
 * slot by slot (energy = GPU-hours × kW per GPU × PUE, at that hour's price and carbon); unserved interactive
 * demand is charged in its hour, an unfinished batch instance at its deadline. Baselines (home, greedy) come
 * from each day's problem. Prices are known in advance (perfect foresight of the historical curve). Pure.
 */
export function runBacktest(
  input: BacktestInput,
  onProgress?: (p: BacktestProgress) => void,
): BacktestResult {
  const o = input.options;
  validateBacktestOptions(o);
  const market = input.market;
  const marketEndMs = market.startMs + market.hours * MS_PER_HOUR;
  if (market.startMs > o.fromMs || marketEndMs < o.toMs)
    throw new BacktestInputError('the price data does not cover the backtest range');
  const stepMs = o.step === 'day' ? MS_PER_DAY : MS_PER_HOUR;
  const stepSlots = stepMs / MS_PER_HOUR;
  const rangeHours = (o.toMs - o.fromMs) / MS_PER_HOUR;
  const totalSteps = (o.toMs - o.fromMs) / stepMs;
  const clusterIndex = new Map(input.clusters.map((c, i) => [c.id, i]));

  const hourStartsMs = Array.from({ length: rangeHours }, (_, h) => o.fromMs + h * MS_PER_HOUR);
  const clusterHours: ClusterHours[] = input.clusters.map((c) => ({
    id: c.id,
    zone: c.zone,
    schedulableGpus: new Array<number>(rangeHours).fill(0),
    gpus: new Array<number>(rangeHours).fill(0),
    gpuHours: new Array<number>(rangeHours).fill(0),
  }));
  const jobFigures = new Map<string, JobFigures>(
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
  );
  /** GPU-hours done per batch instance id; kept after it closes so finished instances are not re-planned. */
  const done = new Map<string, number>();
  const seenInstances = new Set<string>();
  const closedInstances = new Set<string>();
  // A batch instance whose window opened before the range counts as done for the part of its window before
  // the range (steady state: yesterday's plan ran it), so only its in-range share is planned and charged.
  const doneBeforeRange = new Map<string, number>();
  const batchJobs = input.jobs.filter((j) => j.kind === 'batch');
  for (const meta of toJobInputs(batchJobs, slotGrid(o.fromMs, 1, SLOT_MINUTES), { clusters: input.clusters })
    .meta) {
    if (meta.kind !== 'batch' || meta.windowStartMs >= o.fromMs) continue;
    const share = (o.fromMs - meta.windowStartMs) / (meta.deadlineMs - meta.windowStartMs);
    doneBeforeRange.set(meta.inputId, meta.instanceGpuHours * share);
    done.set(meta.inputId, meta.instanceGpuHours * share);
  }
  const days = new Map<string, DayFigures>();
  const solvers = new Set<string>();
  const notes: string[] = [];
  const issueMessages = new Set<string>();
  const fallbackMessages = new Set<string>();
  let horizonClipped = 0;

  const dayFigures = (date: string): DayFigures => {
    let d = days.get(date);
    if (d === undefined) {
      d = { date, ...zeroPeriodFigures() };
      days.set(date, d);
    }
    return d;
  };
  const record = (day: DayFigures, result: PlacementResult) => {
    day.solves++;
    day.solveMs += result.solver.stats.totalMs;
    solvers.add(result.solver.name);
    if (result.fallback !== undefined) {
      day.fallbackSolves++;
      fallbackMessages.add(result.message ?? result.status);
    }
  };

  for (let step = 0; step < totalSteps; step++) {
    const startMs = o.fromMs + step * stepMs;
    const horizonEndMs = Math.min(startMs + o.horizonHours * MS_PER_HOUR, marketEndMs);
    if (horizonEndMs < startMs + o.horizonHours * MS_PER_HOUR) horizonClipped++;
    const hours = (horizonEndMs - startMs) / MS_PER_HOUR;
    const day = dayFigures(dayOf(startMs));
    const stepProblem = buildStepProblem(input, startMs, hours, done);
    for (const issue of stepProblem.built.issues) issueMessages.add(issue.message);
    const isDayStart = startMs % MS_PER_DAY === 0;
    const stepIsDay = o.step === 'day' && hours === 24;
    const result = solvePlacement(stepProblem.problem, {
      explain: false,
      baselines: isDayStart && stepIsDay,
    });
    record(day, result);

    // Baselines of the day's problem: this solve's when the step is the day, else the day solved on its own.
    if (isDayStart) {
      let baselines = result.baselines;
      if (!stepIsDay) {
        const dayProblem = buildStepProblem(input, startMs, 24, done);
        const dayResult = solvePlacement(dayProblem.problem, { explain: false });
        record(day, dayResult);
        baselines = dayResult.baselines;
      }
      if (baselines) {
        day.home = figuresOf(baselines.home);
        day.greedy = figuresOf(baselines.greedy);
      }
    }

    // Commit the step's slots: the LP optimum's work is the state carried forward (batch work done) and what
    // the optimum is costed on; the whole-GPU schedule of the same slots is costed alongside.
    const { built, clusters } = stepProblem;
    const metaById = new Map(built.meta.map((m) => [m.inputId, m]));
    const servedBySlot = new Map<string, Float64Array>();
    const lpServedByInput = new Map<string, number>();
    const wholeServedByInput = new Map<string, number>();
    for (const p of result.placements) {
      if (p.slotIndex >= stepSlots) continue;
      const r = clusterIndex.get(p.clusterId);
      const cluster = r === undefined ? undefined : clusters[r];
      const meta = metaById.get(p.jobId);
      if (r === undefined || cluster === undefined || meta === undefined) continue;
      const h = (startMs - o.fromMs) / MS_PER_HOUR + p.slotIndex;
      addWork(
        day.optimal,
        cluster,
        p.slotIndex,
        p.lpGpuHours,
        meta.tokensPerSecondPerGpu,
        o.carbonPricePerTonne,
      );
      addWork(
        day.wholeGpu,
        cluster,
        p.slotIndex,
        p.gpuHours,
        meta.tokensPerSecondPerGpu,
        o.carbonPricePerTonne,
      );
      lpServedByInput.set(p.jobId, (lpServedByInput.get(p.jobId) ?? 0) + p.lpGpuHours);
      wholeServedByInput.set(p.jobId, (wholeServedByInput.get(p.jobId) ?? 0) + p.gpuHours);
      const ch = clusterHours[r];
      if (ch) {
        ch.gpus[h] = (ch.gpus[h] ?? 0) + p.gpus;
        ch.gpuHours[h] = (ch.gpuHours[h] ?? 0) + p.lpGpuHours;
      }
      const jf = jobFigures.get(meta.jobId);
      if (jf) {
        jf.servedGpuHours += p.lpGpuHours;
        jf.tokensMillions +=
          (p.lpGpuHours * meta.tokensPerSecondPerGpu * SECONDS_PER_HOUR) / TOKENS_PER_MILLION;
        jf.gpuHoursByCluster[p.clusterId] = (jf.gpuHoursByCluster[p.clusterId] ?? 0) + p.lpGpuHours;
      }
      if (meta.kind === 'batch') done.set(meta.inputId, (done.get(meta.inputId) ?? 0) + p.lpGpuHours);
      else {
        let served = servedBySlot.get(meta.inputId);
        if (!served) servedBySlot.set(meta.inputId, (served = new Float64Array(stepSlots)));
        served[p.slotIndex] = (served[p.slotIndex] ?? 0) + p.lpGpuHours;
      }
    }
    for (let t = 0; t < Math.min(stepSlots, hours); t++) {
      const h = (startMs - o.fromMs) / MS_PER_HOUR + t;
      clusters.forEach((c, r) => {
        const ch = clusterHours[r];
        if (ch) ch.schedulableGpus[h] = c.schedulableGpus[t] ?? 0;
      });
    }

    // Shortfall: interactive demand per committed slot; a batch instance when it is finished or its deadline
    // falls in the step (then whatever is not done is unserved).
    const stepEndMs = startMs + stepMs;
    built.jobs.forEach((job, k) => {
      const meta = built.meta[k];
      const jf = meta ? jobFigures.get(meta.jobId) : undefined;
      if (meta === undefined || jf === undefined) return;
      let unserved = 0;
      if (job.kind === 'interactive') {
        const served = servedBySlot.get(job.id);
        for (let t = 0; t < Math.min(stepSlots, hours); t++) {
          const demand = job.demandGpuHours[t] ?? 0;
          jf.demandGpuHours += demand;
          unserved += Math.max(0, demand - (served?.[t] ?? 0));
        }
      } else if (meta.kind === 'batch') {
        if (meta.windowStartMs < stepEndMs) seenInstances.add(meta.inputId);
        const left = meta.instanceGpuHours - (done.get(meta.inputId) ?? 0);
        if (meta.deadlineMs > stepEndMs && left > EPS_GPU_HOURS) return;
        closedInstances.add(meta.inputId);
        jf.demandGpuHours += meta.instanceGpuHours - (doneBeforeRange.get(meta.inputId) ?? 0);
        unserved = Math.max(0, left);
      }
      const penalty = job.penaltyPerGpuHour ?? 0;
      if (unserved > EPS_GPU_HOURS) {
        addShortfall(day.optimal, unserved, penalty);
        jf.unservedGpuHours += unserved;
      }
      // Work the rounding to whole GPUs dropped in the committed slots counts as unserved there too.
      const dropped = Math.max(0, (lpServedByInput.get(job.id) ?? 0) - (wholeServedByInput.get(job.id) ?? 0));
      if (unserved + dropped > EPS_GPU_HOURS) addShortfall(day.wholeGpu, unserved + dropped, penalty);
    });
    onProgress?.({ done: step + 1, total: totalSteps, stepStartUtc: new Date(startMs).toISOString() });
  }

  const openInstances = [...seenInstances].filter((id) => !closedInstances.has(id)).length;
  if (horizonClipped > 0)
    notes.push(
      `${horizonClipped} step(s) near the end had a horizon shorter than ${o.horizonHours} h because the price data ends at ${new Date(marketEndMs).toISOString()}.`,
    );
  if (openInstances > 0)
    notes.push(
      `${openInstances} batch instance(s) were still open at the end of the range (deadline after it): the work done on them is costed, what is left is not charged.`,
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
  for (const message of issueMessages) notes.push(message);
  for (const message of fallbackMessages) notes.push(`A solve fell back to the greedy schedule: ${message}`);

  const dayList = [...days.values()];
  const totals = dayList.reduce<PeriodFigures>(
    (acc, d) => ({
      optimal: addFigures(acc.optimal, d.optimal),
      wholeGpu: addFigures(acc.wholeGpu, d.wholeGpu),
      home: addFigures(acc.home, d.home),
      greedy: addFigures(acc.greedy, d.greedy),
      solves: acc.solves + d.solves,
      fallbackSolves: acc.fallbackSolves + d.fallbackSolves,
      solveMs: acc.solveMs + d.solveMs,
    }),
    zeroPeriodFigures(),
  );
  const h0 = (o.fromMs - market.startMs) / MS_PER_HOUR;
  return {
    options: o,
    currency: market.currency,
    days: dayList,
    totals,
    hourStartsMs,
    zones: [...market.zones.values()].map((z) => ({
      zone: z.zone,
      sourceCurrency: z.sourceCurrency,
      pricePerMwh: Array.from(z.pricePerMwh.subarray(h0, h0 + rangeHours)),
      carbonGPerKwh: z.carbonGPerKwh ? z.carbonGPerKwh.slice(h0, h0 + rangeHours) : null,
    })),
    clusters: clusterHours,
    jobs: [...jobFigures.values()],
    solvers: [...solvers],
    notes,
  };
}
