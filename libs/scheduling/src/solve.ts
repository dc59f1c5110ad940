import {
  greedyFallback,
  HomeBaselineMemo,
  PlacementProblemError,
  solvePlacement,
  solvePlacementInWorker,
  type PlacementProblem,
  type PlacementResult,
} from '#gridshift/placement';

/**
 * The library's per-job explanations are not built: a schedule's explanations are computed on request from
 * what it stored (`explanations.ts`), so the solve (and, in the worker, the result's structured clone) skips them.
 */
const SOLVE_OPTIONS = { explain: false } as const;

/** Solves one problem; injectable so tests and benchmarks can choose the thread. */
export type SolveFn = (problem: PlacementProblem, timeLimitMs: number) => Promise<PlacementResult>;

/** Solves off the main thread (leases keep renewing while it runs); timeout → greedy, flagged. */
export const solveInWorker: SolveFn = (problem, timeLimitMs) =>
  solvePlacementInWorker(problem, { ...SOLVE_OPTIONS, timeLimitMs });

/** Solves on the calling thread (no time limit; for tools and tests). */
export const solveInThread: SolveFn = (problem) => Promise.resolve(solvePlacement(problem, SOLVE_OPTIONS));

/**
 * Solves small problems on the calling thread and the rest in the worker. A worker costs a spawn and a
 * structured clone of the problem and of a result with one entry per placement (≈ 0.5 s at 5,000 jobs), while
 * the exact flow path solves 5,000 jobs in ≈ 0.6 s, so below `maxInThreadJobs` and without a stability term
 * (whose solve time grows fast) the thread is the faster choice; the event loop is busy for that long.
 * A solver failure in-thread falls back to the greedy schedule, flagged, as in the worker.
 */
export function solveAdaptive(
  maxInThreadJobs: number,
  inWorker: SolveFn = solveInWorker,
  maxBlockMs = Number.POSITIVE_INFINITY,
  clock: () => number = () => performance.now(),
): SolveFn {
  // How long the last solve without a stability term took (thread: wall clock; worker: the library's own time).
  // Past `maxBlockMs` the next ones go to the worker: on a loaded machine an in-thread solve can block the event
  // loop long enough for the leader's lease connection to idle out (PostgreSQL closes it), which deposes the
  // planner and fences the plan it was about to store — re-planning then repeats it (a stall).
  let lastSolveMs = 0;
  // Re-plans on new prices reuse the home baseline of the last in-thread solve (exact: keyed by all it reads).
  const inThreadOptions = { ...SOLVE_OPTIONS, homeBaselineMemo: new HomeBaselineMemo() };
  return (problem, timeLimitMs) => {
    const stability = (problem.stability?.costPerGpuHourMoved ?? 0) > 0;
    if (stability || problem.jobs.length > maxInThreadJobs) return inWorker(problem, timeLimitMs);
    if (lastSolveMs > maxBlockMs)
      return inWorker(problem, timeLimitMs).then((result) => {
        lastSolveMs =
          (result.solver as { stats?: { totalMs?: number } } | undefined)?.stats?.totalMs ?? lastSolveMs;
        return result;
      });
    const started = clock();
    try {
      const result = solvePlacement(problem, inThreadOptions);
      lastSolveMs = clock() - started;
      return Promise.resolve(result);
    } catch (error) {
      if (error instanceof PlacementProblemError) return Promise.reject(error);
      return Promise.resolve(
        greedyFallback(
          problem,
          'solver-error',
          error instanceof Error ? error.message : String(error),
          inThreadOptions,
        ),
      );
    }
  };
}

/** Phase 3 — solves the problem with libs/placement within the time limit. */
export function solve(problem: PlacementProblem, timeLimitMs: number, solveFn: SolveFn = solveInWorker) {
  return solveFn(problem, timeLimitMs);
}
