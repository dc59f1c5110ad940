import type { ClassFlows, PlacementClass } from './aggregate.js';
import { emptyFlows } from './lp/build-lp.js';
import type { NormalizedProblem } from './normalize.js';

/**
 * Exact solver for the aggregated LP when a cell's cost per GPU-hour is the same for every job
 * (DESIGN.md "Structure worth exploiting").
 *
 * Network (GPU-hours):  S → class c (demand D_c) → class-hour (c,t) (parallelism M_c·Δt) →
 * set-hour (A_c,t) → cell (r,t) → T (capacity, cost p_rt);  and c → T (unserved, cost π_c).
 * Interactive classes enter at their class-hours (demand D_ct) and have per-slot unserved edges.
 * Classes with the same allowed set share set-hour nodes, which keeps the network small.
 *
 * Costs sit only on edges into T, so the vectors of flow on those edges form a polymatroid and the
 * greedy is optimal: open sink edges cheapest first (equal costs together) and push as much flow as
 * possible into them by augmenting paths that never pass through T, i.e. never reduce flow already on
 * cheaper sink edges. Augmentation is shortest-path (reverse BFS from the open sink edges, all sources
 * on the first level found). Residual reachability from S only shrinks during the whole run (an
 * augmenting path only creates residual arcs between nodes already reachable), so every node a failed
 * search visited is dead for good and is never searched again; failed searches cost O(arcs) in total.
 *
 * Stability (job-specific costs) makes it a general min-cost flow: a job's previous cell gets a "kept"
 * arc (job-hour → cell, capacity = previous GPU-hours, cost −σ), plus the constant σ·Σ previous. It is
 * solved exactly in two steps: the greedy above without kept arcs, then node potentials (each node's
 * cheapest reachable open sink edge, which are optimal duals of the greedy's flow), saturation of the
 * kept arcs with negative reduced cost, and a primal–dual min-cost flow (multi-source Dijkstra on
 * reduced costs, then a blocking flow on the zero-reduced-cost arcs, repeated) that routes the
 * resulting excesses to the deficits. That restores optimality with the kept arcs in place.
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

class Network {
  readonly heads: number[] = [];
  readonly tails: number[] = [];
  readonly caps: number[] = [];
  readonly costs: number[] = [];
  nodeCount = 0;
  addNode(): number {
    return this.nodeCount++;
  }
  /** Adds arc u → v (id 2k) and its residual twin v → u (id 2k+1, cost −cost). */
  addArc(u: number, v: number, capacity: number, cost = 0): number {
    const id = this.heads.length;
    this.heads.push(v, u);
    this.tails.push(u, v);
    this.caps.push(capacity, 0);
    this.costs.push(cost, -cost);
    return id;
  }
}

interface KeptArc {
  arc: number;
  cls: number;
  cell: number;
  gpuHours: number;
}

/** Binary min-heap of (key, node) with lazy deletion. */
class Heap {
  keys = new Float64Array(1024);
  nodes = new Int32Array(1024);
  size = 0;
  push(key: number, node: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(this.size * 2);
      keys.set(this.keys);
      const nodes = new Int32Array(this.size * 2);
      nodes.set(this.nodes);
      this.keys = keys;
      this.nodes = nodes;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.keys[parent] ?? 0) <= key) break;
      this.keys[i] = this.keys[parent] ?? 0;
      this.nodes[i] = this.nodes[parent] ?? 0;
      i = parent;
    }
    this.keys[i] = key;
    this.nodes[i] = node;
  }
  /** Removes the minimum; returns its node (key in `lastKey`). */
  lastKey = 0;
  pop(): number {
    const node = this.nodes[0] ?? 0;
    this.lastKey = this.keys[0] ?? 0;
    const key = this.keys[--this.size] ?? 0;
    const last = this.nodes[this.size] ?? 0;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && (this.keys[child + 1] ?? 0) < (this.keys[child] ?? 0)) child++;
      if ((this.keys[child] ?? 0) >= key) break;
      this.keys[i] = this.keys[child] ?? 0;
      this.nodes[i] = this.nodes[child] ?? 0;
      i = child;
    }
    this.keys[i] = key;
    this.nodes[i] = last;
    return node;
  }
}

interface ClassLink {
  cls: number;
  slot: number;
  /** Arc into a set-hour or straight into a cell. */
  arc: number;
  setHour: number;
  cell: number;
}

/** Solves the aggregated problem exactly by the polymatroid greedy; returns class flows. Pure. */
export function solveByFlow(
  norm: NormalizedProblem,
  classes: PlacementClass[],
): { flows: ClassFlows; objective: number; stats: FlowStats } {
  const buildStart = performance.now();
  const T = norm.slotCount;
  const net = new Network();
  const supply: number[] = [];
  const sinkCost: number[] = [];
  const sinkCap: number[] = [];
  const newNode = (supplyGpuHours: number, cost: number, cap: number): number => {
    supply.push(supplyGpuHours);
    sinkCost.push(cost);
    sinkCap.push(cap);
    return net.addNode();
  };

  // Cell nodes (only cells with capacity).
  const cellNode = new Int32Array(norm.clusters.length * T).fill(-1);
  norm.clusters.forEach((cluster, r) => {
    for (let t = 0; t < T; t++) {
      const cap = cluster.capGpuHours[t] ?? 0;
      if (cap > 0) {
        const node = newNode(0, cluster.costPerGpuHour[t] ?? 0, cap);
        cellNode[r * T + t] = node;
      }
    }
  });
  // Set-hour nodes, created on demand, keyed by allowed set and slot.
  const targets = new Map<string, { node: number; cell: number } | null>();
  const setHourOut = new Map<number, { arc: number; cell: number }[]>();
  const allowedKeys = new Map<PlacementClass, string>();
  /** Where a class's flow at slot t enters: a set-hour node, or the cell itself for one usable cluster. */
  const setHourFor = (cls: PlacementClass, t: number): { node: number; cell: number } | null => {
    let allowedKey = allowedKeys.get(cls);
    if (allowedKey === undefined) allowedKeys.set(cls, (allowedKey = cls.allowed.join(',')));
    const key = `${allowedKey}|${t}`;
    const known = targets.get(key);
    if (known !== undefined) return known;
    const usable = cls.allowed.filter((r) => (cellNode[r * T + t] ?? -1) >= 0);
    let target: { node: number; cell: number } | null = null;
    if (usable.length === 1) {
      const cell = (usable[0] ?? 0) * T + t;
      target = { node: cellNode[cell] ?? -1, cell };
    } else if (usable.length > 1) {
      const node = newNode(0, 0, 0);
      setHourOut.set(
        node,
        usable.map((r) => ({ arc: net.addArc(node, cellNode[r * T + t] ?? -1, Infinity), cell: r * T + t })),
      );
      target = { node, cell: -1 };
    }
    targets.set(key, target);
    return target;
  };

  const links: ClassLink[] = [];
  const classSinkNodes: { cls: number; slot: number; node: number }[] = [];
  const sigma = norm.stabilityCostPerGpuHour;
  const withKept = sigma > 0 && classes.some((c) => c.previous !== null);
  /** Per class with a previous schedule: the node its flow in slot t leaves from. */
  const fromNodes = new Map<number, Map<number, number>>();
  const noteFrom = (cls: PlacementClass, t: number, node: number) => {
    if (!withKept || !cls.previous) return;
    let bySlot = fromNodes.get(cls.index);
    if (!bySlot) fromNodes.set(cls.index, (bySlot = new Map<number, number>()));
    bySlot.set(t, node);
  };
  for (const cls of classes) {
    if (cls.kind === 'batch') {
      const classNode = newNode(cls.demandGpuHours, cls.penaltyPerGpuHour, Infinity);
      classSinkNodes.push({ cls: cls.index, slot: -1, node: classNode });
      for (let t = cls.windowStart; t < cls.windowEnd; t++) {
        const target = setHourFor(cls, t);
        if (!target) continue;
        let from = classNode;
        if (Number.isFinite(cls.parallelGpuHoursPerSlot)) {
          from = newNode(0, 0, 0);
          net.addArc(classNode, from, cls.parallelGpuHoursPerSlot);
        }
        const arc = net.addArc(from, target.node, Infinity);
        noteFrom(cls, t, from);
        links.push({
          cls: cls.index,
          slot: t,
          arc,
          setHour: target.cell < 0 ? target.node : -1,
          cell: target.cell,
        });
      }
    } else {
      const demand = cls.demandBySlot;
      for (let t = 0; t < T && demand; t++) {
        const d = demand[t] ?? 0;
        if (!(d > 0)) continue;
        const hourNode = newNode(d, cls.penaltyPerGpuHour, Infinity);
        classSinkNodes.push({ cls: cls.index, slot: t, node: hourNode });
        const target = setHourFor(cls, t);
        if (!target) continue;
        const arc = net.addArc(hourNode, target.node, Infinity);
        noteFrom(cls, t, hourNode);
        links.push({
          cls: cls.index,
          slot: t,
          arc,
          setHour: target.cell < 0 ? target.node : -1,
          cell: target.cell,
        });
      }
    }
  }

  // Stability: kept arcs and an explicit sink node T with the sink edges as arcs. Both stay closed
  // (zero residual) during the greedy, which keeps sink edges as node attributes.
  const keptArcs: KeptArc[] = [];
  let keptOffset = 0;
  let sinkNode = -1;
  const sinkArc: number[] = [];
  if (withKept) {
    for (const cls of classes) {
      if (!cls.previous) continue;
      const bySlot = fromNodes.get(cls.index);
      for (const [cell, gpuHours] of cls.previous) {
        keptOffset += sigma * gpuHours;
        const t = cell % T;
        const from = bySlot?.get(t);
        const to = cellNode[cell] ?? -1;
        if (from === undefined || to < 0 || !cls.allowed.includes(Math.floor(cell / T))) continue;
        if (t < cls.windowStart || t >= cls.windowEnd) continue;
        keptArcs.push({ arc: net.addArc(from, to, gpuHours, -sigma), cls: cls.index, cell, gpuHours });
      }
    }
    sinkNode = newNode(0, 0, 0);
    for (let v = 0; v < sinkNode; v++) {
      sinkArc[v] = (sinkCap[v] ?? 0) > 0 ? net.addArc(v, sinkNode, sinkCap[v] ?? 0, sinkCost[v] ?? 0) : -1;
    }
  }

  // CSR adjacency: for every node, the arcs leaving it (forward arcs and residual twins).
  const n = net.nodeCount;
  const arcCount = net.heads.length;
  const head = Int32Array.from(net.heads);
  const res = Float64Array.from(net.caps);
  for (const k of keptArcs) res[k.arc] = 0;
  for (const a of sinkArc) if (a >= 0) res[a] = 0;
  const adjStart = new Int32Array(n + 1);
  for (const tail of net.tails) adjStart[tail + 1] = (adjStart[tail + 1] ?? 0) + 1;
  for (let v = 0; v < n; v++) adjStart[v + 1] = (adjStart[v + 1] ?? 0) + (adjStart[v] ?? 0);
  const fill = adjStart.slice(0, n);
  const adj = new Int32Array(arcCount);
  net.tails.forEach((tail, a) => {
    adj[fill[tail] ?? 0] = a;
    fill[tail] = (fill[tail] ?? 0) + 1;
  });
  const supplyLeft = Float64Array.from(supply);
  const sinkLeft = Float64Array.from(sinkCap);
  const sinkFlow = new Float64Array(n);
  const costs = Float64Array.from(sinkCost);

  let scale = 1;
  for (const s of supply) scale = Math.max(scale, s);
  for (const c of sinkCap) if (Number.isFinite(c)) scale = Math.max(scale, c);
  const eps = scale * 1e-13;

  // Sink edges sorted by cost; equal costs form one phase.
  const sinkNodes: number[] = [];
  for (let v = 0; v < n; v++) if ((sinkCap[v] ?? 0) > 0) sinkNodes.push(v);
  sinkNodes.sort((a, b) => (costs[a] ?? 0) - (costs[b] ?? 0) || a - b);

  const dead = new Uint8Array(n);
  const stamp = new Int32Array(n);
  const dist = new Int32Array(n);
  const parentArc = new Int32Array(n);
  const queue = new Int32Array(n);
  const cur = new Int32Array(n);
  const curStamp = new Int32Array(n);
  const solveStart = performance.now();
  const stats: FlowStats = {
    nodes: n,
    arcs: arcCount / 2,
    phases: 0,
    rounds: 0,
    augmentations: 0,
    stabilityPhases: 0,
    stabilityMs: 0,
    buildMs: solveStart - buildStart,
    solveMs: 0,
  };
  let round = 0;

  for (let p = 0; p < sinkNodes.length;) {
    const phaseCost = costs[sinkNodes[p] ?? 0] ?? 0;
    let targets: number[] = [];
    while (p < sinkNodes.length && costs[sinkNodes[p] ?? 0] === phaseCost) {
      const v = sinkNodes[p++] ?? 0;
      if (!dead[v]) targets.push(v);
    }
    if (targets.length === 0) continue;
    stats.phases++;
    while (targets.length > 0) {
      round++;
      stats.rounds++;
      let qHead = 0;
      let qTail = 0;
      for (const v of targets) {
        stamp[v] = round;
        dist[v] = 0;
        parentArc[v] = -1;
        queue[qTail++] = v;
      }
      let foundLevel = -1;
      const sources: number[] = [];
      // Hot loop: indices come from the CSR arrays themselves, so the `!` reads are in bounds.
      while (qHead < qTail) {
        const v = queue[qHead++]!;
        const level = dist[v]!;
        if (foundLevel >= 0 && level > foundLevel) break;
        if (supplyLeft[v]! > eps) {
          sources.push(v);
          foundLevel = level;
          continue;
        }
        if (level === foundLevel) continue;
        const end = adjStart[v + 1]!;
        for (let k = adjStart[v]!; k < end; k++) {
          const a = adj[k]!;
          const u = head[a]!;
          if (stamp[u] === round || dead[u] === 1) continue;
          const twin = a ^ 1;
          if (res[twin]! > eps) {
            stamp[u] = round;
            dist[u] = level + 1;
            parentArc[u] = twin;
            queue[qTail++] = u;
          }
        }
      }
      if (sources.length === 0) {
        // Nothing reachable from S can reach these sink edges now, nor ever again.
        for (let k = 0; k < qTail; k++) dead[queue[k] ?? 0] = 1;
        break;
      }
      // Blocking flow on the level graph (Dinic): arcs u → v with dist[v] = dist[u] − 1.
      const push = (u: number, limit: number): number => {
        const level = dist[u] ?? 0;
        if (level === 0) {
          const x = Math.min(limit, sinkLeft[u] ?? 0);
          sinkLeft[u] = (sinkLeft[u] ?? 0) - x;
          sinkFlow[u] = (sinkFlow[u] ?? 0) + x;
          return x;
        }
        if (curStamp[u] !== round) {
          curStamp[u] = round;
          cur[u] = adjStart[u] ?? 0;
        }
        const end = adjStart[u + 1] ?? 0;
        for (let k = cur[u] ?? 0; k < end; k++) {
          const a = adj[k] ?? 0;
          const v = head[a] ?? 0;
          const r = res[a] ?? 0;
          if (r > eps && stamp[v] === round && dist[v] === level - 1) {
            const got = push(v, Math.min(limit, r));
            if (got > eps) {
              res[a] = r - got;
              res[a ^ 1] = (res[a ^ 1] ?? 0) + got;
              cur[u] = k;
              return got;
            }
          }
        }
        cur[u] = end;
        dist[u] = -1; // dead end for the rest of this round
        return 0;
      };
      for (const s of sources) {
        while ((supplyLeft[s] ?? 0) > eps) {
          const got = push(s, supplyLeft[s] ?? 0);
          if (!(got > eps)) break;
          stats.augmentations++;
          supplyLeft[s] = (supplyLeft[s] ?? 0) - got;
        }
      }
      targets = targets.filter((v) => (sinkLeft[v] ?? 0) > eps && !dead[v]);
    }
  }

  if (withKept) {
    const stabilityStart = performance.now();
    stats.stabilityPhases = restoreWithKeptArcs({
      n,
      head,
      res,
      cost: Float64Array.from(net.costs),
      adjStart,
      adj,
      sinkNode,
      sinkArc,
      sinkLeft,
      sinkFlow,
      keptArcs,
      eps,
    });
    stats.stabilityMs = performance.now() - stabilityStart;
  }

  // Decode: class → cell flows, unserved from sink flows. A set-hour's inflows (classes) are laid onto
  // its outflows (cells) north-west-corner style: any assignment is valid because every class at the
  // set-hour may use every cell of it, and this one keeps each class in few clusters.
  const flows = emptyFlows(classes, T);
  const linksBySetHour = new Map<number, ClassLink[]>();
  for (const link of links) {
    const f = res[link.arc ^ 1] ?? 0;
    if (!(f > eps)) continue;
    if (link.setHour < 0) {
      flows.cells[link.cls]?.push(link.cell);
      flows.gpuHours[link.cls]?.push(f);
      continue;
    }
    let list = linksBySetHour.get(link.setHour);
    if (!list) linksBySetHour.set(link.setHour, (list = []));
    list.push(link);
  }
  for (const [setHour, inbound] of linksBySetHour) {
    const outs = (setHourOut.get(setHour) ?? []).filter((o) => (res[o.arc ^ 1] ?? 0) > eps);
    let o = 0;
    let outLeft = outs.length > 0 ? (res[(outs[0]?.arc ?? 0) ^ 1] ?? 0) : 0;
    for (const link of inbound) {
      let need = res[link.arc ^ 1] ?? 0;
      while (need > eps && o < outs.length) {
        if (outLeft <= eps && o < outs.length - 1) {
          o++;
          outLeft = res[(outs[o]?.arc ?? 0) ^ 1] ?? 0;
          continue;
        }
        const take = o === outs.length - 1 ? need : Math.min(need, outLeft);
        flows.cells[link.cls]?.push(outs[o]?.cell ?? 0);
        flows.gpuHours[link.cls]?.push(take);
        need -= take;
        outLeft -= take;
      }
    }
  }
  let objective = keptOffset;
  for (let v = 0; v < n; v++) if ((sinkFlow[v] ?? 0) > 0) objective += (sinkFlow[v] ?? 0) * (costs[v] ?? 0);
  for (const k of keptArcs) {
    const kept = res[k.arc ^ 1] ?? 0;
    if (!(kept > eps)) continue;
    objective -= sigma * kept;
    flows.cells[k.cls]?.push(k.cell);
    flows.gpuHours[k.cls]?.push(kept);
  }
  for (const { cls, slot, node } of classSinkNodes) {
    const u = sinkFlow[node] ?? 0;
    if (slot >= 0) {
      const bySlot = flows.unservedBySlot[cls];
      if (bySlot) bySlot[slot] = u;
    } else flows.unserved[cls] = u;
  }
  stats.solveMs = performance.now() - solveStart;
  return { flows, objective, stats };
}

interface StabilityNetwork {
  n: number;
  head: Int32Array;
  res: Float64Array;
  cost: Float64Array;
  adjStart: Int32Array;
  adj: Int32Array;
  sinkNode: number;
  sinkArc: number[];
  sinkLeft: Float64Array;
  sinkFlow: Float64Array;
  keptArcs: KeptArc[];
  eps: number;
}

/**
 * Second step with stability (see the file comment): from the greedy's optimum without kept arcs,
 * saturate the kept arcs with negative reduced cost and re-balance by primal–dual min-cost flow.
 * Updates `res`, `sinkLeft`, `sinkFlow` in place; returns the number of primal–dual phases.
 */
function restoreWithKeptArcs(net: StabilityNetwork): number {
  const { n, head, res, cost, adjStart, adj, sinkNode, sinkArc, keptArcs, eps } = net;
  // Sink edges become real arcs carrying the greedy's flow.
  for (let v = 0; v < sinkArc.length; v++) {
    const a = sinkArc[v] ?? -1;
    if (a < 0) continue;
    res[a] = net.sinkLeft[v] ?? 0;
    res[a ^ 1] = net.sinkFlow[v] ?? 0;
  }
  // Potentials φ(v) = cost of the cheapest open sink edge reachable from v (0-cost internal arcs):
  // exact residual distances to T, hence reduced costs c + φ(head) − φ(tail) ≥ 0 on every residual arc.
  let maxCost = 1;
  for (let a = 0; a < cost.length; a++) maxCost = Math.max(maxCost, Math.abs(cost[a] ?? 0));
  const tolCost = maxCost * 1e-12;
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
      for (let k = adjStart[v] ?? 0; k < (adjStart[v + 1] ?? 0); k++) {
        const a = adj[k] ?? 0;
        const u = head[a] ?? 0;
        // u → v residual (the twin of v → u), internal arcs only.
        if (u === sinkNode || Number.isFinite(phi[u] ?? Infinity) || !((res[a ^ 1] ?? 0) > eps)) continue;
        phi[u] = value;
        queue[qTail++] = u;
      }
    }
  }
  let maxPhi = 0;
  for (let v = 0; v < n; v++)
    if (Number.isFinite(phi[v] ?? Infinity)) maxPhi = Math.max(maxPhi, Math.abs(phi[v] ?? 0));
  for (let v = 0; v < n; v++) if (!Number.isFinite(phi[v] ?? Infinity)) phi[v] = maxPhi + maxCost;
  const reduced = (a: number, tail: number): number =>
    (cost[a] ?? 0) + (phi[head[a] ?? 0] ?? 0) - (phi[tail] ?? 0);

  // Saturate kept arcs whose reduced cost is negative; the rest stay open at zero flow.
  const excess = new Float64Array(n);
  for (const k of keptArcs) {
    const tail = head[k.arc ^ 1] ?? 0;
    if (reduced(k.arc, tail) < -tolCost) {
      res[k.arc] = 0;
      res[k.arc ^ 1] = k.gpuHours;
      excess[head[k.arc] ?? 0] = (excess[head[k.arc] ?? 0] ?? 0) + k.gpuHours;
      excess[tail] = (excess[tail] ?? 0) - k.gpuHours;
    } else {
      res[k.arc] = k.gpuHours;
      res[k.arc ^ 1] = 0;
    }
  }

  const dist = new Float64Array(n);
  const settled = new Uint8Array(n);
  const level = new Int32Array(n);
  const cur = new Int32Array(n);
  const heap = new Heap();
  let phases = 0;
  for (;;) {
    const sources: number[] = [];
    for (let v = 0; v < n; v++) if ((excess[v] ?? 0) > eps) sources.push(v);
    if (sources.length === 0) break;
    phases++;
    // Multi-source Dijkstra on reduced costs up to the first deficit distance D*.
    dist.fill(Infinity);
    settled.fill(0);
    heap.size = 0;
    for (const s of sources) {
      dist[s] = 0;
      heap.push(0, s);
    }
    let reach = Infinity;
    while (heap.size > 0) {
      const v = heap.pop();
      const d = heap.lastKey;
      if (settled[v] || d > (dist[v] ?? Infinity)) continue;
      if (d > reach) break;
      settled[v] = 1;
      if ((excess[v] ?? 0) < -eps && reach === Infinity) reach = d;
      const phiV = phi[v] ?? 0;
      const end = adjStart[v + 1] ?? 0;
      for (let k = adjStart[v] ?? 0; k < end; k++) {
        const a = adj[k] ?? 0;
        if (!((res[a] ?? 0) > eps)) continue;
        const u = head[a] ?? 0;
        if (settled[u]) continue;
        const rc = (cost[a] ?? 0) + (phi[u] ?? 0) - phiV;
        const nd = rc > 0 ? d + rc : d;
        if (nd < (dist[u] ?? Infinity)) {
          dist[u] = nd;
          heap.push(nd, u);
        }
      }
    }
    if (reach === Infinity) throw new Error('stability step: an excess cannot reach any deficit');
    for (let v = 0; v < n; v++) phi[v] = (phi[v] ?? 0) - Math.min(settled[v] ? (dist[v] ?? 0) : reach, reach);
    // Blocking flows from excesses to deficits on zero-reduced-cost arcs (Dinic), until none is left.
    let pushed = 0;
    for (;;) {
      level.fill(-1);
      let qHead = 0;
      let qTail = 0;
      for (const s of sources) {
        if (!((excess[s] ?? 0) > eps)) continue;
        level[s] = 0;
        queue[qTail++] = s;
      }
      // Shortest admissible paths only: stop at the first level that holds a deficit.
      let deficitLevel = -1;
      while (qHead < qTail) {
        const v = queue[qHead++] ?? 0;
        const lv = level[v] ?? 0;
        if (deficitLevel >= 0 && lv >= deficitLevel) break;
        if ((excess[v] ?? 0) < -eps) {
          deficitLevel = lv;
          continue;
        }
        for (let k = adjStart[v] ?? 0; k < (adjStart[v + 1] ?? 0); k++) {
          const a = adj[k] ?? 0;
          const u = head[a] ?? 0;
          if ((level[u] ?? 0) >= 0 || !((res[a] ?? 0) > eps) || reduced(a, v) > tolCost) continue;
          level[u] = (level[v] ?? 0) + 1;
          queue[qTail++] = u;
        }
      }
      if (deficitLevel < 0) {
        // Nodes at the deficit level may still be queued unexpanded: look at the rest of the queue.
        for (let k = qHead; k < qTail && deficitLevel < 0; k++)
          if ((excess[queue[k] ?? 0] ?? 0) < -eps) deficitLevel = 0;
        if (deficitLevel < 0) break;
      }
      for (let k = 0; k < qTail; k++) cur[queue[k] ?? 0] = adjStart[queue[k] ?? 0] ?? 0;
      const push = (u: number, limit: number): number => {
        const deficit = -(excess[u] ?? 0);
        if (deficit > eps) {
          const x = Math.min(limit, deficit);
          excess[u] = (excess[u] ?? 0) + x;
          return x;
        }
        const end = adjStart[u + 1] ?? 0;
        for (let k = cur[u] ?? 0; k < end; k++) {
          const a = adj[k] ?? 0;
          const v = head[a] ?? 0;
          const r = res[a] ?? 0;
          if (r > eps && level[v] === (level[u] ?? 0) + 1 && reduced(a, u) <= tolCost) {
            const got = push(v, Math.min(limit, r));
            if (got > eps) {
              res[a] = r - got;
              res[a ^ 1] = (res[a ^ 1] ?? 0) + got;
              cur[u] = k;
              return got;
            }
          }
        }
        cur[u] = end;
        level[u] = -2;
        return 0;
      };
      let roundPushed = 0;
      for (const s of sources) {
        while ((excess[s] ?? 0) > eps) {
          const got = push(s, excess[s] ?? 0);
          if (!(got > eps)) break;
          excess[s] = (excess[s] ?? 0) - got;
          roundPushed += got;
        }
      }
      pushed += roundPushed;
      if (!(roundPushed > eps)) break;
    }
    if (!(pushed > eps)) throw new Error('stability step: no progress');
  }
  // Sink flows back into the node attributes the decoder reads.
  for (let v = 0; v < sinkArc.length; v++) {
    const a = sinkArc[v] ?? -1;
    if (a < 0) continue;
    net.sinkFlow[v] = res[a ^ 1] ?? 0;
    net.sinkLeft[v] = res[a] ?? 0;
  }
  return phases;
}
