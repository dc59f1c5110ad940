// The placement engine's entry points (solvePlacement, the greedy fallback, the baselines) in one file: they share
// the validation, aggregation, rounding and accounting steps and must run them in the same order.
import {
  accountSchedule,
  fromJobMaps,
  savingsAgainst,
  toJobMaps,
  type JobSchedule,
  type WholeGpuEntries,
} from './account.js';
import {
  aggregateJobs,
  splitToSchedule,
  withMemberDemand,
  type ClassFlows,
  type PlacementClass,
} from './aggregate.js';
import { greedyBaseline, homeBaseline } from './baselines.js';
import { greedyBaselineWholeGpus, homeBaselineWholeGpus } from './whole-gpu-baselines.js';
import { describeJobs } from './explain.js';
import { solveByFlow } from './flow/solve-by-flow.js';
import { buildAggregatedLp, componentsOf, countLp, emptyFlows, flowsFromLp } from './lp/build-lp.js';
import { denseTableauCells, javascriptLpSolver } from './lp/javascript-lp-solver.js';
import type { PlacementProblem } from './model.js';
import { normalizeProblem, type NormalizedProblem } from './normalize.js';
import type { Placement, PlacementResult, PlacementStatus, SolveOptions, SolverStats } from './result.js';
import {
  fractionalSchedule,
  roundToWholeGpus,
  type RoundedSchedule,
  type WholeGpuResolver,
} from './round.js';
import { orderTies } from './tie-break.js';
import { PlacementProblemError, validateProblem, type ProblemIssue } from './validate.js';

const DEFAULT_MAX_DENSE_CELLS = 4e7;

/** A solver could not produce an optimum; the caller falls back to the greedy schedule. */
class SolverFailure extends Error {}

function elapsedSince(start: number): number {
  return performance.now() - start;
}

function emptyStats(classes: number): SolverStats {
  return {
    variables: 0,
    constraints: 0,
    classes,
    components: 0,
    networkNodes: 0,
    networkArcs: 0,
    buildMs: 0,
    solveMs: 0,
    roundMs: 0,
    totalMs: 0,
  };
}

interface SolvedClasses {
  flows: ClassFlows;
  solverName: string;
  method: 'flow' | 'lp';
  /** The flow path's warm-started whole-GPU re-solve (see `solveByFlow`), when it has one. */
  wholeGpus: ((whole: NormalizedProblem, wholeClasses: PlacementClass[]) => ClassFlows) | null;
}

function solveClasses(
  norm: NormalizedProblem,
  classes: PlacementClass[],
  opts: SolveOptions,
  stats: SolverStats,
  countSize = true,
): SolvedClasses {
  const method = opts.method ?? 'auto';
  if (method !== 'lp') {
    if (countSize) {
      const size = countLp(norm, classes);
      stats.variables = size.variables;
      stats.constraints = size.constraints;
    }
    stats.components = 1;
    let solved;
    try {
      solved = solveByFlow(norm, classes);
    } catch (error) {
      throw new SolverFailure(
        `flow solver failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    stats.networkNodes = solved.stats.nodes;
    stats.networkArcs = solved.stats.arcs;
    stats.buildMs += solved.stats.buildMs;
    stats.solveMs += solved.stats.solveMs;
    const name = norm.hasJobSpecificCosts ? 'polymatroid-flow+primal-dual' : 'polymatroid-flow';
    return { flows: solved.flows, solverName: name, method: 'flow', wholeGpus: solved.wholeGpus };
  }
  const solver = opts.lpSolver ?? javascriptLpSolver;
  const maxCells = opts.maxDenseTableauCells ?? DEFAULT_MAX_DENSE_CELLS;
  const flows = emptyFlows(classes, norm.slotCount);
  const components = (opts.decompose ?? true) ? componentsOf(norm, classes) : [classes];
  stats.components = components.length;
  for (const component of components) {
    const buildStart = performance.now();
    const built = buildAggregatedLp(norm, component);
    stats.buildMs += elapsedSince(buildStart);
    stats.variables += built.model.varNames.length;
    stats.constraints += built.model.rows.length;
    if (solver === javascriptLpSolver && denseTableauCells(built.model) > maxCells) {
      throw new SolverFailure(
        `an LP component of ${built.model.varNames.length} variables × ${built.model.rows.length} rows is too ` +
          `large for javascript-lp-solver's dense tableau (limit ${maxCells} cells); pass a sparse lpSolver`,
      );
    }
    const solveStart = performance.now();
    let solution;
    try {
      solution = solver.solve(built.model);
    } catch (error) {
      throw new SolverFailure(
        `${solver.name} threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    stats.solveMs += elapsedSince(solveStart);
    if (solution.status !== 'optimal') {
      throw new SolverFailure(
        `${solver.name} returned ${solution.status}${solution.message ? `: ${solution.message}` : ''}`,
      );
    }
    flowsFromLp(built, solution.values, flows);
  }
  return { flows, solverName: solver.name, method: 'lp', wholeGpus: null };
}

/**
 * Rounding's re-solve (see `WholeGpuResolver`); null when that solve fails. Classes are the LP's with
 * interactive demand re-summed from the whole-GPU jobs (membership does not change). The flow path
 * continues from the LP's optimal flow (`solved.wholeGpus`); otherwise the classes are solved again.
 */
function wholeGpuResolver(
  opts: SolveOptions,
  lpClasses: PlacementClass[],
  solved: SolvedClasses,
): WholeGpuResolver {
  return (whole) => {
    const classes = withMemberDemand(whole, lpClasses);
    try {
      const flows = solved.wholeGpus
        ? solved.wholeGpus(whole, classes)
        : solveClasses(whole, classes, opts, emptyStats(classes.length), false).flows;
      return splitToSchedule(whole, classes, flows);
    } catch (error) {
      if (error instanceof SolverFailure) return null;
      throw error;
    }
  };
}

/**
 * The result's placements: per job, the union of its LP cells and its rounded cells (both ascending, merged),
 * each with the LP's GPU-hours, the GPUs held and the work done there.
 */
function placementsOf(
  norm: NormalizedProblem,
  lp: JobSchedule | null,
  rounded: WholeGpuEntries,
): Placement[] {
  const T = norm.slotCount;
  const placements: Placement[] = [];
  const clusterIds = norm.clusters.map((cluster) => cluster.id);
  const slotStarts = norm.problem.slotStartsUtc;
  norm.jobs.forEach((job, j) => {
    let a = lp ? lp.start[j]! : 0;
    const aEnd = lp ? lp.start[j + 1]! : 0;
    let b = rounded.start[j]!;
    const bEnd = rounded.start[j + 1]!;
    while (a < aEnd || b < bEnd) {
      const lpCell = a < aEnd ? lp!.cell[a]! : Infinity;
      const roundedCell = b < bEnd ? rounded.cell[b]! : Infinity;
      const cell = Math.min(lpCell, roundedCell);
      const lpGpuHours = lpCell === cell ? lp!.value[a++]! : 0;
      let wholeGpus = 0;
      let gpuHours = 0;
      if (roundedCell === cell) {
        wholeGpus = rounded.gpus[b]!;
        gpuHours = rounded.work[b++]!;
      }
      if (!(lpGpuHours > 0) && wholeGpus === 0 && !(gpuHours > 0)) continue;
      const t = cell % T;
      placements.push({
        jobId: job.id,
        clusterId: clusterIds[Math.floor(cell / T)] ?? '',
        slotIndex: t,
        slotStartUtc: slotStarts[t] ?? '',
        lpGpuHours,
        gpuHours,
        gpus: wholeGpus,
      });
    }
  });
  return placements;
}

function assemble(
  norm: NormalizedProblem,
  schedule: JobSchedule,
  opts: SolveOptions,
  head: {
    status: PlacementStatus;
    message?: string;
    solverName: string;
    method: 'flow' | 'lp' | 'greedy';
    stats: SolverStats;
    warnings: ProblemIssue[];
    startedAt: number;
    classes: PlacementClass[] | null;
    solved?: SolvedClasses;
  },
): PlacementResult {
  const heuristic = head.method === 'greedy';
  const roundStart = performance.now();
  let rounded: RoundedSchedule =
    opts.wholeGpus === false
      ? fractionalSchedule(schedule, norm.jobs.length)
      : roundToWholeGpus(
          norm,
          schedule,
          head.classes && head.solved ? wholeGpuResolver(opts, head.classes, head.solved) : undefined,
        );
  head.stats.roundMs = elapsedSince(roundStart);
  let totals = accountSchedule(norm, rounded.work);
  const lpBound = heuristic ? null : accountSchedule(norm, schedule);
  const withBaselines = opts.baselines ?? true;
  // Like for like: a whole-GPU schedule is compared with whole-GPU baselines, a fractional one with fractional.
  const wholeBaselines =
    (opts.baselineGpus ?? (opts.wholeGpus === false ? 'fractional' : 'whole')) === 'whole';
  let baselines: PlacementResult['baselines'] = null;
  if (withBaselines && wholeBaselines) {
    const schedules = {
      home: opts.homeBaselineMemo ? opts.homeBaselineMemo.get(norm) : homeBaselineWholeGpus(norm),
      greedy: greedyBaselineWholeGpus(norm),
    };
    baselines = {
      home: accountSchedule(norm, schedules.home.work),
      greedy: accountSchedule(norm, schedules.greedy.work),
    };
    // Rounding is a heuristic: on rare inputs (1 in 20,000 generated problems) a baseline's own whole-GPU
    // schedule costs less. Then it is the published schedule, so gridshift never publishes a plan dearer than
    // what it compares itself with.
    if (opts.wholeGpus !== false) {
      for (const kind of ['greedy', 'home'] as const) {
        if (baselines[kind].totalCost < totals.totalCost - 1e-12 * Math.max(1, Math.abs(totals.totalCost))) {
          rounded = schedules[kind];
          totals = baselines[kind];
        }
      }
    }
  } else if (withBaselines) {
    baselines = {
      home: accountSchedule(norm, homeBaseline(norm)),
      greedy: accountSchedule(norm, greedyBaseline(norm)),
    };
  }
  const result: PlacementResult = {
    status: head.status,
    solver: { name: head.solverName, method: head.method, stats: head.stats },
    currency: norm.problem.currency,
    slotMinutes: norm.problem.slotMinutes,
    slotStartsUtc: [...norm.problem.slotStartsUtc],
    placements: placementsOf(norm, heuristic ? null : schedule, rounded.entries),
    jobs: describeJobs(norm, schedule, rounded, { explain: opts.explain ?? true, heuristic }),
    totals,
    lpBound,
    roundingCost: lpBound ? totals.totalCost - lpBound.totalCost : null,
    baselines,
    savings: baselines
      ? { vsHome: savingsAgainst(baselines.home, totals), vsGreedy: savingsAgainst(baselines.greedy, totals) }
      : null,
    warnings: head.warnings,
  };
  if (heuristic) result.fallback = 'greedy';
  if (head.message !== undefined) result.message = head.message;
  head.stats.totalMs = elapsedSince(head.startedAt);
  return result;
}

function validated(problem: PlacementProblem): ProblemIssue[] {
  const issues = validateProblem(problem);
  if (issues.some((i) => i.severity === 'error')) throw new PlacementProblemError(issues);
  return issues;
}

/**
 * The greedy heuristic schedule flagged as a fallback (used on timeout or solver failure).
 * Throws `PlacementProblemError` on invalid input.
 */
export function greedyFallback(
  problem: PlacementProblem,
  status: Exclude<PlacementStatus, 'optimal'>,
  message: string,
  opts: SolveOptions = {},
): PlacementResult {
  const startedAt = performance.now();
  const warnings = validated(problem);
  const norm = normalizeProblem(problem);
  const stats = emptyStats(0);
  return assemble(norm, greedyBaseline(norm), opts, {
    status,
    message,
    solverName: 'greedy',
    method: 'greedy',
    stats,
    warnings,
    startedAt,
    classes: null,
  });
}

/**
 * Cheapest valid placement of `problem` (exact LP optimum, rounded to whole GPUs, with baselines and
 * explanations), in this thread. Throws `PlacementProblemError` on invalid input; a solver failure
 * returns the greedy schedule with `status: 'solver-error'` and `fallback: 'greedy'`. Never mutates input.
 */
export function solvePlacement(problem: PlacementProblem, opts: SolveOptions = {}): PlacementResult {
  const startedAt = performance.now();
  const warnings = validated(problem);
  const buildStart = performance.now();
  const norm = normalizeProblem(problem);
  const classes = aggregateJobs(norm, opts.aggregate ?? true);
  const stats = emptyStats(classes.length);
  stats.buildMs = elapsedSince(buildStart);
  let solved: SolvedClasses;
  try {
    solved = solveClasses(norm, classes, opts, stats);
  } catch (error) {
    if (!(error instanceof SolverFailure)) throw error;
    return assemble(norm, greedyBaseline(norm), opts, {
      status: 'solver-error',
      message: error.message,
      solverName: 'greedy',
      method: 'greedy',
      stats,
      warnings,
      startedAt,
      classes: null,
    });
  }
  const split = splitToSchedule(norm, classes, solved.flows);
  const jobFlows = opts.tieBreak === true ? fromJobMaps(orderTies(norm, toJobMaps(split))) : split;
  return assemble(norm, jobFlows, opts, {
    status: 'optimal',
    solverName: solved.solverName,
    method: solved.method,
    stats,
    warnings,
    startedAt,
    classes,
    solved,
  });
}

/** Which baseline: `home` (home cluster first, spills in latency order, no prices) or `greedy` (cheapest cells). */
export type BaselineKind = 'home' | 'greedy';

/** One job's work in one cluster and slot of a baseline schedule. */
export interface BaselinePlacement {
  jobId: string;
  clusterId: string;
  slotIndex: number;
  /** GPU-hours of work. */
  gpuHours: number;
  /** Whole GPUs held (0 for a fractional baseline). */
  gpus: number;
}

/**
 * A baseline's schedule of `problem` on its own, for callers that simulate a baseline over time (the backtest
 * runs home and greedy as their own rolling plans). Same problem, same accounting as `solvePlacement`'s
 * `baselines`; fractional GPU-hours unless `wholeGpus` (then `homeBaselineWholeGpus` /
 * `greedyBaselineWholeGpus`, what `solvePlacement` compares a whole-GPU schedule with). Throws
 * `PlacementProblemError` on invalid input. Pure.
 */
export function solveBaseline(
  problem: PlacementProblem,
  kind: BaselineKind,
  opts: { wholeGpus?: boolean } = {},
): { placements: BaselinePlacement[]; totals: ReturnType<typeof accountSchedule> } {
  validated(problem);
  const norm = normalizeProblem(problem);
  if (opts.wholeGpus) {
    const whole = kind === 'home' ? homeBaselineWholeGpus(norm) : greedyBaselineWholeGpus(norm);
    return {
      placements: baselinePlacementsOf(norm, whole.entries),
      totals: accountSchedule(norm, whole.work),
    };
  }
  const flows = kind === 'home' ? homeBaseline(norm) : greedyBaseline(norm);
  return {
    placements: baselinePlacementsOf(norm, fractionalSchedule(flows, norm.jobs.length).entries),
    totals: accountSchedule(norm, flows),
  };
}

/**
 * The placements of several baselines of `problem` (validated and normalized once; no accounting): what
 * `solveBaseline(problem, kind).placements` returns for each kind. Pure.
 */
export function baselinePlacements(
  problem: PlacementProblem,
  kinds: readonly BaselineKind[],
): Map<BaselineKind, BaselinePlacement[]> {
  validated(problem);
  const norm = normalizeProblem(problem);
  return new Map(
    kinds.map((kind) => [
      kind,
      baselinePlacementsOf(
        norm,
        fractionalSchedule(kind === 'home' ? homeBaseline(norm) : greedyBaseline(norm), norm.jobs.length)
          .entries,
      ),
    ]),
  );
}

function baselinePlacementsOf(norm: NormalizedProblem, entries: WholeGpuEntries): BaselinePlacement[] {
  const T = norm.slotCount;
  const placements: BaselinePlacement[] = [];
  norm.jobs.forEach((job, j) => {
    for (let k = entries.start[j]!; k < entries.start[j + 1]!; k++) {
      const cell = entries.cell[k]!;
      const gpuHours = entries.work[k]!;
      const held = entries.gpus[k]!;
      const clusterId = norm.clusters[Math.floor(cell / T)]?.id;
      if (clusterId !== undefined && (gpuHours > 0 || held > 0))
        placements.push({ jobId: job.id, clusterId, slotIndex: cell % T, gpuHours, gpus: held });
    }
  });
  return placements;
}
