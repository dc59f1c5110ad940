import type { ClassFlows, PlacementClass } from '../aggregate.js';
import type { NormalizedProblem } from '../normalize.js';
import { runGreedyPhases } from './greedy.js';
import type { SinkEdges } from './greedy.js';
import { byPosition, freezeNetwork, type ResidualGraph } from './network.js';
import {
  buildPlacementNetwork,
  decodeClassFlows,
  toPositions,
  type PlacementNetwork,
} from './placement-network.js';
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
 *
 * This file also continues a solved network to rounding's whole-GPU problem (`continueToWholeGpus`).
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

export interface FlowSolution {
  flows: ClassFlows;
  objective: number;
  stats: FlowStats;
  /**
   * The whole-GPU re-solve of rounding, warm-started from this optimum (see `continueToWholeGpus`).
   * Call at most once.
   */
  wholeGpus: (whole: NormalizedProblem, wholeClasses: PlacementClass[]) => ClassFlows;
}

/** Solves the aggregated problem exactly by the polymatroid greedy (+ primal–dual with stability); returns class flows. Pure. */
export function solveByFlow(norm: NormalizedProblem, classes: PlacementClass[]): FlowSolution {
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
  let used = false;
  const wholeGpus = (whole: NormalizedProblem, wholeClasses: PlacementClass[]): ClassFlows => {
    if (used) throw new Error('solveByFlow: the whole-GPU continuation runs once');
    used = true;
    // With stability T is a node again: closed, so the greedy's paths never pass through it (the sink
    // edges keep their flow in `sinks`).
    for (const a of pn.sinkArc) {
      if (a < 0) continue;
      graph.res[a] = 0;
      graph.res[graph.twin[a]!] = 0;
    }
    continueToWholeGpus(whole, wholeClasses, pn, { graph, sinks, supplyLeft, eps });
    return decodeClassFlows(whole, wholeClasses, pn, { graph, sinkFlow: sinks.flow, eps }).flows;
  };
  return { ...decoded, stats, wholeGpus };
}

/**
 * Rounding's whole-GPU problem differs from the LP only in lower cell capacities (whole GPUs × Δt) and
 * higher interactive demand (each job's per-slot demand rounded up to whole GPUs); classes and network
 * are the same. Instead of a second greedy from scratch this continues from the LP's optimal flow:
 * flow above a cell's new capacity is taken back along the arcs that carry it to the classes it came
 * from (their supply again), the extra interactive demand becomes supply, and the greedy runs once
 * more on the residual network — augmenting paths may re-route flow between classes and cells, as
 * in the first run, but never take flow off a sink edge (nor, with stability, off a kept arc: kept flow
 * is taken back only where a cell has too little else). Touches only the little flow that changed:
 * the searches that find no supply mark their nodes dead, so most of the network is passed over
 * once. Updates the graph and sink edges in place. Like the re-solve it replaces, it feeds a
 * heuristic (whole GPUs); the LP optimum itself is untouched.
 */
function continueToWholeGpus(
  whole: NormalizedProblem,
  wholeClasses: PlacementClass[],
  pn: PlacementNetwork,
  state: { graph: ResidualGraph; sinks: SinkEdges; supplyLeft: Float64Array; eps: number },
): void {
  const { graph, sinks, supplyLeft, eps } = state;
  const { head, res, twin, forward, adjStart } = graph;
  const T = whole.slotCount;
  const isSource = Uint8Array.from(pn.supply, (s) => (s > 0 ? 1 : 0));
  // Kept arcs (stability) by the twin that leaves their cell: taken back from last.
  const keptTwin = new Uint8Array(res.length);
  for (const k of pn.keptArcs) keptTwin[twin[k.arc]!] = 1;
  // Takes `amount` of the flow entering v back to the sources it came from; returns what it took.
  const retract = (v: number, amount: number, kept: boolean): number => {
    let taken = 0;
    for (let a = adjStart[v]!; a < adjStart[v + 1]! && amount - taken > eps; a++) {
      // A twin leaving v with residual capacity = flow on the arc u → v.
      if (forward[a] === 1 || !(res[a]! > eps) || (keptTwin[a] === 1 && !kept)) continue;
      const u = head[a]!;
      const want = Math.min(amount - taken, res[a]!);
      const got = isSource[u] === 1 ? want : retract(u, want, kept);
      if (isSource[u] === 1) supplyLeft[u] = supplyLeft[u]! + got;
      res[a] = res[a]! - got;
      res[twin[a]!] = res[twin[a]!]! + got;
      taken += got;
    }
    return taken;
  };
  whole.clusters.forEach((cluster, r) => {
    for (let t = 0; t < T; t++) {
      const v = pn.cellNode[r * T + t]!;
      if (v < 0) continue;
      const cap = cluster.capGpuHours[t]!;
      for (const kept of [false, true]) {
        const over = sinks.flow[v]! - cap;
        if (over > eps) sinks.flow[v] = sinks.flow[v]! - retract(v, over, kept);
      }
      sinks.left[v] = Math.max(0, cap - sinks.flow[v]!);
    }
  });
  for (const { cls, slot, node } of pn.classSinkNodes) {
    if (slot < 0) continue;
    const extra = (wholeClasses[cls]?.demandBySlot?.[slot] ?? 0) - pn.supply[node]!;
    if (extra > 0) supplyLeft[node] = supplyLeft[node]! + extra;
  }
  // The greedy prices no kept arc, so they are closed while it runs and keep their flow.
  const keptFlow = pn.keptArcs.map((k) => [res[k.arc]!, res[twin[k.arc]!]!] as const);
  for (const k of pn.keptArcs) res[k.arc] = res[twin[k.arc]!] = 0;
  runGreedyPhases(graph, sinks, supplyLeft, eps);
  pn.keptArcs.forEach((k, i) => {
    res[k.arc] = keptFlow[i]![0];
    res[twin[k.arc]!] = keptFlow[i]![1];
  });
}
