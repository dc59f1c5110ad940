/**
 * @gridshift/placement — the pure placement engine: problem model, validation, exact class
 * aggregation, solving (exact polymatroid flow or an LP backend), rounding to whole GPUs, baselines,
 * cost accounting and explanations. No Nest, no IO. See README.md.
 */
export type {
  BatchJobInput,
  ClusterInput,
  InteractiveJobInput,
  JobInput,
  JobKind,
  JobPins,
  PlacementProblem,
  PreviousPlacement,
  StabilityInput,
} from './model.js';
export type {
  BlockReason,
  CheaperCell,
  ExclusionReason,
  JobExplanation,
  JobOutcome,
  JobResult,
  Placement,
  PlacementResult,
  PlacementStatus,
  Savings,
  ScheduleTotals,
  ShortfallReason,
  SolveOptions,
  SolverStats,
} from './result.js';
export { PlacementProblemError, validateProblem } from './validate.js';
export type { ProblemIssue, ProblemIssueCode } from './validate.js';
export { solvePlacement, greedyFallback, solveBaseline } from './solve.js';
export { storedScheduleExplainer } from './explain.js';
export { HomeBaselineMemo } from './whole-gpu-baselines.js';
export type { StoredCellUse, StoredJobExplanation, StoredPlacement } from './explain.js';
export type { BaselineKind, BaselinePlacement } from './solve.js';
export { savingsAgainst } from './account.js';
export { measureSavings, usageColumns } from './measured.js';
export type {
  BaselineMemo,
  DayBaselines,
  MeasuredCluster,
  MeasuredGroupBy,
  MeasuredInput,
  MeasuredJob,
  MeasuredReport,
  MeasuredRow,
  MeasuredSide,
  MeasuredUsage,
  MeasuredUsageColumns,
  PlannedUsage,
  PricePaidInterval,
} from './measured.js';
export {
  buildPlacementProblem,
  jobThroughput,
  DEFAULT_PENALTY_PER_GPU_HOUR,
  DEFAULT_TIER_PENALTIES_PER_GPU_HOUR,
} from './build-problem.js';
export type {
  BuildIssueCode,
  BuildPlacementProblemOptions,
  FleetCluster,
  FleetJob,
  FleetProblem,
  FleetProblemInput,
  ProblemSettings,
  ZoneSeries,
} from './build-problem.js';
export { cellCost } from './cell-cost.js';
export type { CellCost } from './cell-cost.js';
export { solvePlacementInWorker } from './worker.js';
export type { WorkerSolveOptions } from './worker.js';
export { checkPlacement } from './check.js';
export type { PlacementViolation } from './check.js';
export { toJobLevelLp } from './reference-lp.js';
export { toAggregatedLp } from './aggregated-lp.js';
export { emptyLpModel, addLpVariable, lpObjective, toLpFormat } from './lp/lp-model.js';
export type { LpModel, LpRow, LpRowKind, LpSolution, LpSolver, LpStatus } from './lp/lp-model.js';
export { javascriptLpSolver } from './lp/javascript-lp-solver.js';
export { createHighsLpSolver } from './lp/highs-solver.js';
export type { HighsLike } from './lp/highs-solver.js';
export { generateProblem, seededRandom } from './bench-fixtures/generate.js';
export type { GenerateOptions } from './bench-fixtures/generate.js';
