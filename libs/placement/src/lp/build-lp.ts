import type { ClassFlows, PlacementClass } from '../aggregate.js';
import type { NormalizedProblem } from '../normalize.js';
import { addLpVariable, emptyLpModel, type LpModel } from './lp-model.js';

/**
 * The aggregated LP of DESIGN.md over classes c, clusters r, slots t (GPU-hours):
 *
 *   min  Σ cost_rt·x_crt + Σ π_c·u_c + σ·Σ y_crt (+ σ·kept-impossible previous GPU-hours)
 *   (1) demand       batch: Σ_{r∈A_c, t∈[a_c,b_c)} x_crt + u_c = D_c;  interactive: Σ_r x_crt + u_ct = D_ct
 *   (2) capacity     Σ_c x_crt ≤ cap_rt·Δt   (power cap folded in: cap = min(GPUs, kWcap / (kW/GPU·PUE)))
 *   (3) parallelism  Σ_r x_crt ≤ M_c·Δt      (batch classes whose ratio can make it bind)
 *   (4) stability    x_crt + y_crt ≥ prev_crt (y = GPU-hours moved away from the previous schedule)
 *   (5) whole GPUs   not in the LP: the rounding step after it (round.ts) keeps (2) and (3) in whole GPUs
 *
 * The numbering is the model's everywhere (libs/placement/README.md, "Model").
 *
 * Provably safe pruning: no variable for a cell with zero capacity, or whose cost is ≥ the class
 * penalty when no stability term applies there (moving that flow to u_c never costs more).
 */
export interface BuiltLp {
  model: LpModel;
  /** Per variable: class index, cell (r·T + t) or -1 for unserved / -2 for moved, slot for interactive u. */
  varClass: Int32Array;
  varCell: Int32Array;
  varSlot: Int32Array;
}

/** Calls `visit` for every cell (r·T + t) in which the LP has an x variable for `cls`. */
function forEachClassCell(
  norm: NormalizedProblem,
  cls: PlacementClass,
  visit: (cell: number, r: number, t: number) => void,
): void {
  const T = norm.slotCount;
  for (let t = cls.windowStart; t < cls.windowEnd; t++) {
    if (cls.demandBySlot && !((cls.demandBySlot[t] ?? 0) > 0)) continue;
    for (const r of cls.allowed) {
      const cluster = norm.clusters[r];
      if (!cluster || !((cluster.capGpuHours[t] ?? 0) > 0)) continue;
      const cell = r * T + t;
      if ((cluster.costPerGpuHour[t] ?? 0) >= cls.penaltyPerGpuHour && !cls.previous?.has(cell)) continue;
      visit(cell, r, t);
    }
  }
}

/** Size of the aggregated LP without building it (for stats on the flow path). */
export function countLp(
  norm: NormalizedProblem,
  classes: PlacementClass[],
): { variables: number; constraints: number } {
  const T = norm.slotCount;
  let variables = 0;
  let constraints = 0;
  const usedCells = new Uint8Array(norm.clusters.length * T);
  const cellStamp = new Int32Array(norm.clusters.length * T).fill(-1);
  for (const cls of classes) {
    const demand = cls.demandBySlot;
    const parallelRows = cls.kind === 'batch' && Number.isFinite(cls.parallelGpuHoursPerSlot);
    for (let t = cls.windowStart; t < cls.windowEnd; t++) {
      const d = demand ? (demand[t] ?? 0) : 1;
      if (!(d > 0)) continue;
      if (demand) {
        variables += 1; // u_ct
        constraints += 1; // its demand row
      }
      let any = false;
      for (const r of cls.allowed) {
        const cluster = norm.clusters[r];
        if (!cluster || !((cluster.capGpuHours[t] ?? 0) > 0)) continue;
        const cell = r * T + t;
        if ((cluster.costPerGpuHour[t] ?? 0) >= cls.penaltyPerGpuHour && !cls.previous?.has(cell)) continue;
        variables += 1;
        usedCells[cell] = 1;
        cellStamp[cell] = cls.index;
        any = true;
      }
      if (any && parallelRows) constraints += 1;
    }
    if (!demand) {
      variables += 1; // u_c
      constraints += 1; // its demand row
    }
    if (cls.previous && norm.stabilityCostPerGpuHour > 0) {
      for (const cell of cls.previous.keys()) {
        if (cellStamp[cell] !== cls.index) continue;
        variables += 1; // moved y_crt
        constraints += 1; // its stability row
      }
    }
  }
  for (const used of usedCells) constraints += used;
  return { variables, constraints };
}

/** Splits classes into independent groups: two classes are linked when they can use the same cell. */
export function componentsOf(norm: NormalizedProblem, classes: PlacementClass[]): PlacementClass[][] {
  const parent = classes.map((_c, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] ?? root;
    while (parent[i] !== root) {
      const next = parent[i] ?? root;
      parent[i] = root;
      i = next;
    }
    return root;
  };
  const owner = new Int32Array(norm.clusters.length * norm.slotCount).fill(-1);
  for (const cls of classes) {
    forEachClassCell(norm, cls, (cell) => {
      const o = owner[cell] ?? -1;
      if (o < 0) owner[cell] = cls.index;
      else {
        const a = find(o);
        const b = find(cls.index);
        if (a !== b) parent[a] = b;
      }
    });
  }
  const groups = new Map<number, PlacementClass[]>();
  for (const cls of classes) {
    const root = find(cls.index);
    let group = groups.get(root);
    if (!group) groups.set(root, (group = []));
    group.push(cls);
  }
  return [...groups.values()];
}

/** Builds the aggregated LP for a set of classes (a component or all of them). Pure. */
export function buildAggregatedLp(norm: NormalizedProblem, classes: PlacementClass[]): BuiltLp {
  const T = norm.slotCount;
  const model = emptyLpModel();
  const varClass: number[] = [];
  const varCell: number[] = [];
  const varSlot: number[] = [];
  const addVar = (name: string, cost: number, c: number, cell: number, slot: number): number => {
    varClass.push(c);
    varCell.push(cell);
    varSlot.push(slot);
    return addLpVariable(model, name, cost);
  };
  const capacityRows = new Map<number, { vars: number[]; coefs: number[] }>();
  const sigma = norm.stabilityCostPerGpuHour;

  for (const cls of classes) {
    const c = cls.index;
    const xByCell = new Map<number, number>();
    const bySlot = new Map<number, number[]>();
    forEachClassCell(norm, cls, (cell, r, t) => {
      const cost = norm.clusters[r]?.costPerGpuHour[t] ?? 0;
      const v = addVar(`v_x_${c}_${r}_${t}`, cost, c, cell, t);
      xByCell.set(cell, v);
      let slotVars = bySlot.get(t);
      if (!slotVars) bySlot.set(t, (slotVars = []));
      slotVars.push(v);
      let cap = capacityRows.get(cell);
      if (!cap) capacityRows.set(cell, (cap = { vars: [], coefs: [] }));
      cap.vars.push(v);
      cap.coefs.push(1);
    });
    // (1) demand
    if (cls.kind === 'batch') {
      const u = addVar(`v_u_${c}`, cls.penaltyPerGpuHour, c, -1, -1);
      const vars = [...xByCell.values(), u];
      model.rows.push({
        name: `c_d_${c}`,
        kind: 'eq',
        rhs: cls.demandGpuHours,
        vars,
        coefs: vars.map(() => 1),
      });
      // (3) parallelism
      if (Number.isFinite(cls.parallelGpuHoursPerSlot)) {
        for (const [t, slotVars] of bySlot) {
          model.rows.push({
            name: `c_p_${c}_${t}`,
            kind: 'le',
            rhs: cls.parallelGpuHoursPerSlot,
            vars: slotVars,
            coefs: slotVars.map(() => 1),
          });
        }
      }
    } else {
      const demand = cls.demandBySlot ?? new Float64Array(T);
      for (let t = 0; t < T; t++) {
        const d = demand[t] ?? 0;
        if (!(d > 0)) continue;
        const u = addVar(`v_u_${c}_${t}`, cls.penaltyPerGpuHour, c, -1, t);
        const vars = [...(bySlot.get(t) ?? []), u];
        model.rows.push({ name: `c_d_${c}_${t}`, kind: 'eq', rhs: d, vars, coefs: vars.map(() => 1) });
      }
    }
    // (4) stability
    if (cls.previous && sigma > 0) {
      for (const [cell, prevGpuHours] of cls.previous) {
        const x = xByCell.get(cell);
        if (x === undefined) {
          // The job cannot stay in that cell (not allowed, outside the window, no capacity): all moved.
          model.objectiveOffset += sigma * prevGpuHours;
          continue;
        }
        const r = Math.floor(cell / T);
        const t = cell % T;
        const y = addVar(`v_m_${c}_${r}_${t}`, sigma, c, -2, t);
        model.rows.push({
          name: `c_s_${c}_${r}_${t}`,
          kind: 'ge',
          rhs: prevGpuHours,
          vars: [x, y],
          coefs: [1, 1],
        });
      }
    }
  }
  // (2) capacity
  const cells = [...capacityRows.keys()].sort((a, b) => a - b);
  for (const cell of cells) {
    const row = capacityRows.get(cell);
    if (!row) continue;
    const r = Math.floor(cell / T);
    const t = cell % T;
    const capacity = norm.clusters[r]?.capGpuHours[t] ?? 0;
    model.rows.push({ name: `c_k_${r}_${t}`, kind: 'le', rhs: capacity, vars: row.vars, coefs: row.coefs });
  }
  return {
    model,
    varClass: Int32Array.from(varClass),
    varCell: Int32Array.from(varCell),
    varSlot: Int32Array.from(varSlot),
  };
}

/** Reads class flows out of LP values. */
export function flowsFromLp(
  built: BuiltLp,
  values: ArrayLike<number>,
  flows: ClassFlows,
  minGpuHours = 0,
): void {
  for (let v = 0; v < built.varCell.length; v++) {
    const value = values[v] ?? 0;
    if (!(value > minGpuHours)) continue;
    const c = built.varClass[v] ?? 0;
    const cell = built.varCell[v] ?? -1;
    if (cell >= 0) {
      flows.cells[c]?.push(cell);
      flows.gpuHours[c]?.push(value);
    } else if (cell === -1) {
      const slot = built.varSlot[v] ?? -1;
      const bySlot = flows.unservedBySlot[c];
      if (slot >= 0 && bySlot) bySlot[slot] = (bySlot[slot] ?? 0) + value;
      else flows.unserved[c] = (flows.unserved[c] ?? 0) + value;
    }
  }
}

/** Empty class flows for `classCount` classes. */
export function emptyFlows(classes: PlacementClass[], slotCount: number): ClassFlows {
  return {
    cells: classes.map(() => []),
    gpuHours: classes.map(() => []),
    unserved: classes.map(() => 0),
    unservedBySlot: classes.map((c) => (c.kind === 'interactive' ? new Float64Array(slotCount) : null)),
  };
}

/**
 * The aggregated LP in network form, for external solvers (the benchmark's HiGHS reference): instead of
 * one variable per (class, cell) it has one per (class, slot) flowing into a shared set-hour node per
 * (allowed set, slot), and one per (set-hour, cell). Exactly the same optimum as `buildAggregatedLp`
 * when no cost depends on the job (no stability term), with far fewer variables:
 *
 *   min Σ cost_rt·y_{A,t,r} + Σ π_c·u_c
 *   demand        Σ_t f_ct + u_c = D_c (batch);  f_ct + u_ct = D_ct (interactive)
 *   parallelism   f_ct ≤ M_c·Δt
 *   conservation  Σ_{c: A_c = A} f_ct = Σ_r y_{A,t,r}
 *   capacity      Σ_A y_{A,t,r} ≤ cap_rt·Δt
 */
export function buildNetworkLp(norm: NormalizedProblem, classes: PlacementClass[]): LpModel {
  const T = norm.slotCount;
  const model = emptyLpModel();
  const setHours = new Map<string, { inVars: number[]; outVars: number[] }>();
  const capacity = new Map<number, number[]>();
  let setCount = 0;
  const setIds = new Map<string, number>();
  const setHour = (allowed: number[], t: number) => {
    const usable = allowed.filter((r) => (norm.clusters[r]?.capGpuHours[t] ?? 0) > 0);
    if (usable.length === 0) return null;
    const setKey = usable.join(',');
    let id = setIds.get(setKey);
    if (id === undefined) setIds.set(setKey, (id = setCount++));
    const key = `${id}_${t}`;
    let node = setHours.get(key);
    if (!node) {
      node = { inVars: [], outVars: [] };
      setHours.set(key, node);
      for (const r of usable) {
        const cell = r * T + t;
        const y = addLpVariable(model, `v_y_${key}_${r}`, norm.clusters[r]?.costPerGpuHour[t] ?? 0);
        node.outVars.push(y);
        let cap = capacity.get(cell);
        if (!cap) capacity.set(cell, (cap = []));
        cap.push(y);
      }
    }
    return node;
  };
  for (const cls of classes) {
    const c = cls.index;
    const demandVars: number[] = [];
    for (let t = cls.windowStart; t < cls.windowEnd; t++) {
      const d = cls.demandBySlot ? (cls.demandBySlot[t] ?? 0) : 1;
      if (!(d > 0)) continue;
      const node = setHour(cls.allowed, t);
      const slotVars: number[] = [];
      if (node) {
        const f = addLpVariable(model, `v_f_${c}_${t}`, 0);
        node.inVars.push(f);
        slotVars.push(f);
        if (cls.kind === 'batch' && Number.isFinite(cls.parallelGpuHoursPerSlot)) {
          model.rows.push({
            name: `c_p_${c}_${t}`,
            kind: 'le',
            rhs: cls.parallelGpuHoursPerSlot,
            vars: [f],
            coefs: [1],
          });
        }
      }
      if (cls.demandBySlot) {
        const u = addLpVariable(model, `v_u_${c}_${t}`, cls.penaltyPerGpuHour);
        const vars = [...slotVars, u];
        model.rows.push({ name: `c_d_${c}_${t}`, kind: 'eq', rhs: d, vars, coefs: vars.map(() => 1) });
      } else demandVars.push(...slotVars);
    }
    if (!cls.demandBySlot) {
      const u = addLpVariable(model, `v_u_${c}`, cls.penaltyPerGpuHour);
      const vars = [...demandVars, u];
      model.rows.push({
        name: `c_d_${c}`,
        kind: 'eq',
        rhs: cls.demandGpuHours,
        vars,
        coefs: vars.map(() => 1),
      });
    }
  }
  for (const [key, node] of setHours) {
    const vars = [...node.inVars, ...node.outVars];
    const coefs = [...node.inVars.map(() => 1), ...node.outVars.map(() => -1)];
    model.rows.push({ name: `c_n_${key}`, kind: 'eq', rhs: 0, vars, coefs });
  }
  for (const [cell, vars] of capacity) {
    const r = Math.floor(cell / T);
    const t = cell % T;
    model.rows.push({
      name: `c_k_${r}_${t}`,
      kind: 'le',
      rhs: norm.clusters[r]?.capGpuHours[t] ?? 0,
      vars,
      coefs: vars.map(() => 1),
    });
  }
  return model;
}
