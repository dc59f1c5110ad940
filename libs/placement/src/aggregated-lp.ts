import { aggregateJobs } from './aggregate.js';
import { buildAggregatedLp, buildNetworkLp } from './lp/build-lp.js';
import type { LpModel } from './lp/lp-model.js';
import type { PlacementProblem } from './model.js';
import { normalizeProblem } from './normalize.js';
import { PlacementProblemError, validateProblem } from './validate.js';

/**
 * The class-aggregated LP the engine optimises, for external solvers (e.g. `toLpFormat` → HiGHS). Its
 * optimum plus `objectiveOffset` equals `solvePlacement(problem).lpBound.totalCost`; the offset holds
 * the penalty of demand no schedule can serve (nowhere allowed, past the deadline at maxGpus, above
 * maxGpus). `network` form (class → set-hour → cell, far fewer variables) requires no stability term.
 * Throws `PlacementProblemError` on invalid input.
 */
export function toAggregatedLp(
  problem: PlacementProblem,
  form: 'class-cell' | 'network' = 'class-cell',
): LpModel {
  const issues = validateProblem(problem);
  if (issues.some((i) => i.severity === 'error')) throw new PlacementProblemError(issues);
  const norm = normalizeProblem(problem);
  if (form === 'network' && norm.hasJobSpecificCosts) {
    throw new RangeError("toAggregatedLp: the 'network' form has no stability term; use 'class-cell'");
  }
  const classes = aggregateJobs(norm);
  const model = form === 'network' ? buildNetworkLp(norm, classes) : buildAggregatedLp(norm, classes).model;
  for (const job of norm.jobs) {
    for (const s of job.structuralShortfall) model.objectiveOffset += s.gpuHours * job.penaltyPerGpuHour;
  }
  return model;
}
