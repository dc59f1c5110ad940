/**
 * A flow network in residual form, the data structure every flow routine of this folder works on.
 *
 * Arcs come in pairs: arc 2k is u → v and arc 2k+1 its residual twin v → u with the negated cost, so
 * `a ^ 1` is an arc's twin here (`twin[a]` once frozen). The residual capacity `res[a]` is what can
 * still be pushed along a; the flow on a forward arc is the residual capacity of its twin. Pushing x
 * along a is `res[a] -= x; res[twin] += x`.
 */
export class NetworkBuilder {
  /** Per arc: the node it enters, the node it leaves, its capacity and its cost per unit of flow. */
  readonly heads: number[] = [];
  readonly tails: number[] = [];
  readonly caps: number[] = [];
  readonly costs: number[] = [];
  nodeCount = 0;

  addNode(): number {
    return this.nodeCount++;
  }

  /** Adds arc u → v (id 2k) and its residual twin v → u (id 2k+1, cost −cost); returns 2k. */
  addArc(u: number, v: number, capacity: number, cost = 0): number {
    const id = this.heads.length;
    this.heads.push(v, u);
    this.tails.push(u, v);
    this.caps.push(capacity, 0);
    this.costs.push(cost, -cost);
    return id;
  }
}

/**
 * The network frozen for the algorithms: arcs renumbered by the node they leave, so the arcs leaving
 * node v (forward arcs and residual twins alike) are the positions `adjStart[v] .. adjStart[v + 1]` and
 * a search reads `head` and `twin` sequentially. Arc a's twin is `twin[a]` (the builder's `a ^ 1`), its
 * flow `res[twin[a]]`; `position` maps a builder arc id to its position here.
 */
export interface ResidualGraph {
  n: number;
  /** Node each arc enters. The node it leaves is `head[twin[a]]`. */
  head: Int32Array;
  /** Residual capacity per arc (see `NetworkBuilder`). */
  res: Float64Array;
  twin: Int32Array;
  adjStart: Int32Array;
  position: Int32Array;
}

/** Freezes `net` into a `ResidualGraph` with residual capacities = capacities (no flow yet). */
export function freezeNetwork(net: NetworkBuilder): ResidualGraph {
  const n = net.nodeCount;
  const m = net.heads.length;
  const adjStart = new Int32Array(n + 1);
  for (const tail of net.tails) adjStart[tail + 1] = (adjStart[tail + 1] ?? 0) + 1;
  for (let v = 0; v < n; v++) adjStart[v + 1] = (adjStart[v + 1] ?? 0) + (adjStart[v] ?? 0);
  const fill = adjStart.slice(0, n);
  const position = new Int32Array(m);
  net.tails.forEach((tail, a) => {
    position[a] = fill[tail] ?? 0;
    fill[tail] = (fill[tail] ?? 0) + 1;
  });
  const head = new Int32Array(m);
  const res = new Float64Array(m);
  const twin = new Int32Array(m);
  for (let a = 0; a < m; a++) {
    const p = position[a] ?? 0;
    head[p] = net.heads[a] ?? 0;
    res[p] = net.caps[a] ?? 0;
    twin[p] = position[a ^ 1] ?? 0;
  }
  return { n, head, res, twin, adjStart, position };
}

/** Per-arc values of the builder (e.g. costs) in the frozen graph's arc order. */
export function byPosition(graph: ResidualGraph, values: readonly number[]): Float64Array {
  const out = new Float64Array(values.length);
  values.forEach((value, a) => (out[graph.position[a] ?? 0] = value));
  return out;
}
