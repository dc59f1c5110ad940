import type { Assumption } from './assumptions.js';
import type { PlanningInputs } from './inputs.js';

/** A job a data center refused by its own rules: it stays out of that cluster until an operator clears it. */
export interface RefusedPlacement {
  jobId: string;
  clusterId: string;
  reason: string;
  version: number;
}

/** At most this many refusals are named in one assumption's message (all are in its details). */
const MAX_NAMED = 5;

/**
 * Keeps refused jobs out of the clusters that refused them (pure): each refusal is added to the job's
 * `mustNotRunIn` pin for this plan (the operator's pins are not changed), and the plan says so in an assumption.
 * Refusals of jobs or clusters not in the inputs are ignored.
 */
export function applyRefusals(
  inputs: PlanningInputs,
  refusals: readonly RefusedPlacement[],
): { inputs: PlanningInputs; assumptions: Assumption[] } {
  const clusterIds = new Set(inputs.clusters.map((c) => c.id));
  const byJob = new Map<string, RefusedPlacement[]>();
  for (const r of refusals) {
    if (!clusterIds.has(r.clusterId)) continue;
    const list = byJob.get(r.jobId) ?? [];
    list.push(r);
    byJob.set(r.jobId, list);
  }
  const applied: RefusedPlacement[] = [];
  const jobs = inputs.jobs.map((job) => {
    const refused = byJob.get(job.id);
    if (refused === undefined) return job;
    applied.push(...refused);
    const mustNotRunIn = [
      ...new Set([...(job.pins.mustNotRunIn ?? []), ...refused.map((r) => r.clusterId)]),
    ].sort();
    return { ...job, pins: { ...job.pins, mustNotRunIn } };
  });
  if (applied.length === 0) return { inputs, assumptions: [] };
  const named = applied
    .slice(0, MAX_NAMED)
    .map((r) => `${r.jobId} in ${r.clusterId}`)
    .join(', ');
  const more = applied.length > MAX_NAMED ? ` and ${applied.length - MAX_NAMED} more` : '';
  return {
    inputs: { ...inputs, jobs },
    assumptions: [
      {
        code: 'delivery-refused',
        message: `data centers refused ${named}${more}: kept out there until an operator clears it`,
        jobIds: [...new Set(applied.map((r) => r.jobId))],
        details: { refusals: applied.map((r) => ({ ...r })) },
      },
    ],
  };
}

/** Planned against realized GPU-hours of one (cluster, slot). */
export interface UsageCell {
  clusterId: string;
  slotStartUtc: string;
  plannedGpuHours: number;
  realizedGpuHours: number;
}

/** When realized usage departs from the schedule in force enough to re-plan. */
export interface DriftThresholds {
  /** |realized − planned| must exceed this share of planned, %… */
  pct: number;
  /** …and this many GPU-hours, in at least one (cluster, slot). */
  minGpuHours: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = { pct: 20, minGpuHours: 4 };

export interface DriftFinding {
  /** Cells beyond both thresholds, largest departure first (at most 20). */
  cells: UsageCell[];
  plannedGpuHours: number;
  realizedGpuHours: number;
  assumption: Assumption;
}

/**
 * Finds drift (pure): the (cluster, slot) cells whose realized GPU-hours depart from the planned ones by more than
 * both thresholds. Null when none does. The totals are over every compared cell.
 */
export function detectDrift(
  cells: readonly UsageCell[],
  thresholds: DriftThresholds,
  version: number,
): DriftFinding | null {
  const beyond = cells.filter((c) => {
    const delta = Math.abs(c.realizedGpuHours - c.plannedGpuHours);
    return delta > thresholds.minGpuHours && delta > (thresholds.pct / 100) * c.plannedGpuHours;
  });
  if (beyond.length === 0) return null;
  const plannedGpuHours = cells.reduce((s, c) => s + c.plannedGpuHours, 0);
  const realizedGpuHours = cells.reduce((s, c) => s + c.realizedGpuHours, 0);
  const worst = [...beyond]
    .sort(
      (a, b) =>
        Math.abs(b.realizedGpuHours - b.plannedGpuHours) - Math.abs(a.realizedGpuHours - a.plannedGpuHours),
    )
    .slice(0, 20);
  const pct = plannedGpuHours === 0 ? null : ((realizedGpuHours - plannedGpuHours) / plannedGpuHours) * 100;
  const first = worst[0]!;
  return {
    cells: worst,
    plannedGpuHours,
    realizedGpuHours,
    assumption: {
      code: 'usage-drift',
      message:
        `realized usage departed from schedule v${version} in ${beyond.length} cluster-slot(s) ` +
        `(${fmt(realizedGpuHours)} of ${fmt(plannedGpuHours)} planned GPU-h${pct === null ? '' : `, ${fmt(pct)} %`}; ` +
        `worst ${first.clusterId} ${first.slotStartUtc}: ${fmt(first.realizedGpuHours)} vs ${fmt(first.plannedGpuHours)})`,
      clusterId: first.clusterId,
      slotStartsUtc: [...new Set(worst.map((c) => c.slotStartUtc))].sort(),
      details: { version, plannedGpuHours, realizedGpuHours, cells: worst.map((c) => ({ ...c })) },
    },
  };
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}
