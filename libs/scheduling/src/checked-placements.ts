import { checkPlacement, type PlacementProblem, type PlacementResult } from '#gridshift/placement';

/** One stored placement: whole GPUs of a job in a cluster and slot, and the GPU-hours of work on them. */
export interface SchedulePlacement {
  jobId: string;
  clusterId: string;
  slotStartUtc: string;
  gpus: number;
  gpuHours: number;
}

/** A result that breaks a constraint must never be stored or published. */
export class ScheduleInvariantError extends Error {
  readonly code = 'SCHEDULE_INVARIANT';
  constructor(readonly violations: { code: string; message: string }[]) {
    super(
      `the solver returned a schedule that breaks ${violations.length} constraint(s): ` +
        violations
          .slice(0, 3)
          .map((v) => `${v.code}: ${v.message}`)
          .join('; '),
    );
    this.name = 'ScheduleInvariantError';
  }
}

/** How much checking before a schedule is stored: `constraints` (linear, default) or `full` (the placement library's independent checker, which also recomputes every figure). */
export type VerifyLevel = 'constraints' | 'full' | 'none';

/** Checker findings about figures (not constraints): reported with the schedule, never block it. */
const FIGURE_CODES = new Set(['totals', 'job-figures']);
const EPS = 1e-6;

/**
 * Phase 4 — the whole-GPU placements to store (rows with at least one GPU), after a check that they keep
 * every rule of the problem: GPUs per cluster and slot within the schedulable GPUs (and the power cap),
 * GPUs per job and slot within maxGpus, work ≤ GPUs × slot hours, only allowed clusters, inside the batch
 * window. Throws `ScheduleInvariantError` on a break; figure mismatches (level `full`) come back as `warnings`.
 */
export function checkedPlacements(
  problem: PlacementProblem,
  result: PlacementResult,
  opts: { verify?: VerifyLevel } = {},
): { placements: SchedulePlacement[]; warnings: string[] } {
  const level = opts.verify ?? 'constraints';
  const warnings: string[] = [];
  const rows: SchedulePlacement[] = [];
  for (const p of result.placements) {
    if (p.gpus <= 0) continue;
    rows.push({
      jobId: p.jobId,
      clusterId: p.clusterId,
      slotStartUtc: p.slotStartUtc,
      gpus: p.gpus,
      gpuHours: p.gpuHours,
    });
  }
  if (level === 'full') {
    const found = checkPlacement(problem, result, { relTolerance: 1e-6 });
    const violations = found.filter((v) => !FIGURE_CODES.has(v.code));
    if (violations.length > 0) throw new ScheduleInvariantError(violations);
    warnings.push(...found.map((v) => `${v.code}: ${v.message}`));
  } else if (level === 'constraints') {
    const violations = verifyPlacements(problem, rows);
    if (violations.length > 0) throw new ScheduleInvariantError(violations);
  }
  return { placements: rows, warnings };
}

/** Linear-time check of whole-GPU placements against the problem's rules (pure); empty = valid. */
export function verifyPlacements(
  problem: PlacementProblem,
  placements: SchedulePlacement[],
): { code: string; message: string }[] {
  const out: { code: string; message: string }[] = [];
  const report = (code: string, message: string) => {
    if (out.length < 20) out.push({ code, message });
  };
  const T = problem.slotStartsUtc.length;
  const hours = problem.slotMinutes / 60;
  const slotIndex = new Map(problem.slotStartsUtc.map((s, t) => [Date.parse(s), t]));
  // Slot texts repeat across placements: parse each distinct text once (Date.parse is slow).
  const slotOfText = new Map<string, number | undefined>();
  const slotOf = (text: string) => {
    if (slotOfText.has(text)) return slotOfText.get(text);
    const t = slotIndex.get(Date.parse(text));
    slotOfText.set(text, t);
    return t;
  };
  const clusters = new Map(problem.clusters.map((c, r) => [c.id, { c, r }]));
  // Per job: its GPUs per slot and, per cluster, whether it may run there (0 = not yet known, 1 = yes, 2 = no):
  // a job's placements repeat its clusters slot after slot, so each (job, cluster) is judged once.
  const jobStates = new Map(
    problem.jobs.map((job) => [
      job.id,
      { job, perSlot: null as Float64Array | null, allowed: new Uint8Array(problem.clusters.length) },
    ]),
  );
  const cellGpus = new Float64Array(problem.clusters.length * T);
  for (const p of placements) {
    const cluster = clusters.get(p.clusterId);
    const state = jobStates.get(p.jobId);
    const t = slotOf(p.slotStartUtc);
    if (!cluster || !state || t === undefined) {
      report(
        'unknown-ref',
        `${p.jobId} in ${p.clusterId} at ${p.slotStartUtc}: unknown job, cluster or slot`,
      );
      continue;
    }
    const { job } = state;
    if (!Number.isInteger(p.gpus) || p.gpus < 0) report('not-whole', `${p.jobId}: ${p.gpus} GPUs`);
    if (p.gpuHours < -EPS || p.gpuHours > p.gpus * hours + EPS) {
      report('work-exceeds-gpus', `${p.jobId} in ${p.clusterId}: ${p.gpuHours} GPU-hours on ${p.gpus} GPUs`);
    }
    const c = cluster.c;
    if (state.allowed[cluster.r] === 0) {
      const allowed =
        (!job.allowedClusterIds || job.allowedClusterIds.includes(c.id)) &&
        (!job.residencyZones || job.residencyZones.includes(c.zone)) &&
        (!job.residencyRegions || (c.region !== undefined && job.residencyRegions.includes(c.region))) &&
        (job.latencySlaMs === undefined ||
          job.origin === undefined ||
          (c.latencyMsByOrigin?.[job.origin] ?? Number.POSITIVE_INFINITY) <= job.latencySlaMs) &&
        (!job.pins?.mustRunIn || job.pins.mustRunIn.includes(c.id)) &&
        !job.pins?.mustNotRunIn?.includes(c.id);
      state.allowed[cluster.r] = allowed ? 1 : 2;
    }
    if (state.allowed[cluster.r] === 2) report('not-allowed', `${p.jobId} may not run in ${c.id}`);
    if (job.kind === 'batch' && (t < (job.windowStartSlot ?? 0) || t >= (job.deadlineSlot ?? T))) {
      report('outside-window', `${p.jobId} runs in slot ${t} outside its window`);
    }
    cellGpus[cluster.r * T + t]! += p.gpus;
    state.perSlot ??= new Float64Array(T);
    state.perSlot[t]! += p.gpus;
  }
  problem.clusters.forEach((c, r) => {
    for (let t = 0; t < T; t += 1) {
      const used = cellGpus[r * T + t]!;
      if (used === 0) continue;
      const cap = c.powerCapKw?.[t];
      const usable = Math.min(
        c.schedulableGpus[t] ?? 0,
        cap === undefined || cap === null ? Number.POSITIVE_INFINITY : cap / (c.kwPerGpu * c.pue),
      );
      if (used > Math.floor(usable + EPS)) report('capacity', `${c.id} slot ${t}: ${used} GPUs > ${usable}`);
    }
  });
  for (const [jobId, { job, perSlot }] of jobStates) {
    if (!perSlot) continue;
    const max = job.maxGpus;
    for (let t = 0; t < T; t += 1) {
      if (perSlot[t]! > max) report('parallelism', `${jobId} slot ${t}: ${perSlot[t]} GPUs > maxGpus ${max}`);
    }
  }
  return out;
}
