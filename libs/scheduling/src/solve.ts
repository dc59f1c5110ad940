import {
  solvePlacement,
  solvePlacementInWorker,
  type PlacementProblem,
  type PlacementResult,
} from '#gridshift/placement';

/** Solves one problem; injectable so tests and benchmarks can choose the thread. */
export type SolveFn = (problem: PlacementProblem, timeLimitMs: number) => Promise<PlacementResult>;

/** Solves off the main thread (leases keep renewing while it runs); timeout → greedy, flagged. */
export const solveInWorker: SolveFn = (problem, timeLimitMs) =>
  solvePlacementInWorker(problem, { timeLimitMs });

/** Solves on the calling thread (no time limit; for tools and tests). */
export const solveInThread: SolveFn = (problem) => Promise.resolve(solvePlacement(problem));

/** Phase 3 — solves the problem with libs/placement within the time limit. */
export function solve(problem: PlacementProblem, timeLimitMs: number, solveFn: SolveFn = solveInWorker) {
  return solveFn(problem, timeLimitMs);
}
