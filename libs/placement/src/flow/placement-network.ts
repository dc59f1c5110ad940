import type { ClassFlows, PlacementClass } from '../aggregate.js';
import { emptyFlows } from '../lp/build-lp.js';
import type { NormalizedProblem } from '../normalize.js';
import { NetworkBuilder, type ResidualGraph } from './network.js';
import type { KeptArc } from './stability.js';

/** Where a class's flow in one slot enters the network: its arc into a set-hour or straight into a cell. */
export interface ClassLink {
  cls: number;
  slot: number;
  arc: number;
  /** The set-hour node it enters, or −1 when it enters `cell` directly. */
  setHour: number;
  cell: number;
  /** The node holding the class's supply for this slot, and the parallelism arc from it (−1: none). */
  source: number;
  parallelArc: number;
}

/**
 * The aggregated problem as a flow network (GPU-hours; see `solveByFlow` for the algorithm):
 *
 *   S → class c (supply D_c) → class-hour (c, t) (capacity M_c·Δt) → set-hour (A_c, t) → cell (r, t) → T
 *
 * with the cell's capacity and cost per GPU-hour on cell → T, and the class's unserved edge c → T at its
 * penalty. Interactive classes enter at their class-hours (supply D_ct, per-slot unserved edges). A
 * class-hour without a binding parallelism limit is the class node itself; a set-hour with one usable
 * cell is that cell. S is implicit (node supplies) and so is T during the greedy: edges into T are node
 * attributes (`sinkCost`, `sinkCap`). With stability, T is also an explicit node (`sinkNode`, arcs
 * `sinkArc`) and each job's previous cell gets a kept arc (`keptArcs`); both stay closed (zero residual)
 * until the stability step opens them.
 */
export interface PlacementNetwork {
  net: NetworkBuilder;
  /** Per node: supply from S, and its edge into T (cost, capacity; capacity 0 = none). */
  supply: number[];
  sinkCost: number[];
  sinkCap: number[];
  links: ClassLink[];
  /** Per set-hour node: its arcs into cells. */
  setHourOut: Map<number, { arc: number; cell: number }[]>;
  /** Nodes whose sink edge is a class's unserved GPU-hours (slot −1: batch, the whole window). */
  classSinkNodes: { cls: number; slot: number; node: number }[];
  /** Per cell (r·T + t): its node, −1 when the cell has no capacity. */
  cellNode: Int32Array;
  keptArcs: KeptArc[];
  /** σ · Σ previous GPU-hours: the objective's constant with kept arcs at cost −σ. */
  keptOffset: number;
  sinkNode: number;
  sinkArc: number[];
}

/** Builds the network of `classes` (only cells with capacity get a node). Pure. */
export function buildPlacementNetwork(norm: NormalizedProblem, classes: PlacementClass[]): PlacementNetwork {
  const T = norm.slotCount;
  const net = new NetworkBuilder();
  const supply: number[] = [];
  const sinkCost: number[] = [];
  const sinkCap: number[] = [];
  const newNode = (supplyGpuHours: number, cost: number, cap: number): number => {
    supply.push(supplyGpuHours);
    sinkCost.push(cost);
    sinkCap.push(cap);
    return net.addNode();
  };

  const cellNode = new Int32Array(norm.clusters.length * T).fill(-1);
  norm.clusters.forEach((cluster, r) => {
    for (let t = 0; t < T; t++) {
      const cap = cluster.capGpuHours[t] ?? 0;
      if (cap > 0) cellNode[r * T + t] = newNode(0, cluster.costPerGpuHour[t] ?? 0, cap);
    }
  });
  // Set-hour nodes, created on demand, keyed by allowed set and slot.
  const targets = new Map<string, { node: number; cell: number } | null>();
  const setHourOut = new Map<number, { arc: number; cell: number }[]>();
  const allowedKeys = new Map<PlacementClass, string>();
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
  /** Per class with a previous schedule, per slot: the node its flow leaves from and its link. */
  type SlotLink = { from: number; arc: number; setHour: number };
  const fromNodes = new Map<number, Map<number, SlotLink>>();
  const link = (
    cls: PlacementClass,
    t: number,
    from: number,
    target: { node: number; cell: number },
    parallelArc = -1,
    source = from,
  ) => {
    const arc = net.addArc(from, target.node, Infinity);
    if (withKept && cls.previous) {
      let bySlot = fromNodes.get(cls.index);
      if (!bySlot) fromNodes.set(cls.index, (bySlot = new Map<number, SlotLink>()));
      bySlot.set(t, { from, arc, setHour: target.cell < 0 ? target.node : -1 });
    }
    links.push({
      cls: cls.index,
      slot: t,
      arc,
      setHour: target.cell < 0 ? target.node : -1,
      cell: target.cell,
      source,
      parallelArc,
    });
  };
  for (const cls of classes) {
    if (cls.kind === 'batch') {
      const classNode = newNode(cls.demandGpuHours, cls.penaltyPerGpuHour, Infinity);
      classSinkNodes.push({ cls: cls.index, slot: -1, node: classNode });
      for (let t = cls.windowStart; t < cls.windowEnd; t++) {
        const target = setHourFor(cls, t);
        if (!target) continue;
        let from = classNode;
        let parallelArc = -1;
        if (Number.isFinite(cls.parallelGpuHoursPerSlot)) {
          from = newNode(0, 0, 0);
          parallelArc = net.addArc(classNode, from, cls.parallelGpuHoursPerSlot);
        }
        link(cls, t, from, target, parallelArc, classNode);
      }
    } else {
      const demand = cls.demandBySlot;
      for (let t = 0; t < T && demand; t++) {
        const d = demand[t] ?? 0;
        if (!(d > 0)) continue;
        const hourNode = newNode(d, cls.penaltyPerGpuHour, Infinity);
        classSinkNodes.push({ cls: cls.index, slot: t, node: hourNode });
        const target = setHourFor(cls, t);
        if (target) link(cls, t, hourNode, target);
      }
    }
  }

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
        const entry = bySlot?.get(t);
        const to = cellNode[cell] ?? -1;
        if (entry === undefined || to < 0 || !cls.allowed.includes(Math.floor(cell / T))) continue;
        if (t < cls.windowStart || t >= cls.windowEnd) continue;
        const outArc =
          entry.setHour < 0 ? -1 : (setHourOut.get(entry.setHour)?.find((o) => o.cell === cell)?.arc ?? -1);
        const ordinaryPath = entry.setHour < 0 ? [entry.arc] : outArc < 0 ? [] : [entry.arc, outArc];
        keptArcs.push({
          arc: net.addArc(entry.from, to, gpuHours, -sigma),
          cls: cls.index,
          cell,
          gpuHours,
          ordinaryPath,
        });
      }
    }
    sinkNode = newNode(0, 0, 0);
    for (let v = 0; v < sinkNode; v++) {
      sinkArc[v] = (sinkCap[v] ?? 0) > 0 ? net.addArc(v, sinkNode, sinkCap[v] ?? 0, sinkCost[v] ?? 0) : -1;
    }
  }
  return {
    net,
    supply,
    sinkCost,
    sinkCap,
    links,
    setHourOut,
    classSinkNodes,
    cellNode,
    keptArcs,
    keptOffset,
    sinkNode,
    sinkArc,
  };
}

/**
 * Reads class flows and the objective off a solved network: class → cell flows from the links, unserved
 * GPU-hours from the classes' sink edges, kept GPU-hours from the kept arcs. A set-hour's inflows
 * (classes) are laid onto its outflows (cells) north-west-corner style: any assignment is valid because
 * every class at the set-hour may use every cell of it, and this one keeps each class in few clusters.
 */
export function decodeClassFlows(
  norm: NormalizedProblem,
  classes: PlacementClass[],
  pn: PlacementNetwork,
  solved: { graph: ResidualGraph; sinkFlow: Float64Array; eps: number },
): { flows: ClassFlows; objective: number } {
  const { sinkFlow, eps } = solved;
  const { res, twin } = solved.graph;
  const flows = emptyFlows(classes, norm.slotCount);
  const linksBySetHour = new Map<number, ClassLink[]>();
  for (const link of pn.links) {
    const f = res[twin[link.arc] ?? 0] ?? 0;
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
    const outs = (pn.setHourOut.get(setHour) ?? []).filter((o) => (res[twin[o.arc] ?? 0] ?? 0) > eps);
    let o = 0;
    let outLeft = outs.length > 0 ? (res[twin[outs[0]?.arc ?? 0] ?? 0] ?? 0) : 0;
    for (const link of inbound) {
      let need = res[twin[link.arc] ?? 0] ?? 0;
      while (need > eps && o < outs.length) {
        if (outLeft <= eps && o < outs.length - 1) {
          o++;
          outLeft = res[twin[outs[o]?.arc ?? 0] ?? 0] ?? 0;
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
  const sigma = norm.stabilityCostPerGpuHour;
  let objective = pn.keptOffset;
  for (let v = 0; v < sinkFlow.length; v++)
    if ((sinkFlow[v] ?? 0) > 0) objective += (sinkFlow[v] ?? 0) * (pn.sinkCost[v] ?? 0);
  for (const k of pn.keptArcs) {
    const kept = res[twin[k.arc] ?? 0] ?? 0;
    if (!(kept > eps)) continue;
    objective -= sigma * kept;
    flows.cells[k.cls]?.push(k.cell);
    flows.gpuHours[k.cls]?.push(kept);
  }
  for (const { cls, slot, node } of pn.classSinkNodes) {
    const u = sinkFlow[node] ?? 0;
    if (slot >= 0) {
      const bySlot = flows.unservedBySlot[cls];
      if (bySlot) bySlot[slot] = u;
    } else flows.unserved[cls] = u;
  }
  return { flows, objective };
}

/** Rewrites every arc id `pn` holds from the builder's numbering to `graph`'s positions. */
export function toPositions(pn: PlacementNetwork, graph: ResidualGraph): void {
  const at = (a: number) => (a < 0 ? a : (graph.position[a] ?? a));
  for (const link of pn.links) {
    link.arc = at(link.arc);
    link.parallelArc = at(link.parallelArc);
  }
  for (const outs of pn.setHourOut.values()) for (const o of outs) o.arc = at(o.arc);
  for (const k of pn.keptArcs) {
    k.arc = at(k.arc);
    k.ordinaryPath = k.ordinaryPath.map(at);
  }
  pn.sinkArc = pn.sinkArc.map(at);
}
