// Validation of a PlacementProblem before solving: one check per issue code, each naming the field, so a bad
// problem fails with every reason at once rather than in the solver.
import type { ClusterInput, JobInput, PlacementProblem } from './model.js';

/** One finding about a problem. `error`s make `solvePlacement` throw; `warning`s are reported in the result. */
export interface ProblemIssue {
  severity: 'error' | 'warning';
  /** Stable machine code, e.g. `unknown-cluster`, `window-outside-horizon`, `negative-demand`. */
  code: ProblemIssueCode;
  /** JSON-ish path into the problem, e.g. `jobs[3].allowedClusterIds[1]`. */
  path: string;
  message: string;
}

export type ProblemIssueCode =
  | 'invalid-horizon'
  | 'invalid-slot-start'
  | 'uneven-slots'
  | 'slot-length-mismatch'
  | 'invalid-number'
  | 'duplicate-id'
  | 'unknown-cluster'
  | 'unknown-tier'
  | 'missing-penalty'
  | 'negative-demand'
  | 'window-outside-horizon'
  | 'invalid-window'
  | 'invalid-max-gpus'
  | 'latency-without-origin'
  | 'unknown-previous-placement'
  | 'empty-rule';

/** Thrown by `solvePlacement` when `validateProblem` finds errors; `issues` lists every one of them. */
export class PlacementProblemError extends Error {
  override readonly name = 'PlacementProblemError';
  readonly retriable = false;
  constructor(readonly issues: ProblemIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const head = errors
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ');
    super(
      `invalid placement problem (${errors.length} error${errors.length === 1 ? '' : 's'}): ${head}` +
        (errors.length > 5 ? '; …' : ''),
    );
  }
}

const MS_PER_MINUTE = 60_000;
// ISO-8601 date-time with an explicit UTC designator or offset (a bare local time is ambiguous).
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

class IssueList {
  readonly issues: ProblemIssue[] = [];
  error(code: ProblemIssueCode, path: string, message: string): void {
    this.issues.push({ severity: 'error', code, path, message });
  }
  warning(code: ProblemIssueCode, path: string, message: string): void {
    this.issues.push({ severity: 'warning', code, path, message });
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function describeValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

function checkNumber(
  out: IssueList,
  path: string,
  value: unknown,
  rule: { min?: number; minExclusive?: number; integer?: boolean },
): boolean {
  if (!isFiniteNumber(value)) {
    out.error('invalid-number', path, `must be a finite number, got ${describeValue(value)}`);
    return false;
  }
  if (rule.min !== undefined && value < rule.min) {
    out.error('invalid-number', path, `must be ≥ ${rule.min}, got ${value}`);
    return false;
  }
  if (rule.minExclusive !== undefined && value <= rule.minExclusive) {
    out.error('invalid-number', path, `must be > ${rule.minExclusive}, got ${value}`);
    return false;
  }
  if (rule.integer === true && !Number.isInteger(value)) {
    out.error('invalid-number', path, `must be an integer, got ${value}`);
    return false;
  }
  return true;
}

function checkSeries(
  out: IssueList,
  path: string,
  values: unknown,
  slotCount: number,
  rule: { min?: number; nullable?: boolean },
): void {
  if (!Array.isArray(values)) {
    out.error('slot-length-mismatch', path, `must be an array with one entry per slot (${slotCount})`);
    return;
  }
  if (values.length !== slotCount) {
    out.error(
      'slot-length-mismatch',
      path,
      `has ${values.length} entries but the horizon has ${slotCount} slots`,
    );
    return;
  }
  let reported = 0;
  values.forEach((value: unknown, t) => {
    if (reported >= 3) return;
    if (value === null && rule.nullable === true) return;
    if (!isFiniteNumber(value)) {
      out.error('invalid-number', `${path}[${t}]`, `must be a finite number, got ${describeValue(value)}`);
      reported++;
    } else if (rule.min !== undefined && value < rule.min) {
      out.error('invalid-number', `${path}[${t}]`, `must be ≥ ${rule.min}, got ${value}`);
      reported++;
    }
  });
}

function knownList(ids: Set<string>): string {
  const list = [...ids].slice(0, 8).join(', ');
  return ids.size > 8 ? `${list}, …` : list;
}

function checkClusterRefs(
  out: IssueList,
  path: string,
  refs: unknown,
  clusterIds: Set<string>,
  ruleName: string,
): void {
  if (refs === undefined) return;
  if (!Array.isArray(refs)) {
    out.error('unknown-cluster', path, 'must be an array of cluster ids');
    return;
  }
  if (refs.length === 0) out.warning('empty-rule', path, `is empty: ${ruleName}`);
  refs.forEach((ref: unknown, k) => {
    if (typeof ref !== 'string' || !clusterIds.has(ref)) {
      out.error(
        'unknown-cluster',
        `${path}[${k}]`,
        `${describeValue(ref)} is not a cluster id (known: ${knownList(clusterIds)})`,
      );
    }
  });
}

function validateHorizon(problem: PlacementProblem, out: IssueList): void {
  if (!checkNumber(out, 'slotMinutes', problem.slotMinutes, { minExclusive: 0 })) return;
  if (!Array.isArray(problem.slotStartsUtc)) {
    out.error('invalid-horizon', 'slotStartsUtc', 'must be an array of ISO-8601 UTC timestamps');
    return;
  }
  let previousMs: number | null = null;
  problem.slotStartsUtc.forEach((start: unknown, t) => {
    const path = `slotStartsUtc[${t}]`;
    const ms = typeof start === 'string' && ISO_UTC.test(start) ? Date.parse(start) : NaN;
    if (!Number.isFinite(ms)) {
      out.error(
        'invalid-slot-start',
        path,
        `must be an ISO-8601 timestamp with Z or an offset, got ${describeValue(start)}`,
      );
      previousMs = null;
      return;
    }
    if (previousMs !== null && ms - previousMs !== problem.slotMinutes * MS_PER_MINUTE) {
      out.error(
        'uneven-slots',
        path,
        `starts ${(ms - previousMs) / MS_PER_MINUTE} min after the previous slot; slots must be ` +
          `${problem.slotMinutes} min apart`,
      );
    }
    previousMs = ms;
  });
}

function validateCluster(cluster: ClusterInput, c: number, slotCount: number, out: IssueList): void {
  const path = `clusters[${c}]`;
  if (typeof cluster.id !== 'string' || cluster.id.length === 0) {
    out.error('invalid-number', `${path}.id`, 'must be a non-empty string');
  }
  checkSeries(out, `${path}.schedulableGpus`, cluster.schedulableGpus, slotCount, { min: 0 });
  checkSeries(out, `${path}.pricePerMwh`, cluster.pricePerMwh, slotCount, {});
  if (cluster.powerCapKw !== undefined) {
    checkSeries(out, `${path}.powerCapKw`, cluster.powerCapKw, slotCount, { min: 0, nullable: true });
  }
  if (cluster.carbonGPerKwh !== undefined) {
    checkSeries(out, `${path}.carbonGPerKwh`, cluster.carbonGPerKwh, slotCount, { min: 0, nullable: true });
  }
  checkNumber(out, `${path}.kwPerGpu`, cluster.kwPerGpu, { minExclusive: 0 });
  checkNumber(out, `${path}.pue`, cluster.pue, { min: 1 });
  for (const [origin, ms] of Object.entries(cluster.latencyMsByOrigin ?? {})) {
    checkNumber(out, `${path}.latencyMsByOrigin.${origin}`, ms, { min: 0 });
  }
}

function validateJob(
  job: JobInput,
  i: number,
  problem: PlacementProblem,
  clusterIds: Set<string>,
  out: IssueList,
): void {
  const slotCount = problem.slotStartsUtc.length;
  const path = `jobs[${i}]`;
  if (typeof job.id !== 'string' || job.id.length === 0) {
    out.error('invalid-number', `${path}.id`, 'must be a non-empty string');
  }
  if (!isFiniteNumber(job.maxGpus) || job.maxGpus < 1 || !Number.isInteger(job.maxGpus)) {
    out.error(
      'invalid-max-gpus',
      `${path}.maxGpus`,
      `must be a whole number ≥ 1, got ${describeValue(job.maxGpus)}`,
    );
  }
  switch (job.kind) {
    case 'interactive':
      if (!Array.isArray(job.demandGpuHours) || job.demandGpuHours.length !== slotCount) {
        out.error(
          'slot-length-mismatch',
          `${path}.demandGpuHours`,
          `must have one entry per slot (${slotCount}), got ${Array.isArray(job.demandGpuHours) ? job.demandGpuHours.length : describeValue(job.demandGpuHours)}`,
        );
      } else {
        job.demandGpuHours.forEach((d: unknown, t) => {
          if (!isFiniteNumber(d)) {
            out.error(
              'invalid-number',
              `${path}.demandGpuHours[${t}]`,
              `must be a finite number, got ${describeValue(d)}`,
            );
          } else if (d < 0) {
            out.error(
              'negative-demand',
              `${path}.demandGpuHours[${t}]`,
              `demand must be ≥ 0 GPU-hours, got ${d}`,
            );
          }
        });
      }
      break;
    case 'batch': {
      if (!isFiniteNumber(job.totalGpuHours)) {
        out.error(
          'invalid-number',
          `${path}.totalGpuHours`,
          `must be a finite number, got ${describeValue(job.totalGpuHours)}`,
        );
      } else if (job.totalGpuHours < 0) {
        out.error(
          'negative-demand',
          `${path}.totalGpuHours`,
          `demand must be ≥ 0 GPU-hours, got ${job.totalGpuHours}`,
        );
      }
      const start = job.windowStartSlot ?? 0;
      const end = job.deadlineSlot ?? slotCount;
      let windowOk = true;
      for (const [name, value] of [
        ['windowStartSlot', start],
        ['deadlineSlot', end],
      ] as const) {
        if (!Number.isInteger(value) || value < 0 || value > slotCount) {
          out.error(
            'window-outside-horizon',
            `${path}.${name}`,
            `must be a whole slot index in [0, ${slotCount}] (the horizon has ${slotCount} slots), got ${describeValue(value)}`,
          );
          windowOk = false;
        }
      }
      if (windowOk && start > end) {
        out.error(
          'invalid-window',
          `${path}.windowStartSlot`,
          `window start ${start} is after the deadline slot ${end}`,
        );
      }
      break;
    }
    default: {
      const kind: unknown = (job as { kind: unknown }).kind;
      out.error(
        'invalid-number',
        `${path}.kind`,
        `must be 'interactive' or 'batch', got ${describeValue(kind)}`,
      );
    }
  }
  checkClusterRefs(
    out,
    `${path}.allowedClusterIds`,
    job.allowedClusterIds,
    clusterIds,
    'the job can run nowhere',
  );
  checkClusterRefs(out, `${path}.pins.mustRunIn`, job.pins?.mustRunIn, clusterIds, 'the job can run nowhere');
  checkClusterRefs(
    out,
    `${path}.pins.mustNotRunIn`,
    job.pins?.mustNotRunIn,
    clusterIds,
    'it excludes nothing',
  );
  if (job.homeClusterId !== undefined && !clusterIds.has(job.homeClusterId)) {
    out.error(
      'unknown-cluster',
      `${path}.homeClusterId`,
      `${describeValue(job.homeClusterId)} is not a cluster id`,
    );
  }
  if (job.residencyZones?.length === 0)
    out.warning('empty-rule', `${path}.residencyZones`, 'is empty: the job can run nowhere');
  if (job.residencyRegions?.length === 0) {
    out.warning('empty-rule', `${path}.residencyRegions`, 'is empty: the job can run nowhere');
  }
  if (job.latencySlaMs !== undefined) {
    checkNumber(out, `${path}.latencySlaMs`, job.latencySlaMs, { min: 0 });
    if (job.origin === undefined) {
      out.error(
        'latency-without-origin',
        `${path}.latencySlaMs`,
        'is set but origin is not: latency cannot be checked',
      );
    }
  }
  if (job.penaltyPerGpuHour !== undefined) {
    checkNumber(out, `${path}.penaltyPerGpuHour`, job.penaltyPerGpuHour, { min: 0 });
  } else if (job.tier !== undefined) {
    if (problem.tierPenaltiesPerGpuHour?.[job.tier] === undefined) {
      const known = Object.keys(problem.tierPenaltiesPerGpuHour ?? {}).join(', ') || 'none';
      out.error(
        'unknown-tier',
        `${path}.tier`,
        `tier ${describeValue(job.tier)} has no penalty in tierPenaltiesPerGpuHour (known: ${known})`,
      );
    }
  } else {
    out.error('missing-penalty', path, 'needs penaltyPerGpuHour or a tier with a penalty');
  }
  if (job.tokensPerSecondPerGpu !== undefined) {
    checkNumber(out, `${path}.tokensPerSecondPerGpu`, job.tokensPerSecondPerGpu, { minExclusive: 0 });
  }
}

/** Every problem in the input, errors and warnings, with paths and precise messages; never throws. */
export function validateProblem(problem: PlacementProblem): ProblemIssue[] {
  const out = new IssueList();
  validateHorizon(problem, out);
  if (typeof problem.currency !== 'string' || problem.currency.length === 0) {
    out.error('invalid-number', 'currency', 'must be a currency code such as EUR or USD');
  }
  if (problem.carbonPricePerTonne !== undefined) {
    checkNumber(out, 'carbonPricePerTonne', problem.carbonPricePerTonne, { min: 0 });
  }
  for (const [tier, penalty] of Object.entries(problem.tierPenaltiesPerGpuHour ?? {})) {
    checkNumber(out, `tierPenaltiesPerGpuHour.${tier}`, penalty, { min: 0 });
  }
  const slotCount = Array.isArray(problem.slotStartsUtc) ? problem.slotStartsUtc.length : 0;
  const clusters = Array.isArray(problem.clusters) ? problem.clusters : [];
  const jobs = Array.isArray(problem.jobs) ? problem.jobs : [];
  if (!Array.isArray(problem.clusters)) out.error('invalid-number', 'clusters', 'must be an array');
  if (!Array.isArray(problem.jobs)) out.error('invalid-number', 'jobs', 'must be an array');

  const clusterIds = new Set<string>();
  clusters.forEach((cluster, c) => {
    if (clusterIds.has(cluster.id))
      out.error('duplicate-id', `clusters[${c}].id`, `duplicate cluster id "${cluster.id}"`);
    clusterIds.add(cluster.id);
    validateCluster(cluster, c, slotCount, out);
  });
  const jobIds = new Set<string>();
  jobs.forEach((job, i) => {
    if (jobIds.has(job.id)) out.error('duplicate-id', `jobs[${i}].id`, `duplicate job id "${job.id}"`);
    jobIds.add(job.id);
    validateJob(job, i, problem, clusterIds, out);
  });

  const stability = problem.stability;
  if (stability !== undefined) {
    checkNumber(out, 'stability.costPerGpuHourMoved', stability.costPerGpuHourMoved, { min: 0 });
    let unknown = 0;
    stability.previous.forEach((p, k) => {
      checkNumber(out, `stability.previous[${k}].gpus`, p.gpus, { min: 0 });
      if (p.gpuHours !== undefined)
        checkNumber(out, `stability.previous[${k}].gpuHours`, p.gpuHours, { min: 0 });
      if ((!jobIds.has(p.jobId) || !clusterIds.has(p.clusterId)) && unknown++ < 3) {
        out.warning(
          'unknown-previous-placement',
          `stability.previous[${k}]`,
          `refers to ${jobIds.has(p.jobId) ? '' : `unknown job "${p.jobId}" `}${clusterIds.has(p.clusterId) ? '' : `unknown cluster "${p.clusterId}"`}; ignored`,
        );
      }
    });
  }
  return out.issues;
}
