import {
  cellCostPerGpuHour,
  clusterAllowed,
  jobDemand,
  jobPenalty,
  jobWindow,
  kwhPerGpuHour,
  previousGpuHours,
  usableGpus,
} from './independent-rules.js';
import type { PlacementProblem } from './model.js';
import type { PlacementResult, ScheduleTotals } from './result.js';

/** A constraint a returned schedule breaks. */
export interface PlacementViolation {
  code:
    | 'unknown-ref'
    | 'not-allowed'
    | 'outside-window'
    | 'negative'
    | 'not-whole'
    | 'work-exceeds-gpus'
    | 'capacity'
    | 'power-cap'
    | 'parallelism'
    | 'over-served'
    | 'job-figures'
    | 'totals';
  message: string;
}

interface Sums {
  lp: number;
  work: number;
  gpus: number;
}

function close(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Independent check of a result against the raw problem: every placement allowed and inside its window,
 * capacity / power cap / maxGpus / demand respected by both the LP and the whole-GPU schedule, job
 * figures consistent, and totals equal to a recomputation from the placements. Empty list = valid.
 * Shares no code with the solver's own normalisation.
 */
export function checkPlacement(
  problem: PlacementProblem,
  result: PlacementResult,
  opts: { relTolerance?: number } = {},
): PlacementViolation[] {
  const rel = opts.relTolerance ?? 1e-6;
  const out: PlacementViolation[] = [];
  const report = (code: PlacementViolation['code'], message: string) => {
    if (out.length < 50) out.push({ code, message });
  };
  const T = problem.slotStartsUtc.length;
  const hours = problem.slotMinutes / 60;
  const jobs = new Map(problem.jobs.map((j) => [j.id, j]));
  const clusters = new Map(problem.clusters.map((c) => [c.id, c]));
  const byCell = new Map<string, Sums>();
  const byJobSlot = new Map<string, Sums>();
  const byJob = new Map<string, Sums>();
  const add = (map: Map<string, Sums>, key: string, lp: number, work: number, gpus: number) => {
    const s = map.get(key) ?? { lp: 0, work: 0, gpus: 0 };
    s.lp += lp;
    s.work += work;
    s.gpus += gpus;
    map.set(key, s);
  };

  for (const p of result.placements) {
    const job = jobs.get(p.jobId);
    const cluster = clusters.get(p.clusterId);
    if (!job || !cluster || !(p.slotIndex >= 0 && p.slotIndex < T)) {
      report('unknown-ref', `placement ${p.jobId}@${p.clusterId}#${p.slotIndex} refers to nothing known`);
      continue;
    }
    const where = `${p.jobId}@${p.clusterId} slot ${p.slotIndex}`;
    if (p.slotStartUtc !== problem.slotStartsUtc[p.slotIndex])
      report('unknown-ref', `${where}: wrong slotStartUtc`);
    if (p.lpGpuHours < -1e-9 || p.gpuHours < -1e-9 || p.gpus < 0)
      report('negative', `${where}: negative amount`);
    if (!Number.isInteger(p.gpus)) report('not-whole', `${where}: ${p.gpus} GPUs is not whole`);
    if (p.gpuHours > p.gpus * hours * (1 + rel) + 1e-9) {
      report('work-exceeds-gpus', `${where}: ${p.gpuHours} GPU-h of work on ${p.gpus} GPUs × ${hours} h`);
    }
    const used = p.lpGpuHours > 1e-9 || p.gpuHours > 1e-9 || p.gpus > 0;
    if (used && !clusterAllowed(job, cluster))
      report('not-allowed', `${where}: cluster not allowed for the job`);
    const { from, to } = jobWindow(job, T);
    if (used && (p.slotIndex < from || p.slotIndex >= to))
      report('outside-window', `${where}: outside [${from}, ${to})`);
    add(byCell, `${p.clusterId}|${p.slotIndex}`, p.lpGpuHours, p.gpuHours, p.gpus);
    add(byJobSlot, `${p.jobId}|${p.slotIndex}`, p.lpGpuHours, p.gpuHours, p.gpus);
    add(byJob, p.jobId, p.lpGpuHours, p.gpuHours, p.gpus);
  }

  for (const [key, s] of byCell) {
    const [id, slot] = key.split('|');
    const cluster = clusters.get(id ?? '');
    const t = Number(slot);
    if (!cluster) continue;
    const gpus = usableGpus(cluster, t);
    const capGpuHours = gpus * hours;
    if (s.lp > capGpuHours * (1 + rel) + 1e-9)
      report('capacity', `${key}: LP uses ${s.lp} of ${capGpuHours} GPU-h`);
    if (s.gpus > Math.floor(gpus + 1e-9))
      report('capacity', `${key}: ${s.gpus} GPUs > ${Math.floor(gpus + 1e-9)} usable`);
    const capKw = cluster.powerCapKw?.[t];
    if (capKw !== undefined && capKw !== null && s.gpus * kwhPerGpuHour(cluster) > capKw * (1 + rel) + 1e-9) {
      report(
        'power-cap',
        `${key}: ${s.gpus} GPUs draw ${s.gpus * kwhPerGpuHour(cluster)} kW > cap ${capKw} kW`,
      );
    }
  }
  for (const [key, s] of byJobSlot) {
    const job = jobs.get(key.split('|')[0] ?? '');
    if (!job) continue;
    if (s.gpus > job.maxGpus) report('parallelism', `${key}: ${s.gpus} GPUs > maxGpus ${job.maxGpus}`);
    if (s.lp > job.maxGpus * hours * (1 + rel) + 1e-9)
      report('parallelism', `${key}: LP ${s.lp} GPU-h > maxGpus × Δt`);
    if (job.kind === 'interactive') {
      const d = job.demandGpuHours[Number(key.split('|')[1])] ?? 0;
      if (s.lp > d * (1 + rel) + 1e-9 || s.work > d * (1 + rel) + 1e-9) {
        report('over-served', `${key}: serves more than the slot's demand ${d}`);
      }
    }
  }

  const penaltyOf = new Map(problem.jobs.map((j) => [j.id, jobPenalty(problem, j)]));
  for (const jr of result.jobs) {
    const job = jobs.get(jr.jobId);
    if (!job) {
      report('unknown-ref', `job result ${jr.jobId} has no job`);
      continue;
    }
    const demand = jobDemand(job);
    const s = byJob.get(jr.jobId) ?? { lp: 0, work: 0, gpus: 0 };
    if (s.lp > demand * (1 + rel) + 1e-9 || s.work > demand * (1 + rel) + 1e-9) {
      report('over-served', `${jr.jobId}: serves more than its demand ${demand}`);
    }
    if (!close(jr.servedGpuHours, s.work, rel) || !close(jr.demandGpuHours, demand, rel)) {
      report('job-figures', `${jr.jobId}: served ${jr.servedGpuHours} ≠ placements ${s.work}`);
    }
    if (!close(jr.shortfall.gpuHours, Math.max(0, demand - s.work), rel)) {
      report('job-figures', `${jr.jobId}: shortfall ${jr.shortfall.gpuHours} ≠ demand − served`);
    }
    const byReason = jr.shortfall.reasons.reduce((a, r) => a + r.gpuHours, 0);
    if (!close(byReason, jr.shortfall.gpuHours, rel)) {
      report(
        'job-figures',
        `${jr.jobId}: shortfall reasons add to ${byReason}, not ${jr.shortfall.gpuHours}`,
      );
    }
  }
  if (result.jobs.length !== problem.jobs.length) report('job-figures', 'not one job result per job');

  const recompute = (pick: 'lp' | 'work'): { totalCost: number; energyMwh: number; unserved: number } => {
    let cost = 0;
    let energyKwh = 0;
    const served = new Map<string, number>();
    const cellValue = new Map<string, number>();
    for (const p of result.placements) {
      const cluster = clusters.get(p.clusterId);
      if (!cluster) continue;
      const v = pick === 'lp' ? p.lpGpuHours : p.gpuHours;
      cost += v * cellCostPerGpuHour(problem, cluster, p.slotIndex);
      energyKwh += v * kwhPerGpuHour(cluster);
      served.set(p.jobId, (served.get(p.jobId) ?? 0) + v);
      cellValue.set(`${p.jobId}|${p.clusterId}|${p.slotIndex}`, v);
    }
    let unserved = 0;
    for (const job of problem.jobs) {
      const u = Math.max(0, jobDemand(job) - (served.get(job.id) ?? 0));
      unserved += u;
      cost += u * (penaltyOf.get(job.id) ?? 0);
    }
    const sigma = problem.stability?.costPerGpuHourMoved ?? 0;
    for (const [jobId, cells] of previousGpuHours(problem)) {
      if (!jobs.has(jobId)) continue;
      for (const [key, prev] of cells)
        cost += sigma * Math.max(0, prev - (cellValue.get(`${jobId}|${key}`) ?? 0));
    }
    return { totalCost: cost, energyMwh: energyKwh / 1000, unserved };
  };
  const compare = (name: string, totals: ScheduleTotals, pick: 'lp' | 'work') => {
    const mine = recompute(pick);
    if (!close(mine.totalCost, totals.totalCost, rel)) {
      report('totals', `${name}.totalCost ${totals.totalCost} ≠ recomputed ${mine.totalCost}`);
    }
    if (!close(mine.energyMwh, totals.energyMwh, rel)) {
      report('totals', `${name}.energyMwh ${totals.energyMwh} ≠ recomputed ${mine.energyMwh}`);
    }
    if (!close(mine.unserved, totals.unservedGpuHours, rel)) {
      report('totals', `${name}.unservedGpuHours ${totals.unservedGpuHours} ≠ recomputed ${mine.unserved}`);
    }
  };
  compare('totals', result.totals, 'work');
  if (result.lpBound) compare('lpBound', result.lpBound, 'lp');
  return out;
}
