import {
  cellCostPerGpuHour,
  clusterAllowed,
  jobPenalty,
  jobWindow,
  previousGpuHours,
  usableGpus,
} from './independent-rules.js';
import { addLpVariable, emptyLpModel, type LpModel } from './lp/lp-model.js';
import type { PlacementProblem } from './model.js';

/**
 * The unaggregated job-level LP of DESIGN.md, built straight from the raw input (no classes, no
 * pruning, its own reading of the rules). Used as the oracle in tests and the benchmark: its optimum
 * must equal `solvePlacement(...).lpBound.totalCost`. Feed `toLpFormat(model)` to any LP solver.
 *
 * With `wholeGpus`, the whole-GPU MIP of constraint (4) (README "Model"): integer GPUs g_jrt per cell
 * with x_jrt ≤ g_jrt·Δt, Σ_j g_jrt ≤ ⌊usable GPUs_rt⌋ and Σ_r g_jrt ≤ maxGpus_j — the model the rounded
 * schedule (`totals.totalCost`) solves heuristically; a MIP solver's best solution and bound judge it.
 */
export function toJobLevelLp(problem: PlacementProblem, opts: { wholeGpus?: boolean } = {}): LpModel {
  const model = emptyLpModel();
  const wholeGpus = opts.wholeGpus ?? false;
  if (wholeGpus) model.integerVars = [];
  const gpuRows = new Map<string, { vars: number[]; coefs: number[]; rhs: number }>();
  const T = problem.slotStartsUtc.length;
  const hours = problem.slotMinutes / 60;
  const sigma = problem.stability?.costPerGpuHourMoved ?? 0;
  const previous = previousGpuHours(problem);
  const capacity = new Map<string, { vars: number[]; coefs: number[]; rhs: number }>();

  problem.jobs.forEach((job, j) => {
    const { from, to } = jobWindow(job, T);
    const penalty = jobPenalty(problem, job);
    const xByCell = new Map<string, number>();
    const xBySlot = new Map<number, number[]>();
    const gBySlot = new Map<number, number[]>();
    problem.clusters.forEach((cluster, r) => {
      if (!clusterAllowed(job, cluster)) return;
      for (let t = from; t < to; t++) {
        if (job.kind === 'interactive' && !((job.demandGpuHours[t] ?? 0) > 0)) continue;
        const x = addLpVariable(model, `v_x_${j}_${r}_${t}`, cellCostPerGpuHour(problem, cluster, t));
        xByCell.set(`${cluster.id}|${t}`, x);
        let slot = xBySlot.get(t);
        if (!slot) xBySlot.set(t, (slot = []));
        slot.push(x);
        const key = `${r}_${t}`;
        let row = capacity.get(key);
        if (!row) capacity.set(key, (row = { vars: [], coefs: [], rhs: usableGpus(cluster, t) * hours }));
        row.vars.push(x);
        row.coefs.push(1);
        if (wholeGpus) {
          const g = addLpVariable(model, `v_g_${j}_${r}_${t}`, 0);
          model.integerVars?.push(g);
          model.rows.push({
            name: `c_w_${j}_${r}_${t}`,
            kind: 'le',
            rhs: 0,
            vars: [x, g],
            coefs: [1, -hours],
          });
          let whole = gpuRows.get(key);
          if (!whole)
            gpuRows.set(
              key,
              (whole = { vars: [], coefs: [], rhs: Math.floor(usableGpus(cluster, t) + 1e-9) }),
            );
          whole.vars.push(g);
          whole.coefs.push(1);
          gBySlot.set(t, [...(gBySlot.get(t) ?? []), g]);
        }
      }
    });
    // served + unserved = demand
    if (job.kind === 'batch') {
      const u = addLpVariable(model, `v_u_${j}`, penalty);
      const vars = [...xByCell.values(), u];
      model.rows.push({
        name: `c_d_${j}`,
        kind: 'eq',
        rhs: job.totalGpuHours,
        vars,
        coefs: vars.map(() => 1),
      });
    } else {
      for (let t = 0; t < T; t++) {
        const d = job.demandGpuHours[t] ?? 0;
        if (!(d > 0)) continue;
        const u = addLpVariable(model, `v_u_${j}_${t}`, penalty);
        const vars = [...(xBySlot.get(t) ?? []), u];
        model.rows.push({ name: `c_d_${j}_${t}`, kind: 'eq', rhs: d, vars, coefs: vars.map(() => 1) });
      }
    }
    // at most maxGpus at once
    for (const [t, vars] of xBySlot) {
      model.rows.push({
        name: `c_p_${j}_${t}`,
        kind: 'le',
        rhs: job.maxGpus * hours,
        vars,
        coefs: vars.map(() => 1),
      });
    }
    for (const [t, vars] of gBySlot) {
      model.rows.push({
        name: `c_g_${j}_${t}`,
        kind: 'le',
        rhs: job.maxGpus,
        vars,
        coefs: vars.map(() => 1),
      });
    }
    // moved GPU-hours ≥ previous − now
    for (const [key, prev] of previous.get(job.id) ?? []) {
      const x = xByCell.get(key);
      if (x === undefined) {
        model.objectiveOffset += sigma * prev;
        continue;
      }
      const y = addLpVariable(model, `v_m_${j}_${key.replace(/[^A-Za-z0-9]/g, '_')}`, sigma);
      model.rows.push({ name: `c_s_${j}_${x}`, kind: 'ge', rhs: prev, vars: [x, y], coefs: [1, 1] });
    }
  });
  for (const [key, row] of capacity) {
    model.rows.push({ name: `c_k_${key}`, kind: 'le', rhs: row.rhs, vars: row.vars, coefs: row.coefs });
  }
  for (const [key, row] of gpuRows) {
    model.rows.push({ name: `c_wk_${key}`, kind: 'le', rhs: row.rhs, vars: row.vars, coefs: row.coefs });
  }
  return model;
}
