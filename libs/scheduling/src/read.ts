import type { DataSource, EntityManager } from 'typeorm';
import { PlacementCellRepository, ScheduleRepository, type ScheduleStatus } from '#gridshift/persistence';
import type { PreviousSchedule } from './account.js';
import { ScheduleNotFoundError } from './errors.js';
import type { SchedulePlacement } from './round.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Db = DataSource | EntityManager;

/** A stored schedule as the API shows it; `placements` only when asked for. */
export interface ScheduleView {
  id: string;
  version: number | null;
  kind: 'plan' | 'what-if';
  status: ScheduleStatus;
  trigger: string;
  leaderEpoch: number;
  horizonStartUtc: string;
  horizonEndUtc: string;
  slotMinutes: number;
  inputHash: string;
  /** Only with `{ snapshot: true }` (it can be megabytes). */
  inputSnapshot?: unknown;
  solverStats: Record<string, unknown>;
  totals: Record<string, unknown> & { totalCost: number; energyCost: number; servedGpuHours: number };
  baselines: Record<string, unknown>;
  savings: Record<string, unknown>;
  assumptions: unknown[];
  shortfalls: unknown[];
  explanations?: unknown[];
  objective: number;
  supersedesVersion: number | null;
  approval: unknown;
  approvedAt: string | null;
  approvedBy: string | null;
  publishedAt: string | null;
  rejectedAt: string | null;
  rejectedBy: string | null;
  rejectedReason: string | null;
  createdAt: string;
  placements?: SchedulePlacement[];
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Options of `loadSchedule`; placements and explanations are on by default, the snapshot off. */
export interface LoadScheduleOptions {
  placements?: boolean;
  explanations?: boolean;
  snapshot?: boolean;
}

/** One schedule with its placements (ordered by cluster, slot, job); throws ScheduleNotFoundError. */
export async function loadSchedule(
  db: Db,
  scheduleId: string,
  options: LoadScheduleOptions = {},
): Promise<ScheduleView> {
  if (!UUID.test(scheduleId)) throw new ScheduleNotFoundError(scheduleId);
  const r = await new ScheduleRepository(db).find(scheduleId, {
    explanations: options.explanations !== false,
    snapshot: options.snapshot === true,
  });
  if (!r) throw new ScheduleNotFoundError(scheduleId);
  const view: ScheduleView = {
    id: r.id,
    version: r.version,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    leaderEpoch: r.leaderEpoch,
    horizonStartUtc: r.horizonStart.toISOString(),
    horizonEndUtc: r.horizonEnd.toISOString(),
    slotMinutes: r.slotMinutes,
    inputHash: r.inputHash,
    solverStats: r.solverStats,
    totals: r.totals as ScheduleView['totals'],
    baselines: r.baselines,
    savings: r.savings,
    assumptions: r.assumptions,
    shortfalls: r.shortfalls,
    objective: r.objective,
    supersedesVersion: r.supersedesVersion,
    approval: r.approval,
    approvedAt: iso(r.approvedAt),
    approvedBy: r.approvedBy,
    publishedAt: iso(r.publishedAt),
    rejectedAt: iso(r.rejectedAt),
    rejectedBy: r.rejectedBy,
    rejectedReason: r.rejectedReason,
    createdAt: r.createdAt.toISOString(),
  };
  if (r.explanations !== undefined) view.explanations = r.explanations;
  if (r.inputSnapshot !== undefined) view.inputSnapshot = r.inputSnapshot;
  if (options.placements !== false) view.placements = await loadPlacements(db, scheduleId);
  return view;
}

/** The placements of a schedule, ordered by cluster, slot and job. */
export async function loadPlacements(db: Db, scheduleId: string): Promise<SchedulePlacement[]> {
  const rows = await new PlacementCellRepository(db).ofSchedule(scheduleId);
  return rows.map((r) => ({
    jobId: r.jobId,
    clusterId: r.clusterId,
    slotStartUtc: r.slotStart.toISOString(),
    gpus: r.gpus,
    gpuHours: r.gpuHours,
  }));
}

/** The plan in force: the newest approved or published version (null when none). */
export async function loadScheduleInForce(db: Db): Promise<PreviousSchedule | null> {
  const head = await loadScheduleInForceHead(db);
  return head && { ...head, placements: await loadPlacements(db, head.id) };
}

/** The plan in force without its placements (one row read; null when none). */
export async function loadScheduleInForceHead(db: Db): Promise<Omit<PreviousSchedule, 'placements'> | null> {
  const r = await new ScheduleRepository(db).planInForce();
  if (!r) return null;
  return {
    id: r.id,
    version: r.version,
    horizonStartUtc: r.horizonStart.toISOString(),
    horizonEndUtc: r.horizonEnd.toISOString(),
    totals: r.totals as PreviousSchedule['totals'],
  };
}

/** The published schedule (the one data centers run now), or null. */
export async function publishedScheduleId(db: Db): Promise<string | null> {
  return (await new ScheduleRepository(db).publishedPlanId()) ?? null;
}
