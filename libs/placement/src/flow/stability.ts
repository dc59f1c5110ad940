import { blockingFlow, LevelGraph, searchLevels, type Admissibility } from './blocking-flow.js';
import type { SinkEdges } from './greedy.js';
import { MinHeap } from './heap.js';
import type { ResidualGraph } from './network.js';

/** A job's previous cell as an arc job-hour → cell (capacity = previous GPU-hours, cost −σ). */
export interface KeptArc {
  arc: number;
  cls: number;
  cell: number;
  gpuHours: number;
  /** The class's ordinary arcs from the same node to the same cell (link, then set-hour → cell if any). */
  ordinaryPath: number[];
}

export interface StabilityNetwork {
  graph: ResidualGraph;
  /** Cost per arc (the kept arcs' −σ, the sink arcs' cell and penalty costs, 0 elsewhere). */
  cost: Float64Array;
  /** The explicit sink T and, per node, its arc into T (−1: none). */
  sinkNode: number;
  sinkArc: number[];
  keptArcs: KeptArc[];
  eps: number;
}

/**
 * Second step with stability (see `solveByFlow`): from the greedy's optimum without kept arcs, saturate
 * the kept arcs with negative reduced cost and re-balance by primal–dual min-cost flow. Reads and
 * updates the greedy's sink edges (`sinks.left`, `sinks.flow`) and `graph.res` in place; returns the
 * number of primal–dual phases.
 */
export function restoreWithKeptArcs(net: StabilityNetwork, sinks: SinkEdges): number {
  const { graph, cost, sinkArc, keptArcs, eps } = net;
  const { n, head, res, twin, adjStart } = graph;
  // Sink edges become real arcs carrying the greedy's flow.
  for (let v = 0; v < sinkArc.length; v++) {
    const a = sinkArc[v] ?? -1;
    if (a < 0) continue;
    res[a] = sinks.left[v] ?? 0;
    res[twin[a] ?? 0] = sinks.flow[v] ?? 0;
  }
  let maxCost = 1;
  for (let a = 0; a < cost.length; a++) maxCost = Math.max(maxCost, Math.abs(cost[a] ?? 0));
  const phi = potentialsFromSinkEdges(net, maxCost);
  const admissible: Admissibility = { cost, phi, tolerance: maxCost * 1e-12 };
  const reduced = (a: number, tail: number): number =>
    (cost[a] ?? 0) + (phi[head[a] ?? 0] ?? 0) - (phi[tail] ?? 0);

  // Saturate kept arcs whose reduced cost is negative; the rest stay open at zero flow.
  const excess = new Float64Array(n);
  for (const k of keptArcs) {
    const back = twin[k.arc] ?? 0;
    const tail = head[back] ?? 0;
    if (reduced(k.arc, tail) < -admissible.tolerance) {
      res[k.arc] = 0;
      res[back] = k.gpuHours;
      // What the greedy already sends along the ordinary path to the same cell moves onto the kept arc
      // instead: the path's arcs carry flow, so both directions are residual and have reduced cost 0, and
      // cancelling along them keeps every reduced cost ≥ 0. Only the rest becomes excess and deficit.
      let moved = k.gpuHours;
      for (const a of k.ordinaryPath) moved = Math.min(moved, res[twin[a] ?? 0] ?? 0);
      if (!(moved > eps) || k.ordinaryPath.length === 0) moved = 0;
      for (const a of k.ordinaryPath) {
        if (moved === 0) break;
        res[a] = (res[a] ?? 0) + moved;
        res[twin[a] ?? 0] = (res[twin[a] ?? 0] ?? 0) - moved;
      }
      const rest = k.gpuHours - moved;
      excess[head[k.arc] ?? 0] = (excess[head[k.arc] ?? 0] ?? 0) + rest;
      excess[tail] = (excess[tail] ?? 0) - rest;
    } else {
      res[k.arc] = k.gpuHours;
      res[back] = 0;
    }
  }
  const supply = Float64Array.from(excess, (e) => Math.max(0, e));
  const room = Float64Array.from(excess, (e) => Math.max(0, -e));

  // Each phase touches only what its search reaches: the Dijkstra resets the nodes it labelled, and the
  // potentials move by a constant per phase (reduced costs only see differences), so instead of
  // φ(v) −= min(dist(v), D*) for every node, the settled nodes get φ(v) += D* − dist(v).
  const dist = new Float64Array(n).fill(Infinity);
  const settled = new Uint8Array(n);
  const labelled = new Int32Array(n);
  let labelledCount = 0;
  const settledList = new Int32Array(n);
  const sameDistance = new Int32Array(n);
  const heap = new MinHeap();
  const lg = new LevelGraph(n);
  let sources: number[] = [];
  for (let v = 0; v < n; v++) if (supply[v]! > eps) sources.push(v);
  let phases = 0;
  const sinkWindow = new SinkWindow(graph, cost, net.sinkNode, eps);
  try {
    for (;;) {
      sources = sources.filter((s) => supply[s]! > eps);
      if (sources.length === 0) break;
      phases++;
      sinkWindow.narrow();
      // Multi-source Dijkstra on reduced costs up to the first deficit distance D* (`reach`); nodes at the
      // distance just popped are settled breadth-first without the heap (most reduced costs are 0).
      for (let k = 0; k < labelledCount; k++) {
        dist[labelled[k]!] = Infinity;
        settled[labelled[k]!] = 0;
      }
      labelledCount = 0;
      heap.size = 0;
      let bound = Infinity;
      for (const s of sources) {
        dist[s] = 0;
        labelled[labelledCount++] = s;
        heap.push(0, s);
        if (room[s]! > eps) bound = 0;
      }
      let reach = Infinity;
      let settledCount = 0;
      while (heap.size > 0) {
        const first = heap.pop();
        const d = heap.lastKey;
        if (settled[first] === 1 || d > dist[first]!) continue;
        if (d > reach) break;
        let qHead = 0;
        let qTail = 0;
        sameDistance[qTail++] = first;
        settled[first] = 1;
        while (qHead < qTail) {
          const v = sameDistance[qHead++]!;
          settledList[settledCount++] = v;
          if (room[v]! > eps && reach === Infinity) reach = d;
          const phiV = phi[v]!;
          const end = adjStart[v + 1]!;
          for (let a = adjStart[v]!; a < end; a++) {
            if (!(res[a]! > eps)) continue;
            const u = head[a]!;
            if (settled[u] === 1) continue;
            const rc = cost[a]! + phi[u]! - phiV;
            const nd = rc > 0 ? d + rc : d;
            // Beyond the nearest deficit labelled so far nothing is settled this phase: not labelled.
            if (nd > bound || !(nd < dist[u]!)) continue;
            if (dist[u] === Infinity) labelled[labelledCount++] = u;
            dist[u] = nd;
            if (room[u]! > eps) bound = nd;
            if (nd === d) {
              settled[u] = 1;
              sameDistance[qTail++] = u;
            } else heap.push(nd, u);
          }
        }
      }
      if (reach === Infinity) throw new Error('stability step: an excess cannot reach any deficit');
      for (let k = 0; k < settledCount; k++) {
        const v = settledList[k]!;
        phi[v] = phi[v]! + reach - dist[v]!;
      }
      // Blocking flows from excesses to deficits on zero-reduced-cost arcs, until none is left.
      let pushed = 0;
      for (;;) {
        const starts = sources.filter((s) => (supply[s] ?? 0) > eps);
        const found = searchLevels(graph, lg, {
          direction: 'from-sources',
          starts,
          goal: room,
          excluded: null,
          admissible,
          eps,
        });
        if (found.goals.length === 0) break;
        const round = blockingFlow(graph, lg, {
          sources: starts,
          sinkLevel: found.depth,
          supply,
          room,
          absorbed: null,
          admissible,
          eps,
        });
        pushed += round.pushed;
        if (!(round.pushed > eps)) break;
      }
      if (!(pushed > eps)) throw new Error('stability step: no progress');
    }
  } finally {
    sinkWindow.widen();
  }
  // Sink flows back into the node attributes the decoder reads.
  for (let v = 0; v < sinkArc.length; v++) {
    const a = sinkArc[v] ?? -1;
    if (a < 0) continue;
    sinks.flow[v] = res[twin[a] ?? 0] ?? 0;
    sinks.left[v] = res[a] ?? 0;
  }
  return phases;
}

/**
 * Potentials φ(v) = cost of the cheapest open sink edge reachable from v by residual arcs (internal arcs
 * cost 0): exact residual distances to T after the greedy, hence reduced costs c + φ(head) − φ(tail) ≥ 0
 * on every residual arc — optimal duals of the greedy's flow. Unreachable nodes get a value above all
 * (the largest potential + `maxCost`, the largest |arc cost|).
 */
function potentialsFromSinkEdges(net: StabilityNetwork, maxCost: number): Float64Array {
  const { graph, cost, sinkNode, sinkArc, eps } = net;
  const { n, head, res, twin, adjStart } = graph;
  const phi = new Float64Array(n).fill(Infinity);
  phi[sinkNode] = 0;
  const open: number[] = [];
  for (let v = 0; v < sinkArc.length; v++) {
    const a = sinkArc[v] ?? -1;
    if (a >= 0 && (res[a] ?? 0) > eps) open.push(v);
  }
  open.sort((x, y) => (cost[sinkArc[x] ?? 0] ?? 0) - (cost[sinkArc[y] ?? 0] ?? 0));
  const queue = new Int32Array(n);
  for (const w of open) {
    if (Number.isFinite(phi[w] ?? Infinity)) continue;
    const value = cost[sinkArc[w] ?? 0] ?? 0;
    let qHead = 0;
    let qTail = 0;
    phi[w] = value;
    queue[qTail++] = w;
    while (qHead < qTail) {
      const v = queue[qHead++] ?? 0;
      for (let a = adjStart[v] ?? 0; a < (adjStart[v + 1] ?? 0); a++) {
        const u = head[a] ?? 0;
        // u → v residual (the twin of v → u), internal arcs only.
        if (u === sinkNode || Number.isFinite(phi[u] ?? Infinity) || !((res[twin[a] ?? 0] ?? 0) > eps))
          continue;
        phi[u] = value;
        queue[qTail++] = u;
      }
    }
  }
  let maxPhi = 0;
  for (let v = 0; v < n; v++)
    if (Number.isFinite(phi[v] ?? Infinity)) maxPhi = Math.max(maxPhi, Math.abs(phi[v] ?? 0));
  for (let v = 0; v < n; v++) if (!Number.isFinite(phi[v] ?? Infinity)) phi[v] = maxPhi + maxCost;
  return phi;
}

/**
 * T's arcs in the residual graph: T is the network's last node and its adjacency holds one arc back to
 * every node with a sink edge (10⁵ at 20,000 jobs), of which only those whose sink edge carries flow are
 * residual — a few thousand. Every Dijkstra and level search that reaches T (nearly every one: cells with
 * room are at distance 0 from it) would scan them all. `narrow` moves the residual ones to the front of
 * T's list (swapping arc positions, twins kept consistent) and ends T's list after them (T is last, so
 * its end is the graph's end, `adjStart[n]`); `widen` gives the list back its full length.
 *
 * Narrowed at the start of a phase, the list is exact for that phase's Dijkstra, so potentials stay dual
 * feasible on every residual arc; arcs out of T that become residual during the phase's blocking flows
 * (flow pushed into T) are only seen from the next phase on, which may leave an augmenting path for the
 * next phase to find (at distance 0), never a wrong one.
 */
export class SinkWindow {
  private readonly start: number;
  private readonly end: number;

  constructor(
    private readonly graph: ResidualGraph,
    private readonly cost: Float64Array,
    private readonly sinkNode: number,
    private readonly eps: number,
  ) {
    if (sinkNode !== graph.n - 1) throw new Error('stability step: T must be the last node');
    this.start = graph.adjStart[sinkNode]!;
    this.end = graph.adjStart[sinkNode + 1]!;
  }

  narrow(): void {
    const { head, res, twin, adjStart } = this.graph;
    const cost = this.cost;
    let w = this.start;
    for (let a = this.start; a < this.end; a++) {
      if (!(res[a]! > this.eps)) continue;
      if (a !== w) {
        // Swap arcs a and w of T's list (both leave T, both are twins: `forward` is 0 for both).
        const ta = twin[a]!;
        const tw = twin[w]!;
        const h = head[a]!;
        head[a] = head[w]!;
        head[w] = h;
        const r = res[a]!;
        res[a] = res[w]!;
        res[w] = r;
        const c = cost[a]!;
        cost[a] = cost[w]!;
        cost[w] = c;
        twin[a] = tw;
        twin[w] = ta;
        twin[tw] = a;
        twin[ta] = w;
      }
      w++;
    }
    adjStart[this.sinkNode + 1] = w;
  }

  widen(): void {
    this.graph.adjStart[this.sinkNode + 1] = this.end;
  }
}
