import { describe, expect, it } from 'vitest';
import { aggregateJobs } from '../aggregate.js';
import { generateProblem, seededRandom } from '../bench-fixtures/generate.js';
import type { PlacementProblem } from '../model.js';
import { normalizeProblem } from '../normalize.js';
import { solvePlacement } from '../solve.js';
import { expectValid, oracleObjective, relGap } from '../test-support.js';
import { byPosition, freezeNetwork, NetworkBuilder, type ResidualGraph } from './network.js';
import { solveByFlow } from './solve-by-flow.js';
import { SinkWindow } from './stability.js';

/** Every arc as (tail, head, residual, cost), sorted: what a renumbering of arcs must preserve. */
function arcSet(g: ResidualGraph, cost: Float64Array): string[] {
  const arcs: string[] = [];
  for (let v = 0; v < g.n; v++)
    for (let a = g.adjStart[v]!; a < g.adjStart[v + 1]!; a++)
      arcs.push(`${v}>${g.head[a]} r${g.res[a]} c${cost[a]} t${g.head[g.twin[a]!]}`);
  return arcs.sort();
}

describe('SinkWindow (T’s residual arcs first, the rest out of the searches’ sight)', () => {
  // Six nodes with a sink edge into T (the last node); flow on the sink edges of 1, 3 and 4 only, so
  // T → 1, T → 3, T → 4 are T's residual arcs and T → 0, 2, 5 are not.
  function network() {
    const net = new NetworkBuilder();
    for (let v = 0; v < 7; v++) net.addNode();
    const T = 6;
    const sinkArcs = [0, 1, 2, 3, 4, 5].map((v) => net.addArc(v, T, 10, 0.1 * (v + 1)));
    net.addArc(0, 1, Infinity);
    net.addArc(2, 3, 5);
    const g = freezeNetwork(net);
    const cost = byPosition(g, net.costs);
    for (const [v, f] of [
      [1, 4],
      [3, 1e-3],
      [4, 10],
    ] as const) {
      const a = g.position[sinkArcs[v]!]!;
      g.res[a] = 10 - f;
      g.res[g.twin[a]!] = f;
    }
    return { g, cost, T };
  }

  it('narrows T’s list to its residual arcs, keeps every arc, its twin and its cost, and widens back', () => {
    const { g, cost, T } = network();
    const before = arcSet(g, cost);
    const end = g.adjStart[T + 1]!;
    const window = new SinkWindow(g, cost, T, 1e-9);
    window.narrow();
    const seen = [];
    for (let a = g.adjStart[T]!; a < g.adjStart[T + 1]!; a++) seen.push(g.head[a]);
    expect(seen.sort()).toEqual([1, 3, 4]);
    window.widen();
    expect(g.adjStart[T + 1]).toBe(end);
    expect(arcSet(g, cost)).toEqual(before);
    for (let a = 0; a < g.head.length; a++) expect(g.twin[g.twin[a]!]).toBe(a);
    // Narrowed again after flow moved (T → 4 emptied, T → 5 now carries flow): the window follows.
    const at = (v: number) => {
      for (let a = g.adjStart[T]!; a < end; a++) if (g.head[a] === v) return a;
      return -1;
    };
    g.res[g.twin[at(4)]!] = 10;
    g.res[at(4)] = 0;
    g.res[at(5)] = 2;
    g.res[g.twin[at(5)]!] = 8;
    window.narrow();
    const again = [];
    for (let a = g.adjStart[T]!; a < g.adjStart[T + 1]!; a++) again.push(g.head[a]);
    expect(again.sort()).toEqual([1, 3, 5]);
    window.widen();
    for (let a = 0; a < g.head.length; a++) expect(g.twin[g.twin[a]!]).toBe(a);
  });

  it('refuses a network whose T is not the last node (its list would not end the arrays)', () => {
    const net = new NetworkBuilder();
    net.addNode();
    net.addNode();
    net.addArc(1, 0, 1, 1);
    const g = freezeNetwork(net);
    expect(() => new SinkWindow(g, byPosition(g, net.costs), 0, 1e-9)).toThrow(/last node/);
  });
});

/** The benchmark's re-plan at a small size: its own schedule as previous, prices ±10 % (seeded), σ 0.05. */
function benchReplan(jobs: number, clusters: number, seed: number): PlacementProblem {
  const base = generateProblem({ jobs, clusters, slots: 24, seed });
  const previous = solvePlacement(base, { explain: false, baselines: false }).placements;
  const random = seededRandom(seed + 1);
  const p = structuredClone(base);
  for (const c of p.clusters) c.pricePerMwh = c.pricePerMwh.map((v) => v * (1 + 0.1 * (2 * random() - 1)));
  p.stability = { costPerGpuHourMoved: 0.05, previous: previous.filter((x) => x.gpus > 0) };
  return p;
}

// The bench row's scenario (issue 17, target 3) at a size HiGHS solves in seconds: many primal–dual
// phases, so T's list is narrowed and flow pushed into and out of T many times over.
describe('the benchmark’s re-plan scenario against HiGHS', () => {
  it.each([
    { jobs: 200, clusters: 10, seed: 31 },
    { jobs: 400, clusters: 12, seed: 32 },
  ])('$jobs jobs × $clusters × 24, seed $seed', async ({ jobs, clusters, seed }) => {
    const p = benchReplan(jobs, clusters, seed);
    const norm = normalizeProblem(p);
    const { stats } = solveByFlow(norm, aggregateJobs(norm));
    expect(stats.stabilityPhases).toBeGreaterThan(10);
    const result = solvePlacement(p, { explain: false });
    expect(result.solver.name).toBe('polymatroid-flow+primal-dual');
    expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(1e-9);
    expectValid(p, result);
  });
});
