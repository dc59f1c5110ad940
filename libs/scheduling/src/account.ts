import type { PlacementResult, ScheduleTotals, ShortfallReason } from '#gridshift/placement';
import type { SchedulePlacement } from './checked-placements.js';
import type { ApprovalPolicy } from './settings.js';

/** A job that did not get all the GPU-hours it asked for, and why. */
export interface ShortfallEntry {
  jobId: string;
  kind: 'interactive' | 'batch';
  outcome: 'partially-placed' | 'unplaceable';
  demandGpuHours: number;
  servedGpuHours: number;
  gpuHours: number;
  reasons: { reason: ShortfallReason; gpuHours: number }[];
}

/** The schedule in force that a new one is compared with (approval policy, stability, diffs). */
export interface PreviousSchedule {
  id: string;
  version: number;
  horizonStartUtc: string;
  /** Exclusive. */
  horizonEndUtc: string;
  placements: SchedulePlacement[];
  totals: Pick<ScheduleTotals, 'energyCost' | 'carbonCost' | 'servedGpuHours'>;
}

/** How much a new schedule changes against the schedule in force. */
export interface ScheduleComparison {
  previousScheduleId: string | null;
  previousVersion: number | null;
  /** Slots both schedules cover. */
  commonSlots: number;
  /** GPU-hours the previous schedule had in the common slots. */
  previousGpuHours: number;
  /** GPU-hours of the previous schedule (common slots) no longer in the same job × cluster × slot. */
  movedGpuHours: number;
  /** movedGpuHours ÷ previousGpuHours × 100; null without a previous schedule or work. */
  movedPct: number | null;
  /** Energy + carbon cost per served GPU-hour of this schedule and the previous one. */
  costPerGpuHour: number | null;
  previousCostPerGpuHour: number | null;
  /** (costPerGpuHour − previous) ÷ previous × 100. */
  costChangePct: number | null;
}

/** What the approval policy decided and why. */
export interface ApprovalDecision {
  decision: 'auto-approve' | 'draft';
  reasons: string[];
  policy: ApprovalPolicy;
  comparison: ScheduleComparison;
}

/** Phase 5 output: every figure stored with the schedule. */
export interface ScheduleAccount {
  totals: ScheduleTotals & { currency: string };
  baselines: { home: ScheduleTotals; greedy: ScheduleTotals } | Record<string, never>;
  savings: NonNullable<PlacementResult['savings']> | Record<string, never>;
  shortfalls: ShortfallEntry[];
  comparison: ScheduleComparison;
  solver: {
    status: PlacementResult['status'];
    fallback: PlacementResult['fallback'] | null;
    message: string | null;
    name: string;
    method: PlacementResult['solver']['method'];
    stats: PlacementResult['solver']['stats'];
    lpBoundTotalCost: number | null;
    roundingCost: number | null;
    warnings: string[];
  };
}

const EPS = 1e-9;

/**
 * Phase 5 — totals, baselines, savings, shortfalls and the comparison with the schedule in force (pure). Per-job
 * explanations are not part of it: they are computed on request from the stored schedule (`explanations.ts`).
 */
export function buildScheduleAccount(
  result: PlacementResult,
  placements: SchedulePlacement[],
  previous: PreviousSchedule | null,
  extraWarnings: string[] = [],
): ScheduleAccount {
  const slotStart = result.slotStartsUtc;
  const shortfalls: ShortfallEntry[] = [];
  for (const job of result.jobs) {
    if (job.shortfall.gpuHours > EPS && job.outcome !== 'placed') {
      shortfalls.push({
        jobId: job.jobId,
        kind: job.kind,
        outcome: job.outcome,
        demandGpuHours: job.demandGpuHours,
        servedGpuHours: job.servedGpuHours,
        gpuHours: job.shortfall.gpuHours,
        reasons: job.shortfall.reasons,
      });
    }
  }
  return {
    totals: { ...result.totals, currency: result.currency },
    baselines: result.baselines ?? {},
    savings: result.savings ?? {},
    shortfalls,
    comparison: compareWithPrevious(slotStart, placements, result.totals, previous),
    solver: {
      status: result.status,
      fallback: result.fallback ?? null,
      message: result.message ?? null,
      name: result.solver.name,
      method: result.solver.method,
      stats: result.solver.stats,
      lpBoundTotalCost: result.lpBound?.totalCost ?? null,
      roundingCost: result.roundingCost,
      warnings: [
        ...result.warnings.map((w) => `${w.code} at ${w.path}: ${w.message}`),
        ...extraWarnings,
      ].slice(0, 100),
    },
  };
}

function costPerGpuHour(
  t: Pick<ScheduleTotals, 'energyCost' | 'carbonCost' | 'servedGpuHours'>,
): number | null {
  return t.servedGpuHours > EPS ? (t.energyCost + t.carbonCost) / t.servedGpuHours : null;
}

/** Moved GPU-hours over the common slots and the change in cost per served GPU-hour (pure). */
export function compareWithPrevious(
  slotStartsUtc: string[],
  placements: SchedulePlacement[],
  totals: Pick<ScheduleTotals, 'energyCost' | 'carbonCost' | 'servedGpuHours'>,
  previous: PreviousSchedule | null,
): ScheduleComparison {
  const cost = costPerGpuHour(totals);
  if (!previous) {
    return {
      previousScheduleId: null,
      previousVersion: null,
      commonSlots: 0,
      previousGpuHours: 0,
      movedGpuHours: 0,
      movedPct: null,
      costPerGpuHour: cost,
      previousCostPerGpuHour: null,
      costChangePct: null,
    };
  }
  const slotIndex = new Map(slotStartsUtc.map((slot, t) => [slot, t]));
  const prevFrom = Date.parse(previous.horizonStartUtc);
  const prevTo = Date.parse(previous.horizonEndUtc);
  const inPrevious = (slot: string) => {
    const at = Date.parse(slot);
    return at >= prevFrom && at < prevTo;
  };
  const T = slotStartsUtc.length;
  const clusterIndex = new Map<string, number>();
  const cell = (clusterId: string, t: number) => {
    let r = clusterIndex.get(clusterId);
    if (r === undefined) clusterIndex.set(clusterId, (r = clusterIndex.size));
    return r * T + t;
  };
  // job → (cluster × slot) → GPU-hours of the new schedule, in the slots both schedules cover.
  const current = new Map<string, Map<number, number>>();
  const previousSlotInside = new Map<string, boolean>();
  for (const p of placements) {
    let inside = previousSlotInside.get(p.slotStartUtc);
    if (inside === undefined) previousSlotInside.set(p.slotStartUtc, (inside = inPrevious(p.slotStartUtc)));
    if (!inside) continue;
    let cells = current.get(p.jobId);
    if (!cells) current.set(p.jobId, (cells = new Map<number, number>()));
    const key = cell(p.clusterId, slotIndex.get(p.slotStartUtc)!);
    cells.set(key, (cells.get(key) ?? 0) + p.gpuHours);
  }
  let previousGpuHours = 0;
  let moved = 0;
  for (const p of previous.placements) {
    const t = slotIndex.get(p.slotStartUtc);
    if (t === undefined) continue;
    previousGpuHours += p.gpuHours;
    const now = current.get(p.jobId)?.get(cell(p.clusterId, t)) ?? 0;
    moved += Math.max(0, p.gpuHours - now);
  }
  const previousCost = costPerGpuHour(previous.totals);
  return {
    previousScheduleId: previous.id,
    previousVersion: previous.version,
    commonSlots: slotStartsUtc.filter(inPrevious).length,
    previousGpuHours,
    movedGpuHours: moved,
    movedPct: previousGpuHours > EPS ? (moved / previousGpuHours) * 100 : null,
    costPerGpuHour: cost,
    previousCostPerGpuHour: previousCost,
    costChangePct:
      cost !== null && previousCost !== null && Math.abs(previousCost) > EPS
        ? ((cost - previousCost) / Math.abs(previousCost)) * 100
        : null,
  };
}

/**
 * The approval policy (pure): auto-approve when the mode is `auto`, the solve was optimal and, against
 * the schedule in force, the moved GPU-hours and the cost increase per GPU-hour are within limits; the
 * first schedule has nothing to compare with and is auto-approved. Otherwise a draft, with the reasons.
 */
export function decideApproval(
  policy: ApprovalPolicy,
  comparison: ScheduleComparison,
  status: PlacementResult['status'],
): ApprovalDecision {
  const reasons: string[] = [];
  if (policy.mode === 'manual') reasons.push('approval mode is manual');
  if (status !== 'optimal') reasons.push(`the solve ended with status ${status} (greedy fallback)`);
  if (comparison.movedPct !== null && comparison.movedPct > policy.maxMovedPct) {
    reasons.push(
      `${round(comparison.movedPct)}% of the GPU-hours in force would move (limit ${policy.maxMovedPct}%)`,
    );
  }
  if (policy.maxMovedGpuHours !== null && comparison.movedGpuHours > policy.maxMovedGpuHours) {
    reasons.push(
      `${round(comparison.movedGpuHours)} GPU-hours would move (limit ${policy.maxMovedGpuHours})`,
    );
  }
  if (comparison.costChangePct !== null && comparison.costChangePct > policy.maxCostIncreasePct) {
    reasons.push(
      `cost per GPU-hour would rise ${round(comparison.costChangePct)}% (limit ${policy.maxCostIncreasePct}%)`,
    );
  }
  if (reasons.length === 0) {
    reasons.push(
      comparison.previousScheduleId === null
        ? 'first schedule: nothing in force to compare with'
        : 'moved GPU-hours and cost change within the auto-approval limits',
    );
    return { decision: 'auto-approve', reasons, policy, comparison };
  }
  return { decision: 'draft', reasons, policy, comparison };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
