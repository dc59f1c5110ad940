import type { ClassFlows, PlacementClass } from '../aggregate.js';
import type { NormalizedProblem } from '../normalize.js';
import { runGreedyPhases } from './greedy.js';
import { byPosition, freezeNetwork } from './network.js';
import { buildPlacementNetwork, decodeClassFlows, toPositions } from './placement-network.js';
import { restoreWithKeptArcs } from './stability.js';

/**
 * Exact solver for the aggregated LP when a cell's cost per GPU-hour is the same for every job
 * (DESIGN.md "Structure worth exploiting"). Files of this folder, one responsibility each:
 *
 * - `placement-network.ts` — the network (GPU-hours): S → class c (demand D_c) → class-hour (c,t)
 *   (parallelism M_c·Δt) → set-hour (A_c,t) → cell (r,t) → T (capacity, cost p_rt); and c → T (unserved,
 *   cost π_c). Classes with the same allowed set share set-hour nodes, which keeps the network small.
 * - `greedy.ts` — costs sit only on edges into T, so the vectors of flow on those edges form a
 *   polymatroid and the greedy is optimal: open sink edges cheapest first (equal costs together) and
 *   push as much flow as possible into them by augmenting paths that never pass through T, i.e. never
 *   reduce flow already on cheaper sink edges.
 * - `blocking-flow.ts` — the one augmentation routine both steps use: a breadth-first level graph of
 *   shortest augmenting paths, then Dinic's blocking flow on it.
 * - `stability.ts` — stability (job-specific costs) makes it a general min-cost flow: a job's previous
 *   cell gets a "kept" arc (job-hour → cell, capacity = previous GPU-hours, cost −σ), plus the constant
 *   σ·Σ previous. Solved exactly in two steps: the greedy without kept arcs, then node potentials (each
 *   node's cheapest reachable open sink edge — optimal duals of the greedy's flow), saturation of the
 *   kept arcs with negative reduced cost, and a primal–dual min-cost flow (multi-source Dijkstra on
 *   reduced costs, then blocking flows on the zero-reduced-cost arcs, repeated) that routes the
 *   resulting excesses to the deficits. That restores optimality with the kept arcs in place.
 */
export interface FlowStats {
  nodes: number;
  arcs: number;
  phases: number;
  rounds: number;
  augmentations: number;
  /** Primal–dual phases of the stability step (0 without stability) and its time. */
  stabilityPhases: number;
  stabilityMs: number;
  buildMs: number;
  solveMs: number;
}

/** Solves the aggregated problem exactly by the polymatroid greedy (+ primal–dual with stability); returns class flows. Pure. */
export function solveByFlow(
  norm: NormalizedProblem,
  classes: PlacementClass[],
): { flows: ClassFlows; objective: number; stats: FlowStats } {
  const buildStart = performance.now();
  const pn = buildPlacementNetwork(norm, classes);
  const graph = freezeNetwork(pn.net);
  toPositions(pn, graph);
  // The greedy runs without kept arcs and without T as a node: both closed.
  for (const k of pn.keptArcs) graph.res[k.arc] = 0;
  for (const a of pn.sinkArc) if (a >= 0) graph.res[a] = 0;
  const supplyLeft = Float64Array.from(pn.supply);
  const sinks = {
    cost: Float64Array.from(pn.sinkCost),
    left: Float64Array.from(pn.sinkCap),
    flow: new Float64Array(graph.n),
  };
  let scale = 1;
  for (const s of pn.supply) scale = Math.max(scale, s);
  for (const c of pn.sinkCap) if (Number.isFinite(c)) scale = Math.max(scale, c);
  const eps = scale * 1e-13;

  const solveStart = performance.now();
  const greedy = runGreedyPhases(graph, sinks, supplyLeft, eps);
  const stats: FlowStats = {
    nodes: graph.n,
    arcs: graph.head.length / 2,
    ...greedy,
    stabilityPhases: 0,
    stabilityMs: 0,
    buildMs: solveStart - buildStart,
    solveMs: 0,
  };
  if (pn.sinkNode >= 0) {
    const stabilityStart = performance.now();
    stats.stabilityPhases = restoreWithKeptArcs(
      {
        graph,
        cost: byPosition(graph, pn.net.costs),
        sinkNode: pn.sinkNode,
        sinkArc: pn.sinkArc,
        keptArcs: pn.keptArcs,
        eps,
      },
      sinks,
    );
    stats.stabilityMs = performance.now() - stabilityStart;
  }
  const decoded = decodeClassFlows(norm, classes, pn, { graph, sinkFlow: sinks.flow, eps });
  stats.solveMs = performance.now() - solveStart;
  return { ...decoded, stats };
}
