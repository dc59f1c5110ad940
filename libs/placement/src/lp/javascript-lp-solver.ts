import jsLpSolverModule from 'javascript-lp-solver';
import type { LpModel, LpSolution, LpSolver } from './lp-model.js';

interface JsLpSolverApi {
  Solve(model: unknown, precision: number, full: boolean): unknown;
}

// The package's CJS typings describe `module.exports` as `{ default: solver }`, while Node hands ESM
// importers `module.exports` itself (the solver); bundlers may do either. Accept both shapes.
const solverModule: unknown = jsLpSolverModule;
const solver: JsLpSolverApi =
  typeof (solverModule as Partial<JsLpSolverApi>).Solve === 'function'
    ? (solverModule as JsLpSolverApi)
    : (solverModule as { default: JsLpSolverApi }).default;

const OBJECTIVE_KEY = 'gs_objective';
// jsLPSolver rounds reported values to this precision; 1e-10 keeps GPU-hour values exact to far below
// anything a schedule can use while staying above its pivoting noise.
const PRECISION = 1e-10;

/** Dense tableau cells (rows × columns) jsLPSolver would allocate for a model. */
export function denseTableauCells(model: LpModel): number {
  let rows = 1;
  for (const row of model.rows) rows += row.kind === 'eq' ? 2 : 1;
  return rows * (model.varNames.length + rows + 1);
}

interface JsLpModel {
  optimize: string;
  opType: 'min';
  constraints: Record<string, { max?: number; min?: number; equal?: number }>;
  variables: Record<string, Record<string, number>>;
}

interface JsLpFullSolution {
  feasible: boolean;
  bounded: boolean;
  evaluation: number;
  generateSolutionSet(): Record<string, number>;
}

function toJsModel(model: LpModel): JsLpModel {
  const variables: Record<string, Record<string, number>> = {};
  model.varNames.forEach((name, j) => {
    variables[name] = { [OBJECTIVE_KEY]: model.varCosts[j] ?? 0 };
  });
  const constraints: JsLpModel['constraints'] = {};
  for (const row of model.rows) {
    constraints[row.name] =
      row.kind === 'le' ? { max: row.rhs } : row.kind === 'ge' ? { min: row.rhs } : { equal: row.rhs };
    row.vars.forEach((j, k) => {
      const coefs = variables[model.varNames[j] ?? ''];
      if (coefs) coefs[row.name] = (coefs[row.name] ?? 0) + (row.coefs[k] ?? 0);
    });
  }
  return { optimize: OBJECTIVE_KEY, opType: 'min', constraints, variables };
}

/** The default backend: javascript-lp-solver 1.0.3 (dense simplex tableau — keep models small). */
export const javascriptLpSolver: LpSolver = {
  name: 'javascript-lp-solver',
  // No time limit here: jsLPSolver's own `timeout` can return a non-optimal tableau without saying so.
  // Wall-clock limits are enforced by `solvePlacementInWorker`, which terminates the worker.
  solve(model: LpModel): LpSolution {
    const values = new Float64Array(model.varNames.length);
    if (model.varNames.length === 0) {
      const violated = model.rows.some((r) =>
        r.kind === 'le' ? r.rhs < 0 : r.kind === 'ge' ? r.rhs > 0 : r.rhs !== 0,
      );
      return violated
        ? { status: 'infeasible', objective: NaN, values }
        : { status: 'optimal', objective: model.objectiveOffset, values };
    }
    const js = toJsModel(model);
    // `full = true` returns the Solution object so values are not rounded to the default 1e-9 grid
    // by the simplified result builder; the library's declared return type is `unknown` for that case.
    const full = solver.Solve(js, PRECISION, true) as JsLpFullSolution;
    if (!full.feasible) return { status: 'infeasible', objective: NaN, values };
    if (!full.bounded) return { status: 'unbounded', objective: -Infinity, values };
    const set = full.generateSolutionSet();
    const index = new Map<string, number>();
    model.varNames.forEach((name, j) => index.set(name, j));
    let objective = model.objectiveOffset;
    for (const [name, value] of Object.entries(set)) {
      const j = index.get(name);
      if (j === undefined) continue;
      const clamped = value < 0 ? 0 : value;
      values[j] = clamped;
      objective += (model.varCosts[j] ?? 0) * clamped;
    }
    return { status: 'optimal', objective, values };
  },
};
