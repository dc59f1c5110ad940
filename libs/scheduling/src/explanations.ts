import type { DataSource, EntityManager } from 'typeorm';
import {
  storedScheduleExplainer,
  type PlacementProblem,
  type StoredJobExplanation,
} from '#gridshift/placement';
import { PlacementCellRepository, ScheduleRepository } from '#gridshift/persistence';
import type { SchedulePlacement } from './checked-placements.js';
import { recordOrNull } from './json-values.js';
import { loadPlacements } from './read.js';
import type { InputSnapshot } from './snapshot.js';

/** Where a job went and why not somewhere cheaper (the admin API's per-job `explanation`). */
export interface ExplanationEntry {
  jobId: string;
  outcome: 'placed' | 'partially-placed' | 'unplaceable';
  summary: string;
  clusters: { clusterId: string; gpuHours: number; firstSlot: number; lastSlot: number }[];
  marginalCostPerGpuHour: number | null;
  cheaperCells: {
    clusterId: string;
    slotStartUtc: string;
    costPerGpuHour: number;
    blockedBy: string;
  }[];
  excludedClusters: { clusterId: string; reason: string }[];
}

/** `value` to 6 significant digits. */
function sig6(value: number): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(6)) : value;
}

/** The entry of one job's explanation, figures to 6 significant digits (as schedules used to store them). */
export function explanationEntry(jobId: string, e: StoredJobExplanation): ExplanationEntry {
  return {
    jobId,
    outcome: e.outcome,
    summary: e.summary,
    clusters: e.clusters.map((c) => ({ ...c, gpuHours: sig6(c.gpuHours) })),
    marginalCostPerGpuHour: e.marginalCostPerGpuHour === null ? null : sig6(e.marginalCostPerGpuHour),
    cheaperCells: e.cheaperCells.map((c) => ({
      clusterId: c.clusterId,
      slotStartUtc: c.slotStartUtc,
      costPerGpuHour: sig6(c.costPerGpuHour),
      blockedBy: c.blockedBy,
    })),
    excludedClusters: e.excludedClusters.map((x) => ({ clusterId: x.clusterId, reason: x.reason })),
  };
}

/**
 * Explains one job of a schedule from that job's stored placements (`placements`: the job's, or any superset);
 * null when the schedule's problem has no such job.
 */
export type ScheduleExplainer = (
  jobId: string,
  placements: readonly SchedulePlacement[],
) => ExplanationEntry | null;

/**
 * The explainer of a stored schedule, computed from what the schedule stored: its input snapshot (the problem
 * it was solved on; the stability term's previous placements read from the schedule they reference), the GPUs
 * of each of its cells and, per call, the job's placements (`storedScheduleExplainer`). Null when there is no
 * such schedule or its snapshot holds no problem. Reads the snapshot and the cell totals once (normalising the
 * problem): keep the result for further jobs of that schedule.
 */
export async function loadScheduleExplainer(
  db: DataSource | EntityManager,
  scheduleId: string,
): Promise<ScheduleExplainer | null> {
  const row = await new ScheduleRepository(db).find(scheduleId, { snapshot: true });
  const snapshot = recordOrNull(row?.inputSnapshot) as Partial<InputSnapshot> | null;
  const stored = recordOrNull(snapshot?.problem) as InputSnapshot['problem'] | null;
  if (!row || !stored || !Array.isArray(stored.jobs) || !Array.isArray(stored.clusters)) return null;
  const { stability, ...rest } = stored;
  const [cells, previous] = await Promise.all([
    new PlacementCellRepository(db).totals(scheduleId),
    stability?.previousScheduleId ? loadPlacements(db, stability.previousScheduleId) : Promise.resolve([]),
  ]);
  const problem: PlacementProblem = stability
    ? { ...rest, stability: { costPerGpuHourMoved: stability.costPerGpuHourMoved, previous } }
    : rest;
  const solver = row.solverStats;
  const heuristic = solver.method === 'greedy' || solver.fallback === 'greedy';
  const explain = storedScheduleExplainer(
    problem,
    cells.map((c) => ({
      clusterId: c.clusterId,
      slotStartUtc: new Date(c.slotStartMs).toISOString(),
      gpus: c.gpus,
    })),
    { heuristic },
  );
  return (jobId, placements) => {
    const e = explain(jobId, placements);
    return e && explanationEntry(jobId, e);
  };
}
