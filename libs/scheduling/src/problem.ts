import {
  buildPlacementProblem,
  type BuildIssueCode,
  type PlacementProblem,
  type PreviousPlacement,
} from '#gridshift/placement';
import type { Assumption } from './assumptions.js';
import type { PlanningInputs } from './inputs.js';

export { jobThroughput } from '#gridshift/placement';
/** At most this many job ids are listed in one assumption (the count is always given). */
const MAX_LISTED_JOBS = 50;

/** The placement problem of one plan and what building it had to assume. */
export interface BuiltProblem {
  problem: PlacementProblem;
  assumptions: Assumption[];
}

export interface BuildProblemOptions {
  /** Placements of the schedule in force, for the stability term (used when its cost is > 0). */
  previous?: PreviousPlacement[];
}

/**
 * Phase 2 — turns resolved inputs into a `PlacementProblem` with `buildPlacementProblem` (libs/placement: the
 * one conversion the planner, the what-ifs and the backtest share) and reports what building it had to assume
 * about jobs. Pure.
 */
export function buildProblem(inputs: PlanningInputs, options: BuildProblemOptions = {}): BuiltProblem {
  const { problem, issues } = buildPlacementProblem(inputs, options);
  return { problem, assumptions: jobAssumptions(issues) };
}

const JOB_MESSAGES: Record<BuildIssueCode, (n: number) => string> = {
  'demand-missing': (n) => `${n} active job(s) have no token demand or throughput and were left out`,
  'gpu-throughput-missing': (n) =>
    `${n} job(s) declare no throughput for any active cluster's GPU model and cannot be placed`,
  'gpu-throughput-mixed': (n) =>
    `${n} job(s) may run on several GPU models; their demand uses the slowest model's throughput`,
  'batch-prorated': (n) =>
    `${n} batch job(s) have a deadline beyond the horizon; only their pro-rata share is planned now`,
};

function jobAssumptions(flagged: ReadonlyMap<BuildIssueCode, string[]>): Assumption[] {
  return [...flagged].map(([code, ids]) => ({
    code,
    message: JOB_MESSAGES[code](ids.length),
    jobIds: ids.slice(0, MAX_LISTED_JOBS),
    details: { jobCount: ids.length },
  }));
}
