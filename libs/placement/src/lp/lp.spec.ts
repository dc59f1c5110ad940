import { describe, expect, it } from 'vitest';
import { toAggregatedLp } from '../aggregated-lp.js';
import { aggregateJobs } from '../aggregate.js';
import { generateProblem } from '../bench-fixtures/generate.js';
import { normalizeProblem } from '../normalize.js';
import { solvePlacement } from '../solve.js';
import { batch, cluster, highsSolver, interactive, problem } from '../test-support.js';
import { buildAggregatedLp, componentsOf } from './build-lp.js';
import { denseTableauCells, javascriptLpSolver } from './javascript-lp-solver.js';
import { addLpVariable, emptyLpModel, lpObjective, toLpFormat, type LpModel } from './lp-model.js';

/** min 3a + 5b  s.t.  a + b = 4,  a ≤ 1.5  →  a = 1.5, b = 2.5, objective 4.5 + 12.5 = 17. */
function tiny(nameA = 'v_a', nameB = 'v_b'): LpModel {
  const m = emptyLpModel();
  const a = addLpVariable(m, nameA, 3);
  const b = addLpVariable(m, nameB, 5);
  m.rows.push({ name: 'c_demand', kind: 'eq', rhs: 4, vars: [a, b], coefs: [1, 1] });
  m.rows.push({ name: 'c_cap', kind: 'le', rhs: 1.5, vars: [a], coefs: [1] });
  return m;
}

describe('LP backends', () => {
  it('javascript-lp-solver solves a tiny model exactly', () => {
    const solution = javascriptLpSolver.solve(tiny());
    expect(solution.status).toBe('optimal');
    expect(solution.objective).toBeCloseTo(17, 12);
    expect([...solution.values]).toEqual([1.5, 2.5]);
  });

  it('variables named like solver result keys cannot collide', () => {
    // Unprefixed names such as `feasible` or `result` would be overwritten by jsLPSolver's own keys;
    // the builders always prefix (v_, c_), and the adapter maps values back by name.
    const solution = javascriptLpSolver.solve(tiny('v_feasible', 'v_result'));
    expect(solution.objective).toBeCloseTo(17, 12);
    const built = buildAggregatedLp(
      normalizeProblem(problem(1, [cluster('fra', [50], 4)], [batch('b', 2, 2)])),
      aggregateJobs(normalizeProblem(problem(1, [cluster('fra', [50], 4)], [batch('b', 2, 2)]))),
    );
    for (const name of [...built.model.varNames, ...built.model.rows.map((r) => r.name)]) {
      expect(name).toMatch(/^(v|c)_/);
    }
  });

  it('reports infeasibility', () => {
    const m = tiny();
    m.rows.push({ name: 'c_bad', kind: 'ge', rhs: 10, vars: [0], coefs: [1] });
    expect(javascriptLpSolver.solve(m).status).toBe('infeasible');
  });

  it('writes CPLEX LP format that HiGHS reads to the same optimum', async () => {
    const text = toLpFormat(tiny());
    expect(text).toContain('Minimize\n obj:\n + 3 v_a + 5 v_b');
    expect(text).toContain(' c_cap:\n + v_a\n <= 1.5');
    const solution = (await highsSolver()).solve(tiny());
    expect(solution.status).toBe('optimal');
    expect(solution.objective).toBeCloseTo(17, 9);
    expect(lpObjective(tiny(), solution.values)).toBeCloseTo(17, 9);
  });

  it('sizes the dense tableau javascript-lp-solver would allocate', () => {
    // rows: objective + 2 (demand as two inequalities) + 1 = 4; columns: 2 + 4 slacks + 1 rhs = 7.
    expect(denseTableauCells(tiny())).toBe(4 * 7);
  });
});

describe('toAggregatedLp', () => {
  it.each(['class-cell', 'network'] as const)('%s form has the engine optimum (HiGHS)', async (form) => {
    const p = generateProblem({ jobs: 120, clusters: 8, slots: 12, seed: 9 });
    const model = toAggregatedLp(p, form);
    const solution = (await highsSolver()).solve(model);
    expect(solution.status).toBe('optimal');
    expect(solution.objective).toBeCloseTo(solvePlacement(p).lpBound?.totalCost ?? NaN, 6);
  });

  it('network form is much smaller than one variable per (class, cell)', () => {
    const p = generateProblem({ jobs: 400, clusters: 14, slots: 24, seed: 9 });
    expect(toAggregatedLp(p, 'network').varNames.length * 3).toBeLessThan(toAggregatedLp(p).varNames.length);
  });
});

describe('decomposition', () => {
  it('splits fleets that share no cell into independent LPs with the same optimum', () => {
    const p = problem(
      2,
      [cluster('fra', [40, 60], 3), cluster('ams', [50, 30], 3), cluster('sfo', [20, 90], 2)],
      [
        batch('eu-1', 5, 3, { allowedClusterIds: ['fra', 'ams'] }),
        interactive('eu-2', [2, 2], 2, { allowedClusterIds: ['ams'] }),
        batch('us-1', 3, 2, { allowedClusterIds: ['sfo'] }),
      ],
    );
    const norm = normalizeProblem(p);
    const components = componentsOf(norm, aggregateJobs(norm));
    expect(components.map((c) => c.length).sort()).toEqual([1, 2]);
    const split = solvePlacement(p, { method: 'lp' });
    const whole = solvePlacement(p, { method: 'lp', decompose: false });
    expect(split.solver.stats.components).toBe(2);
    expect(split.lpBound?.totalCost).toBeCloseTo(whole.lpBound?.totalCost ?? NaN, 12);
  });
});
