import type { NormalizedProblem } from './normalize.js';
import type { ScheduleTotals, Savings } from './result.js';

/** A job-level schedule as one map per job: cell (r·T + t) → GPU-hours of work (`toJobMaps`, for tie-breaking). */
export type JobFlows = Map<number, number>[];

/**
 * A job-level schedule, flat (no object per job or entry: a fleet-size schedule has ~10⁵–10⁶ entries): job j's
 * entries are k in `start[j] .. start[j + 1]`, each a cell (r·T + t) and its GPU-hours `value[k]`; cells ascend
 * within a job, each at most once.
 */
export interface JobSchedule {
  start: Int32Array;
  cell: Int32Array;
  value: Float64Array;
}

/** A whole-GPU schedule's entries, flat as in `JobSchedule`: per entry the GPUs reserved and the GPU-hours of work. */
export interface WholeGpuEntries {
  start: Int32Array;
  cell: Int32Array;
  gpus: Float64Array;
  work: Float64Array;
}

/**
 * Collects (job, cell, a, b) entries in any order into the flat per-job layout: entries are counted per job,
 * placed by a counting sort, sorted by cell within each job (jobs hold few cells) and merged where a job holds a
 * cell twice (a and b summed). `b` is optional (0).
 */
export class EntryCollector {
  private jobs: Int32Array;
  private cells: Int32Array;
  private as: Float64Array;
  private bs: Float64Array;
  private size = 0;

  /** `capacity`: expected entries (grows by doubling beyond it). */
  constructor(
    readonly jobCount: number,
    capacity = 1024,
  ) {
    const size = Math.max(16, capacity);
    this.jobs = new Int32Array(size);
    this.cells = new Int32Array(size);
    this.as = new Float64Array(size);
    this.bs = new Float64Array(size);
  }

  add(job: number, cell: number, a: number, b = 0): void {
    if (this.size === this.jobs.length) this.grow();
    const k = this.size++;
    this.jobs[k] = job;
    this.cells[k] = cell;
    this.as[k] = a;
    this.bs[k] = b;
  }

  private grow(): void {
    const size = this.jobs.length * 2;
    const copy = <A extends Int32Array | Float64Array>(from: A, to: A): A => {
      to.set(from);
      return to;
    };
    this.jobs = copy(this.jobs, new Int32Array(size));
    this.cells = copy(this.cells, new Int32Array(size));
    this.as = copy(this.as, new Float64Array(size));
    this.bs = copy(this.bs, new Float64Array(size));
  }

  /** The entries per job, cells ascending, duplicates merged. */
  finish(): { start: Int32Array; cell: Int32Array; a: Float64Array; b: Float64Array } {
    const n = this.size;
    const start = new Int32Array(this.jobCount + 1);
    for (let k = 0; k < n; k++) start[this.jobs[k]! + 1]!++;
    for (let j = 0; j < this.jobCount; j++) start[j + 1] = start[j + 1]! + start[j]!;
    const fill = start.slice(0, this.jobCount);
    const cell = new Int32Array(n);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const p = fill[this.jobs[k]!]!++;
      cell[p] = this.cells[k]!;
      a[p] = this.as[k]!;
      b[p] = this.bs[k]!;
    }
    // Per job: insertion sort by cell (stable), then merge equal cells in place and close the gaps.
    let out = 0;
    for (let j = 0; j < this.jobCount; j++) {
      const from = start[j]!;
      const to = start[j + 1]!;
      for (let i = from + 1; i < to; i++) {
        const c = cell[i]!;
        const x = a[i]!;
        const y = b[i]!;
        let h = i - 1;
        while (h >= from && cell[h]! > c) {
          cell[h + 1] = cell[h]!;
          a[h + 1] = a[h]!;
          b[h + 1] = b[h]!;
          h--;
        }
        cell[h + 1] = c;
        a[h + 1] = x;
        b[h + 1] = y;
      }
      start[j] = out;
      for (let i = from; i < to; i++) {
        if (out > start[j]! && cell[out - 1] === cell[i]) {
          a[out - 1] = a[out - 1]! + a[i]!;
          b[out - 1] = b[out - 1]! + b[i]!;
          continue;
        }
        cell[out] = cell[i]!;
        a[out] = a[i]!;
        b[out] = b[i]!;
        out++;
      }
    }
    start[this.jobCount] = out;
    return { start, cell: cell.subarray(0, out), a: a.subarray(0, out), b: b.subarray(0, out) };
  }

  /** The entries as a `JobSchedule` (values: a). */
  schedule(): JobSchedule {
    const { start, cell, a } = this.finish();
    return { start, cell, value: a };
  }
}

/** `schedule` as one map per job (what `orderTies` works on). */
export function toJobMaps(schedule: JobSchedule): JobFlows {
  const maps: JobFlows = [];
  for (let j = 0; j + 1 < schedule.start.length; j++) {
    const map = new Map<number, number>();
    for (let k = schedule.start[j]!; k < schedule.start[j + 1]!; k++)
      map.set(schedule.cell[k]!, schedule.value[k]!);
    maps.push(map);
  }
  return maps;
}

/** One map per job as a `JobSchedule`. */
export function fromJobMaps(flows: JobFlows): JobSchedule {
  const collector = new EntryCollector(flows.length);
  flows.forEach((cells, j) => {
    for (const [cell, value] of cells) collector.add(j, cell, value);
  });
  return collector.schedule();
}

/** The GPU-hours of job j in `cell` (0 when it holds none). */
export function valueAt(schedule: JobSchedule, j: number, cell: number): number {
  for (let k = schedule.start[j]!; k < schedule.start[j + 1]!; k++)
    if (schedule.cell[k] === cell) return schedule.value[k]!;
  return 0;
}

const KWH_PER_MWH = 1000;
const SECONDS_PER_HOUR = 3600;

/** Energy, cost, carbon, penalties, stability and tokens of a job-level schedule. Pure. */
export function accountSchedule(norm: NormalizedProblem, flows: JobSchedule): ScheduleTotals {
  const T = norm.slotCount;
  const carbonPrice = norm.problem.carbonPricePerTonne ?? 0;
  let energyKwh = 0;
  let energyCost = 0;
  let carbonTonnes = 0;
  let penaltyCost = 0;
  let served = 0;
  let unserved = 0;
  let moved = 0;
  let tokens = 0;
  let tokenCost = 0;
  let anyTokenRate = false;
  const { start, cell: cells, value } = flows;
  norm.jobs.forEach((job, j) => {
    let jobServed = 0;
    let jobCost = 0;
    for (let k = start[j]!; k < start[j + 1]!; k++) {
      const cell = cells[k]!;
      const gpuHours = value[k]!;
      const cluster = norm.clusters[Math.floor(cell / T)];
      if (!cluster) continue;
      const t = cell % T;
      jobServed += gpuHours;
      energyKwh += gpuHours * cluster.energyKwhPerGpuHour;
      const cost = gpuHours * (cluster.energyCostPerGpuHour[t] ?? 0);
      const tonnes = gpuHours * (cluster.carbonTonnesPerGpuHour[t] ?? 0);
      energyCost += cost;
      carbonTonnes += tonnes;
      jobCost += cost + carbonPrice * tonnes;
    }
    served += jobServed;
    const jobUnserved = Math.max(0, job.demandGpuHours - jobServed);
    unserved += jobUnserved;
    penaltyCost += jobUnserved * job.penaltyPerGpuHour;
    if (job.previous && norm.stabilityCostPerGpuHour > 0) {
      for (const [cell, prev] of job.previous) moved += Math.max(0, prev - valueAt(flows, j, cell));
    }
    if (job.tokensPerSecondPerGpu !== null) {
      anyTokenRate = true;
      tokens += jobServed * job.tokensPerSecondPerGpu * SECONDS_PER_HOUR;
      tokenCost += jobCost;
    }
  });
  const carbonCost = carbonPrice * carbonTonnes;
  const stabilityCost = moved * norm.stabilityCostPerGpuHour;
  const tokensMillions = anyTokenRate ? tokens / 1e6 : null;
  return {
    energyMwh: energyKwh / KWH_PER_MWH,
    energyCost,
    carbonTonnes,
    carbonCost,
    penaltyCost,
    stabilityCost,
    totalCost: energyCost + carbonCost + penaltyCost + stabilityCost,
    servedGpuHours: served,
    unservedGpuHours: unserved,
    movedGpuHours: moved,
    tokensMillions,
    costPerMillionTokens: tokensMillions !== null && tokensMillions > 0 ? tokenCost / tokensMillions : null,
  };
}

/**
 * Share of the schedule's served GPU-hours a baseline may serve less and still be compared (0.1 %). In that case
 * the baseline's missing work is costed at its own average energy + carbon cost per GPU-hour (and penalties are
 * left out on both sides), so both sides pay for the same work; beyond it the comparison is refused.
 */
export const SAME_WORK_TOLERANCE = 1e-3;
/** Float noise below which two GPU-hour totals are the same work. */
const SAME_WORK_EPS = 1e-9;

type Comparable = Pick<ScheduleTotals, 'energyCost' | 'carbonCost' | 'penaltyCost' | 'servedGpuHours'>;

/**
 * Savings of `schedule` against `baseline` (see `Savings`). When the baseline serves at least the schedule's
 * work: amount = baseline − schedule on energy + carbon + penalty cost. When it serves less by at most
 * `SAME_WORK_TOLERANCE`: amount = baseline energy + carbon × (schedule's served ÷ baseline's served) − the
 * schedule's energy + carbon. Beyond: not comparable, amount and pct null. pct is of the baseline's energy +
 * carbon cost. Pure; used by the engine, the planner, the admin API and the backtest.
 */
export function savingsAgainst(baseline: Comparable, schedule: Comparable): Savings {
  const served = schedule.servedGpuHours;
  const gap = served - baseline.servedGpuHours;
  const scale = Math.max(1, Math.abs(served));
  const comparable = gap <= SAME_WORK_TOLERANCE * scale;
  const base = { comparable, baselineServedGpuHours: baseline.servedGpuHours, servedGpuHours: served };
  if (!comparable) return { amount: null, pct: null, ...base };
  const energy = (t: Comparable) => t.energyCost + t.carbonCost;
  const baselineEnergy = energy(baseline);
  const amount =
    gap <= SAME_WORK_EPS * scale
      ? baselineEnergy + baseline.penaltyCost - energy(schedule) - schedule.penaltyCost
      : (baseline.servedGpuHours > 0 ? (baselineEnergy * served) / baseline.servedGpuHours : 0) -
        energy(schedule);
  return { amount, pct: baselineEnergy === 0 ? null : (amount / Math.abs(baselineEnergy)) * 100, ...base };
}
