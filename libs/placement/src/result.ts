import type { LpSolver } from './lp/lp-model.js';
import type { JobKind } from './model.js';
import type { ExclusionReason, ShortfallReason } from './normalize.js';
import type { ProblemIssue } from './validate.js';
import type { HomeBaselineMemo } from './whole-gpu-baselines.js';

export type { ExclusionReason, ShortfallReason };

/** How to solve. */
export interface SolveOptions {
  /**
   * `auto` / `flow` (default): the exact network algorithm (polymatroid greedy, plus a primal–dual
   * min-cost-flow step when a stability term makes costs job-specific). `lp`: build the aggregated LP
   * (one per independent component) and solve it with `lpSolver`.
   */
  method?: 'auto' | 'flow' | 'lp';
  /** LP backend; default javascript-lp-solver. See `createHighsLpSolver` for HiGHS. */
  lpSolver?: LpSolver;
  /** Aggregate interchangeable jobs into classes (default true; false = one class per job). */
  aggregate?: boolean;
  /** Solve independent components as separate LPs (default true). */
  decompose?: boolean;
  /**
   * Split equally cheap schedules by the greedy baseline's claim order (default false; the backtest turns it
   * on): in each slot the least flexible work takes the cheapest of its allowed clusters that the LP used
   * (`orderTies`). Changes which job does the work of a cell, never a cell's GPU-hours, a job's GPU-hours per
   * slot or the cost. Costs 1.6–2.2× the solve on generated 1k–3k-job fleets, hence off by default.
   */
  tieBreak?: boolean;
  /** Build per-job explanations (default true). */
  explain?: boolean;
  /** Compute home and greedy baselines (default true). */
  baselines?: boolean;
  /**
   * How the baselines hold GPUs (default: as the published schedule — `whole` unless `wholeGpus` is false), so
   * savings compare like with like: a whole-GPU schedule against baselines on whole GPUs
   * (`homeBaselineWholeGpus`, `greedyBaselineWholeGpus`), a fractional one against fractional baselines.
   * `fractional` with whole GPUs is for callers that compare `lpBound` with the baselines (the backtest).
   */
  baselineGpus?: 'whole' | 'fractional';
  /**
   * Round to whole GPUs (default true). false: the published figures are the LP optimum's (placements carry
   * `gpus: 0`, `gpuHours` = the LP's), for callers that only need the optimum's cost (e.g. a backtest's
   * perfect-foresight reference).
   */
  wholeGpus?: boolean;
  /**
   * Refuse (status `solver-error`, greedy fallback) an LP component whose dense tableau
   * (rows × columns) would exceed this many cells with javascript-lp-solver. Default 4e7 (~320 MB).
   */
  maxDenseTableauCells?: number;
  /**
   * Reuse the home baseline (whole GPUs) of an earlier solve when nothing it reads changed (`HomeBaselineMemo`:
   * a re-plan on new prices). In-thread callers only (a worker gets a copy of the options, not the memo).
   */
  homeBaselineMemo?: HomeBaselineMemo;
}

/** One job's work in one cluster and slot. */
export interface Placement {
  jobId: string;
  clusterId: string;
  slotIndex: number;
  slotStartUtc: string;
  /** GPU-hours in the fractional LP optimum. */
  lpGpuHours: number;
  /** GPU-hours of work after rounding to whole GPUs (≤ gpus × slot hours). */
  gpuHours: number;
  /** Whole GPUs reserved in that cluster and slot. */
  gpus: number;
}

/** Why a cheaper cell was not used. */
export type BlockReason =
  | ExclusionReason
  /** Slot before the batch window opens. */
  | 'window'
  /** Slot at or after the deadline. */
  | 'deadline'
  /** Cell full (GPUs). */
  | 'capacity'
  /** Cell full because of its power cap. */
  | 'power-cap'
  /** The job already runs maxGpus in that slot. */
  | 'parallelism'
  /** Moving there would cost more in the stability term than it saves. */
  | 'stability'
  /** Schedule came from the greedy heuristic, which may leave cheaper room unused. */
  | 'heuristic';

export interface CheaperCell {
  clusterId: string;
  slotIndex: number;
  slotStartUtc: string;
  costPerGpuHour: number;
  blockedBy: BlockReason;
}

export interface JobExplanation {
  /** One sentence for operators. */
  summary: string;
  /** Where the work went, per cluster (fractional LP GPU-hours and slot range). */
  clusters: { clusterId: string; gpuHours: number; firstSlot: number; lastSlot: number }[];
  /** Highest cost per GPU-hour the job pays (its penalty if part is unserved), null if nothing placed/unserved. */
  marginalCostPerGpuHour: number | null;
  /** Up to 3 cheapest cells below the marginal cost, each with the constraint that blocked it. */
  cheaperCells: CheaperCell[];
}

export type JobOutcome = 'placed' | 'partially-placed' | 'unplaceable';

export interface JobResult {
  jobId: string;
  kind: JobKind;
  outcome: JobOutcome;
  demandGpuHours: number;
  /** Served in the LP optimum. */
  lpServedGpuHours: number;
  /** Served in the rounded (whole-GPU) schedule. */
  servedGpuHours: number;
  /** Unserved GPU-hours of the rounded schedule, split by reason (sums to `gpuHours`). */
  shortfall: { gpuHours: number; reasons: { reason: ShortfallReason; gpuHours: number }[] };
  /** Shared between jobs with the same rules (frozen). */
  allowedClusterIds: readonly string[];
  excludedClusters: readonly { readonly clusterId: string; readonly reason: ExclusionReason }[];
  explanation?: JobExplanation;
}

/** Cost and energy figures of one schedule. Costs in the problem currency. */
export interface ScheduleTotals {
  energyMwh: number;
  energyCost: number;
  carbonTonnes: number;
  carbonCost: number;
  penaltyCost: number;
  stabilityCost: number;
  /** The objective: energy + carbon + penalty + stability cost. */
  totalCost: number;
  servedGpuHours: number;
  unservedGpuHours: number;
  movedGpuHours: number;
  /** Tokens of jobs with `tokensPerSecondPerGpu`, millions; null when no job has a rate. */
  tokensMillions: number | null;
  /** (energy + carbon cost of those jobs) / tokensMillions. */
  costPerMillionTokens: number | null;
}

/**
 * What a schedule saves against a baseline on the same problem (`savingsAgainst`). Compared: energy + priced
 * carbon + the penalties of unserved work (the stability cost is not a cost of the work, so it is left out). A
 * baseline that serves less work than the schedule is not comparable — its lower bill is unserved work, not a
 * saving — except within 0.1 % of the work, where its missing GPU-hours are costed at its own average.
 */
export interface Savings {
  /** (baseline − schedule) energy + carbon + penalty cost; null when not comparable. */
  amount: number | null;
  /** amount ÷ |baseline energy + carbon cost| × 100; null when not comparable or that cost is 0. */
  pct: number | null;
  /** False when the baseline serves more than 0.1 % less work (GPU-hours) than the schedule. */
  comparable: boolean;
  baselineServedGpuHours: number;
  servedGpuHours: number;
}

export interface SolverStats {
  /** Aggregated-LP size (also reported on the flow path, where the LP is not built). */
  variables: number;
  constraints: number;
  classes: number;
  components: number;
  networkNodes: number;
  networkArcs: number;
  buildMs: number;
  solveMs: number;
  roundMs: number;
  totalMs: number;
}

export type PlacementStatus = 'optimal' | 'timeout' | 'solver-error';

export interface PlacementResult {
  status: PlacementStatus;
  /** Set when the schedule is the greedy heuristic instead of an optimum. */
  fallback?: 'greedy';
  message?: string;
  solver: { name: string; method: 'flow' | 'lp' | 'greedy'; stats: SolverStats };
  currency: string;
  slotMinutes: number;
  slotStartsUtc: string[];
  /** Non-zero placements, ordered by job, cluster, slot. */
  placements: Placement[];
  jobs: JobResult[];
  /** Figures of the published (rounded) schedule. */
  totals: ScheduleTotals;
  /** Figures of the fractional LP optimum (the bound); null on fallback. */
  lpBound: ScheduleTotals | null;
  /** totals.totalCost − lpBound.totalCost (≥ 0); null on fallback. */
  roundingCost: number | null;
  /** Home and greedy on the same problem, on whole GPUs when the schedule is (see `SolveOptions.baselineGpus`). */
  baselines: { home: ScheduleTotals; greedy: ScheduleTotals } | null;
  savings: { vsHome: Savings; vsGreedy: Savings } | null;
  warnings: ProblemIssue[];
}
