import type { ResidualGraph } from './network.js';

/**
 * Reduced-cost filter of a primal–dual method: only arcs u → v with
 * `cost[a] + phi[v] − phi[u] ≤ tolerance` may carry flow. null = every arc with residual capacity.
 */
export interface Admissibility {
  cost: Float64Array;
  phi: Float64Array;
  tolerance: number;
}

/**
 * Dinic's level graph, reused from round to round. After `searchLevels`, `level[v]` is v's distance from
 * the sources along shortest augmenting paths (sources 0, sinks `depth`), −1 for nodes outside it; the
 * level graph's arcs are the residual arcs u → v with `level[v] = level[u] + 1`.
 */
export class LevelGraph {
  readonly level: Int32Array;
  /** Nodes the last search visited, in breadth-first order: `visited[0 .. visitedCount)`. */
  readonly visited: Int32Array;
  visitedCount = 0;
  /** Current-arc pointer per node: arcs before it lead nowhere for the rest of the round. */
  readonly current: Int32Array;

  constructor(n: number) {
    this.level = new Int32Array(n).fill(-1);
    this.visited = new Int32Array(n);
    this.current = new Int32Array(n);
  }
}

export interface LevelSearch {
  /**
   * `from-sinks`: breadth-first from `starts` (sinks with room) backwards along residual arcs, until the
   * first level holding a node with supply. `from-sources`: forwards from `starts` (sources with supply)
   * until the first level holding a node with room. Nodes of that level met after the first goal are not
   * expanded.
   */
  direction: 'from-sinks' | 'from-sources';
  starts: readonly number[];
  /** What the search looks for: supply (`from-sinks`) or room (`from-sources`) per node, > eps. */
  goal: Float64Array;
  /** Nodes the search must not enter (null: none). */
  excluded: Uint8Array | null;
  admissible: Admissibility | null;
  eps: number;
}

/**
 * Builds the level graph of shortest augmenting paths in `lg` (O(nodes and arcs visited)). Returns the
 * goal nodes on the first level that holds any (sources for `from-sinks`, sinks for `from-sources`) and
 * that level (`depth`); no goals when none is reachable (then `lg.visited` is everything the search
 * reached). `from-sinks` keeps only nodes within `depth` of the sinks, counted from the sources (0) to
 * the sinks (`depth`). `from-sources` keeps the one level beyond `depth` that nodes of the goal level
 * expanded before the first goal was met reach, so a blocking flow may also end one level deeper.
 */
export function searchLevels(
  g: ResidualGraph,
  lg: LevelGraph,
  search: LevelSearch,
): { goals: number[]; depth: number } {
  const { head, res, twin, adjStart } = g;
  const { level, visited } = lg;
  const { goal, excluded, admissible, eps } = search;
  const backward = search.direction === 'from-sinks';
  for (let k = 0; k < lg.visitedCount; k++) level[visited[k]!] = -1;
  let qTail = 0;
  for (const v of search.starts) {
    level[v] = 0;
    visited[qTail++] = v;
  }
  const goals: number[] = [];
  let depth = -1;
  let qHead = 0;
  // Hot loop: indices come from the CSR arrays themselves, so the `!` reads are in bounds.
  while (qHead < qTail) {
    const v = visited[qHead++]!;
    const d = level[v]!;
    if (depth >= 0 && d > depth) break;
    if (goal[v]! > eps) {
      goals.push(v);
      depth = d;
      continue;
    }
    if (d === depth) continue;
    const end = adjStart[v + 1]!;
    for (let a = adjStart[v]!; a < end; a++) {
      const u = head[a]!;
      if (level[u] !== -1 || (excluded !== null && excluded[u] === 1)) continue;
      // The arc flow would take: u → v (the twin of a) searching backwards, v → u forwards.
      const along = backward ? twin[a]! : a;
      if (!(res[along]! > eps)) continue;
      if (admissible !== null) {
        const { cost, phi, tolerance } = admissible;
        const reduced = backward ? cost[along]! + phi[v]! - phi[u]! : cost[along]! + phi[u]! - phi[v]!;
        if (reduced > tolerance) continue;
      }
      level[u] = d + 1;
      visited[qTail++] = u;
    }
  }
  lg.visitedCount = qTail;
  if (goals.length === 0) return { goals, depth: -1 };
  for (let k = 0; k < qTail; k++) {
    const v = visited[k]!;
    const d = level[v]!;
    // Searching backwards measured distances to the sinks: turn them into distances from the sources.
    if (backward) level[v] = d > depth ? -1 : depth - d;
    lg.current[v] = adjStart[v]!;
  }
  return { goals, depth };
}

export interface BlockingFlowInput {
  sources: readonly number[];
  /** `depth` of `searchLevels`: nodes on this level or deeper with room absorb flow, up to `room`. */
  sinkLevel: number;
  /** Per node, drained at the sources. */
  supply: Float64Array;
  /** Per node, filled at the sinks. */
  room: Float64Array;
  /** Per node, what the sinks absorbed is added here (null: not recorded). */
  absorbed: Float64Array | null;
  admissible: Admissibility | null;
  eps: number;
}

/**
 * Dinic's blocking flow on the level graph of `searchLevels`: pushes each source's supply depth-first
 * along level-graph arcs (with residual capacity, and admissible if given) into the room of nodes at
 * `sinkLevel` or deeper until no such path is left, advancing current-arc pointers and dropping dead
 * ends from the level graph.
 * Updates `g.res`, `supply`, `room` and `absorbed` in place. Returns the augmenting paths used and the
 * flow pushed.
 */
export function blockingFlow(
  g: ResidualGraph,
  lg: LevelGraph,
  input: BlockingFlowInput,
): { augmentations: number; pushed: number } {
  const { head, res, twin, adjStart } = g;
  const { level, current } = lg;
  const { sinkLevel, supply, room, absorbed, admissible, eps } = input;
  const push = (u: number, limit: number): number => {
    const lu = level[u]!;
    if (lu >= sinkLevel && room[u]! > eps) {
      const x = Math.min(limit, room[u]!);
      room[u] = room[u]! - x;
      if (absorbed !== null) absorbed[u] = absorbed[u]! + x;
      return x;
    }
    const end = adjStart[u + 1]!;
    for (let a = current[u]!; a < end; a++) {
      const v = head[a]!;
      const r = res[a]!;
      if (!(r > eps) || level[v] !== lu + 1) continue;
      if (admissible !== null) {
        const { cost, phi, tolerance } = admissible;
        if (cost[a]! + phi[v]! - phi[u]! > tolerance) continue;
      }
      const got = push(v, Math.min(limit, r));
      if (got > eps) {
        res[a] = r - got;
        res[twin[a]!] = res[twin[a]!]! + got;
        current[u] = a;
        return got;
      }
    }
    current[u] = end;
    level[u] = -1; // dead end for the rest of this round
    return 0;
  };
  let augmentations = 0;
  let pushed = 0;
  for (const s of input.sources) {
    while (supply[s]! > eps) {
      const got = push(s, supply[s]!);
      if (!(got > eps)) break;
      augmentations++;
      pushed += got;
      supply[s] = supply[s]! - got;
    }
  }
  return { augmentations, pushed };
}
