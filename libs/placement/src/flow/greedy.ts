import { blockingFlow, LevelGraph, searchLevels } from './blocking-flow.js';
import type { ResidualGraph } from './network.js';

/**
 * The edges into the sink T, kept as node attributes during the greedy (T itself is not a node then):
 * node v → T with cost `cost[v]`, residual capacity `left[v]` (0 = no sink edge) and flow `flow[v]`.
 */
export interface SinkEdges {
  cost: Float64Array;
  left: Float64Array;
  flow: Float64Array;
}

export interface GreedyCounts {
  /** Distinct sink-edge costs that received a search. */
  phases: number;
  /** Level-graph searches (each followed by a blocking flow unless it found no supply). */
  rounds: number;
  augmentations: number;
}

/**
 * The polymatroid greedy (see `solveByFlow`): opens sink edges cheapest first, equal costs together as
 * one phase, and pushes as much supply as possible into the open ones by shortest augmenting paths that
 * never pass through T, so flow already on cheaper sink edges never decreases. Each round searches the
 * level graph backwards from the open sink edges to the first level holding supply, then runs a
 * blocking flow. Residual reachability from the sources only shrinks during the run, so every node a
 * fruitless search reached is dead for good and is never searched again: fruitless searches cost
 * O(arcs) in total. Updates `g.res`, `supplyLeft` and `sinks` in place.
 */
export function runGreedyPhases(
  g: ResidualGraph,
  sinks: SinkEdges,
  supplyLeft: Float64Array,
  eps: number,
): GreedyCounts {
  const { cost, left } = sinks;
  const sinkNodes: number[] = [];
  for (let v = 0; v < g.n; v++) if ((left[v] ?? 0) > 0) sinkNodes.push(v);
  sinkNodes.sort((a, b) => (cost[a] ?? 0) - (cost[b] ?? 0) || a - b);

  const counts: GreedyCounts = { phases: 0, rounds: 0, augmentations: 0 };
  const dead = new Uint8Array(g.n);
  const lg = new LevelGraph(g.n);
  for (let p = 0; p < sinkNodes.length;) {
    const phaseCost = cost[sinkNodes[p] ?? 0] ?? 0;
    let open: number[] = [];
    while (p < sinkNodes.length && cost[sinkNodes[p] ?? 0] === phaseCost) {
      const v = sinkNodes[p++] ?? 0;
      if (!dead[v]) open.push(v);
    }
    if (open.length === 0) continue;
    counts.phases++;
    while (open.length > 0) {
      counts.rounds++;
      const found = searchLevels(g, lg, {
        direction: 'from-sinks',
        starts: open,
        goal: supplyLeft,
        excluded: dead,
        admissible: null,
        eps,
      });
      if (found.goals.length === 0) {
        // Nothing reachable from the sources can reach these sink edges now, nor ever again.
        for (let k = 0; k < lg.visitedCount; k++) dead[lg.visited[k] ?? 0] = 1;
        break;
      }
      const pushed = blockingFlow(g, lg, {
        sources: found.goals,
        sinkLevel: found.depth,
        supply: supplyLeft,
        room: left,
        absorbed: sinks.flow,
        admissible: null,
        eps,
      });
      counts.augmentations += pushed.augmentations;
      open = open.filter((v) => (left[v] ?? 0) > eps && !dead[v]);
    }
  }
  return counts;
}
