/**
 * A solver-neutral linear program: minimise `Σ cost_j · v_j + objectiveOffset` over `v ≥ 0` subject to
 * sparse rows `Σ coef · v  (≤ | ≥ | =)  rhs`. Backends (`LpSolver`) translate it to their own format.
 *
 * Names are prefixed (`v_…` for variables, `c_…` for rows) so they can never collide with a solver's
 * result keys such as `feasible`, `result`, `bounded` or `isIntegral`.
 */
export type LpRowKind = 'le' | 'ge' | 'eq';

export interface LpRow {
  name: string;
  kind: LpRowKind;
  rhs: number;
  /** Variable indices and coefficients of the row (parallel arrays). */
  vars: number[];
  coefs: number[];
}

export interface LpModel {
  varNames: string[];
  varCosts: number[];
  rows: LpRow[];
  /** Constant added to the objective (e.g. stability cost of cells that cannot be kept). */
  objectiveOffset: number;
  /** Variables that must take whole values (a MIP; written as `General`). Absent: an LP. */
  integerVars?: number[];
}

/** How a backend finished. `optimal` is the only status whose values may be used. */
export type LpStatus = 'optimal' | 'infeasible' | 'unbounded' | 'time-limit' | 'error';

export interface LpSolution {
  status: LpStatus;
  /** Objective including `objectiveOffset`. */
  objective: number;
  /** Value of each variable, by index (zeros when not optimal). */
  values: Float64Array;
  message?: string;
  iterations?: number;
}

/** A linear-programming backend. Implementations must be synchronous and must not mutate the model. */
export interface LpSolver {
  readonly name: string;
  solve(model: LpModel, opts?: { timeLimitMs?: number }): LpSolution;
}

/** An empty model to be filled by builders. */
export function emptyLpModel(): LpModel {
  return { varNames: [], varCosts: [], rows: [], objectiveOffset: 0 };
}

/** Adds a non-negative variable and returns its index. */
export function addLpVariable(model: LpModel, name: string, cost: number): number {
  model.varNames.push(name);
  model.varCosts.push(cost);
  return model.varNames.length - 1;
}

/** Objective of `values` under `model` (including the offset). */
export function lpObjective(model: LpModel, values: ArrayLike<number>): number {
  let sum = model.objectiveOffset;
  for (let j = 0; j < model.varCosts.length; j++) sum += (model.varCosts[j] ?? 0) * (values[j] ?? 0);
  return sum;
}

function formatNumber(value: number): string {
  // Shortest round-trip representation; LP format has no exponent issues with this form.
  return Number.isInteger(value) ? value.toFixed(0) : String(value);
}

function appendTerms(out: string[], vars: number[], coefs: number[], names: string[]): void {
  let line = '';
  for (let k = 0; k < vars.length; k++) {
    const coef = coefs[k] ?? 0;
    if (coef === 0) continue;
    const name = names[vars[k] ?? -1] ?? '';
    const sign = coef < 0 ? '-' : '+';
    const abs = Math.abs(coef);
    line += ` ${sign} ${abs === 1 ? '' : formatNumber(abs) + ' '}${name}`;
    if (line.length > 200) {
      out.push(line);
      line = '';
    }
  }
  if (line.length > 0) out.push(line);
}

/** CPLEX LP-format text of the model (what HiGHS, CBC, GLPK, Gurobi read). The offset is not written. */
export function toLpFormat(model: LpModel): string {
  const out: string[] = ['Minimize', ' obj:'];
  const objVars: number[] = [];
  const objCoefs: number[] = [];
  model.varCosts.forEach((cost, j) => {
    if (cost !== 0) {
      objVars.push(j);
      objCoefs.push(cost);
    }
  });
  if (objVars.length === 0 && model.varNames.length > 0) {
    objVars.push(0);
    objCoefs.push(0);
    out.push(` 0 ${model.varNames[0]}`);
  } else {
    appendTerms(out, objVars, objCoefs, model.varNames);
  }
  out.push('Subject To');
  for (const row of model.rows) {
    out.push(` ${row.name}:`);
    if (row.vars.length === 0) out.push(` 0 ${model.varNames[0] ?? 'v_dummy'}`);
    else appendTerms(out, row.vars, row.coefs, model.varNames);
    const op = row.kind === 'le' ? '<=' : row.kind === 'ge' ? '>=' : '=';
    out.push(` ${op} ${formatNumber(row.rhs)}`);
  }
  // All variables are >= 0 by default in LP format; declare them so unused ones still exist.
  out.push('Bounds');
  for (const name of model.varNames) out.push(` ${name} >= 0`);
  if (model.integerVars && model.integerVars.length > 0) {
    out.push('General');
    for (const v of model.integerVars) out.push(` ${model.varNames[v] ?? ''}`);
  }
  out.push('End', '');
  return out.join('\n');
}
