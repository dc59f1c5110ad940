// A PlacementResult in a form that crosses a worker boundary cheaply (pure). Structured-cloning a result copies
// every placement object (≈ 280,000 at 20,000 jobs) and every job's cluster lists, which the solve shares between
// jobs with the same rules: at 20,000 jobs the clone took longer than half the solve. Packed, the placements are
// columns in transferable buffers (their texts once each) and each distinct list goes once.
import type { JobResult, Placement, PlacementResult } from './result.js';

/** The placements as columns: text columns as indices into their tables. */
interface PackedPlacements {
  texts: { jobIds: string[]; clusterIds: string[]; slotStarts: string[] };
  job: Int32Array;
  cluster: Int32Array;
  slotText: Int32Array;
  slotIndex: Int32Array;
  lpGpuHours: Float64Array;
  gpuHours: Float64Array;
  gpus: Float64Array;
}

/** A result to post: `packed` with `transfer` as the transfer list. */
export interface PackedResult {
  /**
   * The result with `placements` null (the key kept in its place) and the jobs' `allowedClusterIds` /
   * `excludedClusters` as indices into `lists`.
   */
  rest: Omit<PlacementResult, 'placements'> & { placements: null };
  lists: unknown[];
  placements: PackedPlacements;
}

/** The index of `value` in `table` (by identity), appended on first sight. */
function intern<T>(table: T[], indexOf: Map<T, number>, value: T): number {
  let i = indexOf.get(value);
  if (i === undefined) {
    i = table.length;
    table.push(value);
    indexOf.set(value, i);
  }
  return i;
}

/** Packs `result` for `postMessage(packed, transfer)`. Does not change `result`. */
export function packResult(result: PlacementResult): { packed: PackedResult; transfer: ArrayBuffer[] } {
  const n = result.placements.length;
  const texts = { jobIds: [] as string[], clusterIds: [] as string[], slotStarts: [] as string[] };
  const index = {
    job: new Map<string, number>(),
    cluster: new Map<string, number>(),
    slot: new Map<string, number>(),
  };
  const columns: PackedPlacements = {
    texts,
    job: new Int32Array(n),
    cluster: new Int32Array(n),
    slotText: new Int32Array(n),
    slotIndex: new Int32Array(n),
    lpGpuHours: new Float64Array(n),
    gpuHours: new Float64Array(n),
    gpus: new Float64Array(n),
  };
  result.placements.forEach((p, i) => {
    columns.job[i] = intern(texts.jobIds, index.job, p.jobId);
    columns.cluster[i] = intern(texts.clusterIds, index.cluster, p.clusterId);
    columns.slotText[i] = intern(texts.slotStarts, index.slot, p.slotStartUtc);
    columns.slotIndex[i] = p.slotIndex;
    columns.lpGpuHours[i] = p.lpGpuHours;
    columns.gpuHours[i] = p.gpuHours;
    columns.gpus[i] = p.gpus;
  });
  // Each distinct list object once; a job keeps its keys in their order, the lists replaced by their index.
  const lists: unknown[] = [];
  const listIndex = new Map<unknown, number>();
  const listOf = (list: unknown) => intern(lists, listIndex, list);
  const jobs = result.jobs.map(
    (job) =>
      ({
        ...job,
        allowedClusterIds: listOf(job.allowedClusterIds),
        excludedClusters: listOf(job.excludedClusters),
      }) as unknown as JobResult,
  );
  const buffers = [
    columns.job,
    columns.cluster,
    columns.slotText,
    columns.slotIndex,
    columns.lpGpuHours,
    columns.gpuHours,
    columns.gpus,
  ].map((column) => column.buffer as ArrayBuffer);
  return {
    packed: { rest: { ...result, placements: null, jobs }, lists, placements: columns },
    transfer: buffers,
  };
}

/** The result `packResult` packed, equal to it (the jobs sharing their lists again). Changes `packed`. */
export function unpackResult(packed: PackedResult): PlacementResult {
  const { texts, job, cluster, slotText, slotIndex, lpGpuHours, gpuHours, gpus } = packed.placements;
  const placements: Placement[] = new Array<Placement>(job.length);
  for (let i = 0; i < job.length; i++) {
    placements[i] = {
      jobId: texts.jobIds[job[i]!]!,
      clusterId: texts.clusterIds[cluster[i]!]!,
      slotIndex: slotIndex[i]!,
      slotStartUtc: texts.slotStarts[slotText[i]!]!,
      lpGpuHours: lpGpuHours[i]!,
      gpuHours: gpuHours[i]!,
      gpus: gpus[i]!,
    };
  }
  for (const list of packed.lists) Object.freeze(list);
  for (const j of packed.rest.jobs as unknown as Record<string, unknown>[]) {
    j.allowedClusterIds = packed.lists[j.allowedClusterIds as number];
    j.excludedClusters = packed.lists[j.excludedClusters as number];
  }
  const result = packed.rest as unknown as PlacementResult;
  result.placements = placements;
  return result;
}
