import { accountSchedule, savingsAgainst, type JobFlows } from './account.js';
import { aggregateJobs, splitToJobs, type ClassFlows, type PlacementClass } from './aggregate.js';
import { greedyBaseline, homeBaseline } from './baselines.js';
import { describeJobs } from './explain.js';
import { solveByFlow } from './flow/solve-by-flow.js';
import { buildAggregatedLp, componentsOf, countLp, emptyFlows, flowsFromLp } from './lp/build-lp.js';
import { denseTableauCells, javascriptLpSolver } from './lp/javascript-lp-solver.js';
import type { PlacementProblem } from './model.js';
import { normalizeProblem, type NormalizedProblem } from './normalize.js';
import type { Placement, PlacementResult, PlacementStatus, SolveOptions, SolverStats } from './result.js';
import { roundToWholeGpus, type WholeGpuResolver } from './round.js';
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
    return { flows: solved.flows, solverName: name, method: 'flow' };
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
  return { flows, solverName: solver.name, method: 'lp' };
}

/**
 * Rounding's re-solve (see `WholeGpuResolver`); null when that solve fails. Classes are the LP's with
 * interactive demand re-summed from the whole-GPU jobs (membership does not change).
 */
function wholeGpuResolver(opts: SolveOptions, lpClasses: PlacementClass[]): WholeGpuResolver {
  return (whole) => {
    const classes = lpClasses.map((cls) => {
      if (!cls.demandBySlot) return cls;
      const demandBySlot = new Float64Array(cls.demandBySlot.length);
      for (const j of cls.members) {
        const servable = whole.jobs[j]?.servableBySlot;
        if (servable)
          for (let t = 0; t < demandBySlot.length; t++)
            demandBySlot[t] = (demandBySlot[t] ?? 0) + (servable[t] ?? 0);
      }
      return { ...cls, demandBySlot };
    });
    try {
      const solved = solveClasses(whole, classes, opts, emptyStats(classes.length), false);
      return splitToJobs(whole, classes, solved.flows);
    } catch (error) {
      if (error instanceof SolverFailure) return null;
      throw error;
    }
  };
}

function placementsOf(
  norm: NormalizedProblem,
  lpFlows: JobFlows | null,
  gpus: Map<number, number>[],
  work: JobFlows,
): Placement[] {
  const T = norm.slotCount;
  const placements: Placement[] = [];
  const seen = new Int32Array(norm.clusters.length * T).fill(-1);
  const cells: number[] = [];
  norm.jobs.forEach((job, j) => {
    cells.length = 0;
    const collect = (_v: number, cell: number) => {
      if (seen[cell] !== j) {
        seen[cell] = j;
        cells.push(cell);
      }
    };
    lpFlows?.[j]?.forEach(collect);
    gpus[j]?.forEach(collect);
    work[j]?.forEach(collect);
    cells.sort((a, b) => a - b);
    for (const cell of cells) {
      const lpGpuHours = lpFlows?.[j]?.get(cell) ?? 0;
      const g = gpus[j]?.get(cell) ?? 0;
      const w = work[j]?.get(cell) ?? 0;
      if (!(lpGpuHours > 0) && g === 0 && !(w > 0)) continue;
      const t = cell % T;
      placements.push({
        jobId: job.id,
        clusterId: norm.clusters[Math.floor(cell / T)]?.id ?? '',
        slotIndex: t,
        slotStartUtc: norm.problem.slotStartsUtc[t] ?? '',
        lpGpuHours,
        gpuHours: w,
        gpus: g,
      });
    }
  });
  return placements;
}

function assemble(
  norm: NormalizedProblem,
  schedule: JobFlows,
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
  },
): PlacementResult {
  const heuristic = head.method === 'greedy';
  const roundStart = performance.now();
  const rounded =
    opts.wholeGpus === false
      ? {
          gpus: norm.jobs.map(() => new Map<number, number>()),
          work: schedule,
          lostGpuHours: new Float64Array(norm.jobs.length),
        }
      : roundToWholeGpus(norm, schedule, head.classes ? wholeGpuResolver(opts, head.classes) : undefined);
  head.stats.roundMs = elapsedSince(roundStart);
  const totals = accountSchedule(norm, rounded.work);
  const lpBound = heuristic ? null : accountSchedule(norm, schedule);
  const withBaselines = opts.baselines ?? true;
  const baselines = withBaselines
    ? { home: accountSchedule(norm, homeBaseline(norm)), greedy: accountSchedule(norm, greedyBaseline(norm)) }
    : null;
  const result: PlacementResult = {
    status: head.status,
    solver: { name: head.solverName, method: head.method, stats: head.stats },
    currency: norm.problem.currency,
    slotMinutes: norm.problem.slotMinutes,
    slotStartsUtc: [...norm.problem.slotStartsUtc],
    placements: placementsOf(norm, heuristic ? null : schedule, rounded.gpus, rounded.work),
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
  const split = splitToJobs(norm, classes, solved.flows);
  const jobFlows = opts.tieBreak === true ? orderTies(norm, split) : split;
  return assemble(norm, jobFlows, opts, {
    status: 'optimal',
    solverName: solved.solverName,
    method: solved.method,
    stats,
    warnings,
    startedAt,
    classes,
  });
}

/** Which baseline: `home` (home cluster first, spills in latency order, no prices) or `greedy` (cheapest cells). */
export type BaselineKind = 'home' | 'greedy';

/** One job's work in one cluster and slot of a baseline schedule (fractional GPU-hours, not rounded). */
export interface BaselinePlacement {
  jobId: string;
  clusterId: string;
  slotIndex: number;
  gpuHours: number;
}

/**
 * A baseline's schedule of `problem` on its own, for callers that simulate a baseline over time (the backtest
 * runs home and greedy as their own rolling plans). Same problem, same accounting as `solvePlacement`'s
 * `baselines`. Throws `PlacementProblemError` on invalid input. Pure.
 */
export function solveBaseline(
  problem: PlacementProblem,
  kind: BaselineKind,
): { placements: BaselinePlacement[]; totals: ReturnType<typeof accountSchedule> } {
  validated(problem);
  const norm = normalizeProblem(problem);
  const flows = kind === 'home' ? homeBaseline(norm) : greedyBaseline(norm);
  const T = norm.slotCount;
  const placements: BaselinePlacement[] = [];
  flows.forEach((cells, j) => {
    const jobId = norm.jobs[j]?.id;
    if (jobId === undefined) return;
    for (const [cell, gpuHours] of [...cells].sort((a, b) => a[0] - b[0])) {
      const clusterId = norm.clusters[Math.floor(cell / T)]?.id;
      if (clusterId !== undefined && gpuHours > 0)
        placements.push({ jobId, clusterId, slotIndex: cell % T, gpuHours });
    }
  });
  return { placements, totals: accountSchedule(norm, flows) };
}
