import { toLpFormat, type LpModel, type LpSolution, type LpSolver } from './lp-model.js';

/**
 * The part of a loaded `highs` module (npm `highs`, HiGHS compiled to wasm) this adapter uses.
 * Load it yourself (`const highs = await (await import('highs')).default()`) so this library keeps no
 * runtime dependency on it.
 */
export interface HighsLike {
  solve(
    lpText: string,
    options?: Record<string, string | number | boolean>,
  ): {
    Status: string;
    ObjectiveValue: number;
    Columns: Record<string, { Primal?: number }>;
  };
}

/** Wraps a loaded HiGHS module as an `LpSolver` (sparse; suited to large models and as a reference). */
export function createHighsLpSolver(
  highs: HighsLike,
  options: Record<string, string | number | boolean> = {},
): LpSolver {
  return {
    name: 'highs',
    solve(model: LpModel, opts?: { timeLimitMs?: number }): LpSolution {
      const values = new Float64Array(model.varNames.length);
      const runOptions: Record<string, string | number | boolean> = { ...options };
      if (opts?.timeLimitMs !== undefined) runOptions.time_limit = opts.timeLimitMs / 1000;
      const solution = highs.solve(toLpFormat(model), runOptions);
      switch (solution.Status) {
        case 'Optimal':
          break;
        case 'Empty':
          return { status: 'optimal', objective: model.objectiveOffset, values };
        case 'Infeasible':
          return { status: 'infeasible', objective: NaN, values, message: solution.Status };
        case 'Unbounded':
        case 'Primal infeasible or unbounded':
          return { status: 'unbounded', objective: NaN, values, message: solution.Status };
        case 'Time limit reached':
          return { status: 'time-limit', objective: NaN, values, message: solution.Status };
        default:
          return { status: 'error', objective: NaN, values, message: solution.Status };
      }
      model.varNames.forEach((name, j) => {
        const primal = solution.Columns[name]?.Primal ?? 0;
        values[j] = primal < 0 ? 0 : primal;
      });
      return { status: 'optimal', objective: solution.ObjectiveValue + model.objectiveOffset, values };
    },
  };
}
