/**
 * A flow network in residual form, the data structure every flow routine of this folder works on.
 *
 * Arcs come in pairs: arc 2k is u → v and arc 2k+1 its residual twin v → u with the negated cost, so
 * `a ^ 1` is an arc's twin. The residual capacity `res[a]` is what can still be pushed along a; the
 * flow on a forward arc is the residual capacity of its twin (`res[a ^ 1]`). Pushing x along a is
 * `res[a] -= x; res[a ^ 1] += x`.
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
 * The network frozen for the algorithms: flat typed arrays and CSR adjacency, where the arcs leaving
 * node v (forward arcs and residual twins alike) are `adj[adjStart[v] .. adjStart[v + 1])`.
 */
export interface ResidualGraph {
  n: number;
  /** Node each arc enters. The node it leaves is `head[a ^ 1]`. */
  head: Int32Array;
  /** Residual capacity per arc (see `NetworkBuilder`). */
  res: Float64Array;
  adjStart: Int32Array;
  adj: Int32Array;
}

/** Freezes `net` into a `ResidualGraph` with residual capacities = capacities (no flow yet). */
export function freezeNetwork(net: NetworkBuilder): ResidualGraph {
  const n = net.nodeCount;
  const adjStart = new Int32Array(n + 1);
  for (const tail of net.tails) adjStart[tail + 1] = (adjStart[tail + 1] ?? 0) + 1;
  for (let v = 0; v < n; v++) adjStart[v + 1] = (adjStart[v + 1] ?? 0) + (adjStart[v] ?? 0);
  const fill = adjStart.slice(0, n);
  const adj = new Int32Array(net.heads.length);
  net.tails.forEach((tail, a) => {
    adj[fill[tail] ?? 0] = a;
    fill[tail] = (fill[tail] ?? 0) + 1;
  });
  return { n, head: Int32Array.from(net.heads), res: Float64Array.from(net.caps), adjStart, adj };
}
