import { aggregateJobs, splitToJobs, type ClassFlows, type PlacementClass } from '../aggregate.js';
import type { NormalizedProblem } from '../normalize.js';
import { runGreedyPhases } from './greedy.js';
import type { GreedyCounts, SinkEdges } from './greedy.js';
import { byPosition, freezeNetwork, type ResidualGraph } from './network.js';
import {
  buildPlacementNetwork,
  decodeClassFlows,
  toPositions,
  type ClassLink,
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
  const greedy =
    pn.sinkNode >= 0
      ? optimumWithoutKeptArcs(norm, classes, pn, { graph, sinks, supplyLeft, eps })
      : runGreedyPhases(graph, sinks, supplyLeft, eps);
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

/**
 * The stability step starts from an optimum of the network with its kept arcs closed, i.e. of the problem
 * without stability. That problem aggregates much further than this network, where every job with a
 * previous schedule is its own class (19,925 classes instead of 5,781 at 20,000 jobs), and the greedy's
 * level searches cost in proportion to the network: so the greedy runs on the exact classes of the jobs
 * with a previous schedule (previous ignored) plus this network's other classes unchanged, the flows
 * are split to those jobs (`splitToJobs`, job-feasible) and laid onto their singleton classes here. The
 * result has the aggregated optimum's cost, which equals this network's optimum without kept arcs
 * (exact aggregation), so it is an optimum of it, as the greedy's would be. Updates `graph.res`, `sinks`
 * and `supplyLeft` (all drained: what is not placed goes to the unserved edges) in place.
 */
function optimumWithoutKeptArcs(
  norm: NormalizedProblem,
  classes: PlacementClass[],
  pn: PlacementNetwork,
  state: { graph: ResidualGraph; sinks: SinkEdges; supplyLeft: Float64Array; eps: number },
): GreedyCounts {
  const { graph, sinks, supplyLeft, eps } = state;
  const plainNorm: NormalizedProblem = {
    ...norm,
    stabilityCostPerGpuHour: 0,
    jobs: norm.jobs.map((job) => (job.previous === null ? job : { ...job, previous: null })),
  };
  const hadPrevious = (index: number) => norm.jobs[index]!.previous !== null;
  const plainClasses = aggregateJobs(plainNorm, true, (job) => hadPrevious(job.index));
  const grouped = plainClasses.length;
  // Classes without a previous schedule are the same in both networks: carried over as they are.
  const carried = classes.filter((cls) => cls.previous === null);
  carried.forEach((cls, k) => plainClasses.push({ ...cls, index: grouped + k }));
  const plain = buildPlacementNetwork(plainNorm, plainClasses);
  const plainGraph = freezeNetwork(plain.net);
  toPositions(plain, plainGraph);
  const plainSinks: SinkEdges = {
    cost: Float64Array.from(plain.sinkCost),
    left: Float64Array.from(plain.sinkCap),
    flow: new Float64Array(plainGraph.n),
  };
  const counts = runGreedyPhases(plainGraph, plainSinks, Float64Array.from(plain.supply), eps);
  const { flows } = decodeClassFlows(plainNorm, plainClasses, plain, {
    graph: plainGraph,
    sinkFlow: plainSinks.flow,
    eps,
  });
  const jobFlows = splitToJobs(plainNorm, plainClasses.slice(0, grouped), flows);

  const T = norm.slotCount;
  const linkAt = new Map<number, ClassLink>();
  for (const link of pn.links) linkAt.set(link.cls * T + link.slot, link);
  const cellCount = norm.clusters.length * T;
  const outArc = new Map<number, number>();
  for (const [setHour, outs] of pn.setHourOut)
    for (const o of outs) outArc.set(setHour * cellCount + o.cell, o.arc);
  const { res, twin } = graph;
  const push = (a: number, x: number) => {
    res[a] = res[a]! - x;
    res[twin[a]!] = res[twin[a]!]! + x;
  };
  const place = (cls: number, cell: number, gpuHours: number) => {
    const link = linkAt.get(cls * T + (cell % T));
    const cellNode = pn.cellNode[cell]!;
    if (link === undefined || cellNode < 0) throw new Error('stability step: a class flow has no arc here');
    let x = Math.min(gpuHours, supplyLeft[link.source]!, sinks.left[cellNode]!);
    if (link.parallelArc >= 0) x = Math.min(x, res[link.parallelArc]!);
    if (!(x > 0)) return;
    supplyLeft[link.source] = supplyLeft[link.source]! - x;
    if (link.parallelArc >= 0) push(link.parallelArc, x);
    push(link.arc, x);
    if (link.setHour >= 0) {
      const a = outArc.get(link.setHour * cellCount + cell);
      if (a === undefined) throw new Error('stability step: a class flow has no arc here');
      push(a, x);
    }
    sinks.left[cellNode] = sinks.left[cellNode]! - x;
    sinks.flow[cellNode] = sinks.flow[cellNode]! + x;
  };
  let k = 0;
  for (const cls of classes) {
    if (cls.previous === null) {
      const from = grouped + k++;
      const cells = flows.cells[from]!;
      const gpuHours = flows.gpuHours[from]!;
      for (let e = 0; e < cells.length; e++) place(cls.index, cells[e]!, gpuHours[e]!);
    } else for (const j of cls.members) for (const [cell, x] of jobFlows[j]!) place(cls.index, cell, x);
  }
  // What is left of each supply is unserved, as in the greedy (whose last sink edges are the penalties).
  for (const { node } of pn.classSinkNodes) {
    const left = supplyLeft[node]!;
    if (!(left > 0)) continue;
    sinks.flow[node] = sinks.flow[node]! + left;
    sinks.left[node] = sinks.left[node]! - left;
    supplyLeft[node] = 0;
  }
  return counts;
}
