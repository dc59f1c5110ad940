/**
 * A flow network in residual form, the data structure every flow routine of this folder works on.
 *
 * Arcs come in pairs: arc 2k is u → v and arc 2k+1 its residual twin v → u with the negated cost, so
 * `a ^ 1` is an arc's twin here (`twin[a]` once frozen). The residual capacity `res[a]` is what can
 * still be pushed along a; the flow on a forward arc is the residual capacity of its twin. Pushing x
 * along a is `res[a] -= x; res[twin] += x`.
 *
 * Arcs live in growable typed arrays (doubling): a fleet-size network has ~10⁵ arcs, and plain arrays
 * grown by `push` cost more time and garbage than the rest of the build (measured at 20,000 jobs).
 */
export class NetworkBuilder {
  /** Per arc: the node it enters, the node it leaves, its capacity and its cost per unit of flow. */
  heads = new Int32Array(1024);
  tails = new Int32Array(1024);
  caps = new Float64Array(1024);
  costs = new Float64Array(1024);
  arcCount = 0;
  nodeCount = 0;

  addNode(): number {
    return this.nodeCount++;
  }

  /** Adds arc u → v (id 2k) and its residual twin v → u (id 2k+1, cost −cost); returns 2k. */
  addArc(u: number, v: number, capacity: number, cost = 0): number {
    const id = this.arcCount;
    if (id + 2 > this.heads.length) this.grow();
    this.heads[id] = v;
    this.heads[id + 1] = u;
    this.tails[id] = u;
    this.tails[id + 1] = v;
    this.caps[id] = capacity;
    this.caps[id + 1] = 0;
    this.costs[id] = cost;
    this.costs[id + 1] = -cost;
    this.arcCount = id + 2;
    return id;
  }

  private grow(): void {
    const size = this.heads.length * 2;
    const heads = new Int32Array(size);
    heads.set(this.heads);
    const tails = new Int32Array(size);
    tails.set(this.tails);
    const caps = new Float64Array(size);
    caps.set(this.caps);
    const costs = new Float64Array(size);
    costs.set(this.costs);
    this.heads = heads;
    this.tails = tails;
    this.caps = caps;
    this.costs = costs;
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
  /** 1 for an arc of the network, 0 for a residual twin. */
  forward: Uint8Array;
  adjStart: Int32Array;
  position: Int32Array;
}

/** Freezes `net` into a `ResidualGraph` with residual capacities = capacities (no flow yet). */
export function freezeNetwork(net: NetworkBuilder): ResidualGraph {
  const n = net.nodeCount;
  const m = net.arcCount;
  const { heads, tails, caps } = net;
  const adjStart = new Int32Array(n + 1);
  for (let a = 0; a < m; a++) adjStart[tails[a]! + 1] = adjStart[tails[a]! + 1]! + 1;
  for (let v = 0; v < n; v++) adjStart[v + 1] = adjStart[v + 1]! + adjStart[v]!;
  const fill = adjStart.slice(0, n);
  const position = new Int32Array(m);
  for (let a = 0; a < m; a++) {
    const p = fill[tails[a]!]!;
    position[a] = p;
    fill[tails[a]!] = p + 1;
  }
  const head = new Int32Array(m);
  const res = new Float64Array(m);
  const twin = new Int32Array(m);
  const forward = new Uint8Array(m);
  for (let a = 0; a < m; a++) {
    const p = position[a]!;
    head[p] = heads[a]!;
    res[p] = caps[a]!;
    twin[p] = position[a ^ 1]!;
    forward[p] = (a & 1) === 0 ? 1 : 0;
  }
  return { n, head, res, twin, forward, adjStart, position };
}

/** Per-arc values of the builder (e.g. costs) in the frozen graph's arc order. */
export function byPosition(graph: ResidualGraph, values: Float64Array): Float64Array {
  const out = new Float64Array(graph.head.length);
  for (let a = 0; a < out.length; a++) out[graph.position[a]!] = values[a]!;
  return out;
}
