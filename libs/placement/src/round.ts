// Rounding a fractional placement to whole GPUs (repair, re-solve with whole-GPU capacities, checks): one
// algorithm whose steps share the Rounding state, documented on the types below.
import { EntryCollector, type JobSchedule, type WholeGpuEntries } from './account.js';
import { sortedCellsByCost } from './baselines.js';
import type { NormalizedProblem, NormJob } from './normalize.js';

/**
 * Whole-GPU schedule: per job, its cells with the GPUs reserved and the GPU-hours of work (≤ GPUs × Δt), flat
 * (`entries`); `work` is the same entries as a `JobSchedule` of work (shares the arrays).
 */
export interface RoundedSchedule {
  entries: WholeGpuEntries;
  work: JobSchedule;
  /** GPU-hours the rounding could not place anywhere (become shortfall with reason `rounding`). */
  lostGpuHours: Float64Array;
}

const FRACTION_EPS = 1e-9;
/** The collected (job, cell, GPUs, work) entries as a `RoundedSchedule`'s entries and work. */
export function wholeGpuSchedule(collected: EntryCollector): { entries: WholeGpuEntries; work: JobSchedule } {
  const { start, cell, a, b } = collected.finish();
  return { entries: { start, cell, gpus: a, work: b }, work: { start, cell, value: b } };
}

/** A fractional schedule as a `RoundedSchedule` holding no GPUs (`wholeGpus: false`). */
export function fractionalSchedule(flows: JobSchedule, jobCount: number): RoundedSchedule {
  return {
    entries: {
      start: flows.start,
      cell: flows.cell,
      gpus: new Float64Array(flows.cell.length),
      work: flows.value,
    },
    work: flows,
    lostGpuHours: new Float64Array(jobCount),
  };
}

/** Up to this many job × slot pairs both rounding candidates are laid out (see roundToWholeGpus). */
const LAY_BOTH_MAX_JOB_SLOTS = 50_000;

/**
 * A job's cells in the rounded schedule: parallel arrays searched linearly (see `Rounding.indexOf` for the job
 * being settled). Jobs touch few cells, so this beats a Map and creates far less garbage at fleet size.
 */
class JobCells {
  readonly cells: number[] = [];
  readonly gpus: number[] = [];
  readonly work: number[] = [];
  indexOf(cell: number): number {
    const cells = this.cells;
    for (let k = 0; k < cells.length; k++) if (cells[k] === cell) return k;
    return -1;
  }
}

/**
 * The whole-GPU schedule being built, and the bookkeeping that keeps it valid: per cell the GPUs in use
 * (`used` ≤ `capGpus`, the cell's whole GPUs after the power cap), per (job, slot) the job's GPUs
 * (≤ maxGpus), and per job its cells with GPUs reserved and GPU-hours of work (work ≤ GPUs × Δt).
 * Every mutation goes through `addGpus` / `addWork` (or `plan` + `apply`), which is what lets the
 * rounding phases keep capacity, power cap and maxGpus by construction.
 */
class Rounding {
  readonly T: number;
  readonly slotHours: number;
  readonly used: Int32Array;
  readonly jobCells: JobCells[];
  /** GPUs per (job, slot), flat: j·T + t. */
  readonly slotGpus: Int32Array;
  readonly cellsFor: (job: NormJob) => Int32Array;
  /** Whole GPUs and cost per GPU-hour per cell (flat copies for the hot loops). */
  readonly capGpus: Int32Array;
  readonly cellCost: Float64Array;
  readonly penalties: Float64Array;
  /** Per slot t, the clusters cheapest first (ties: lower index): slotOrder[t·R .. t·R + R). */
  private readonly slotOrder: Int32Array;
  /** Scratch of `plan`: 1 for the clusters the job may use. */
  private readonly allowedMark: Uint8Array;
  /** Scratch of `plan`: whole GPUs planned per slot (zero between calls). */
  private readonly plannedInSlot: Float64Array;
  /** The moves of the last `plan`, flat (`apply` reads them). */
  private moveCell = new Int32Array(16);
  private moveGpuHours = new Float64Array(16);
  private moveExtraGpus = new Float64Array(16);
  private moveCount = 0;
  /** The job whose cells are indexed in `focusIndex` (index + 1 per cell, 0 = none), or -1. */
  private focusJob = -1;
  private readonly focusIndex: Int32Array;

  constructor(
    readonly norm: NormalizedProblem,
    jobCount: number,
    cellsFor: (job: NormJob) => Int32Array,
  ) {
    const T = norm.slotCount;
    const R = norm.clusters.length;
    this.T = T;
    this.slotHours = norm.slotHours;
    this.used = new Int32Array(R * T);
    this.jobCells = Array.from({ length: jobCount }, () => new JobCells());
    this.slotGpus = new Int32Array(jobCount * T);
    this.cellsFor = cellsFor;
    this.capGpus = new Int32Array(this.used.length);
    this.cellCost = new Float64Array(this.used.length);
    norm.clusters.forEach((cluster, r) => {
      this.capGpus.set(cluster.capGpus, r * T);
      this.cellCost.set(cluster.costPerGpuHour, r * T);
    });
    this.penalties = Float64Array.from(norm.jobs, (job) => job.penaltyPerGpuHour);
    this.slotOrder = new Int32Array(R * T);
    const clusters = Array.from({ length: R }, (_v, r) => r);
    for (let t = 0; t < T; t++) {
      clusters.sort((a, b) => this.cost(a * T + t) - this.cost(b * T + t) || a - b);
      this.slotOrder.set(clusters, t * R);
    }
    this.allowedMark = new Uint8Array(R);
    this.plannedInSlot = new Float64Array(T);
    this.focusIndex = new Int32Array(R * T);
  }

  cap(cell: number): number {
    return this.capGpus[cell] ?? 0;
  }

  cost(cell: number): number {
    return this.cellCost[cell] ?? 0;
  }

  /** Indexes job j's cells so `indexOf(j, ·)` is one read until `unfocus` (for the phase that plans per job). */
  focus(j: number): void {
    this.unfocus();
    const own = this.jobCells[j];
    if (!own) return;
    this.focusJob = j;
    for (let k = 0; k < own.cells.length; k++) this.focusIndex[own.cells[k]!] = k + 1;
  }

  unfocus(): void {
    const own = this.jobCells[this.focusJob];
    if (own) for (const cell of own.cells) this.focusIndex[cell] = 0;
    this.focusJob = -1;
  }

  /** Position of `cell` in job j's cells, -1 when it holds none there. */
  indexOf(j: number, cell: number): number {
    if (j === this.focusJob) return this.focusIndex[cell]! - 1;
    return this.jobCells[j]?.indexOf(cell) ?? -1;
  }

  /** Position of `cell` in job j's cells, added (no GPUs, no work) when missing. */
  private slot(j: number, own: JobCells, cell: number): number {
    let k = this.indexOf(j, cell);
    if (k < 0) {
      k = own.cells.length;
      own.cells.push(cell);
      own.gpus.push(0);
      own.work.push(0);
      if (j === this.focusJob) this.focusIndex[cell] = k + 1;
    }
    return k;
  }

  addGpus(j: number, cell: number, count: number): void {
    const t = cell % this.T;
    this.used[cell] = (this.used[cell] ?? 0) + count;
    this.slotGpus[j * this.T + t] = (this.slotGpus[j * this.T + t] ?? 0) + count;
    const own = this.jobCells[j];
    if (!own) return;
    const k = this.slot(j, own, cell);
    own.gpus[k] = (own.gpus[k] ?? 0) + count;
  }

  /** `addGpus(j, cell, count)` then `addWork(j, cell, gpuHours)`, finding the job's cell once. */
  addGpusAndWork(j: number, cell: number, count: number, gpuHours: number): void {
    const t = cell % this.T;
    this.used[cell] = (this.used[cell] ?? 0) + count;
    this.slotGpus[j * this.T + t] = (this.slotGpus[j * this.T + t] ?? 0) + count;
    const own = this.jobCells[j];
    if (!own) return;
    const k = this.slot(j, own, cell);
    own.gpus[k] = (own.gpus[k] ?? 0) + count;
    own.work[k] = (own.work[k] ?? 0) + gpuHours;
  }

  addWork(j: number, cell: number, gpuHours: number): void {
    const own = this.jobCells[j];
    if (!own) return;
    const k = this.slot(j, own, cell);
    own.work[k] = (own.work[k] ?? 0) + gpuHours;
  }

  /** Spare work capacity of the job's own GPUs at position k of its cells (-1: none). */
  private slackAt(own: JobCells | undefined, k: number): number {
    if (!own || k < 0) return 0;
    return Math.max(0, (own.gpus[k] ?? 0) * this.slotHours - (own.work[k] ?? 0));
  }

  /** The rounded schedule, flat: cells with GPUs or work (work below float noise counts as none). */
  toSchedule(): { entries: WholeGpuEntries; work: JobSchedule } {
    const tiny = FRACTION_EPS * this.slotHours;
    let entries = 0;
    for (const own of this.jobCells) entries += own.cells.length;
    const out = new EntryCollector(this.jobCells.length, entries);
    this.jobCells.forEach((own, j) => {
      const { cells, gpus, work } = own;
      for (let k = 0; k < cells.length; k++) {
        const held = gpus[k]!;
        const done = work[k]! > tiny ? work[k]! : 0;
        if (held > 0 || done > 0) out.add(j, cells[k]!, held, done);
      }
    });
    return wholeGpuSchedule(out);
  }

  freeGpus(j: number, cell: number): number {
    const job = this.norm.jobs[j];
    if (!job) return 0;
    const inSlot = this.slotGpus[j * this.T + (cell % this.T)] ?? 0;
    return Math.max(0, Math.min(this.cap(cell) - (this.used[cell] ?? 0), job.maxGpus - inSlot));
  }

  /**
   * Plans to place `amount` GPU-hours of job j in its cheapest cells with room (own slack first, then
   * free GPUs), cheaper than its penalty, optionally only in `slot`; returns the GPU-hours planned. The
   * moves are kept for `apply`, which must follow before the next `plan`.
   */
  plan(j: number, amount: number, slot: number): number {
    const job = this.norm.jobs[j];
    this.moveCount = 0;
    if (!job) return 0;
    const eps = FRACTION_EPS * this.slotHours;
    const penalty = job.penaltyPerGpuHour;
    let left = amount;
    if (slot >= 0) {
      // The job's allowed cells in this slot, cheapest first (ties: lower cluster).
      const R = this.allowedMark.length;
      for (const r of job.allowed) this.allowedMark[r] = 1;
      for (let i = slot * R; i < slot * R + R; i++) {
        const r = this.slotOrder[i]!;
        if (this.allowedMark[r] === 0) continue;
        const cell = r * this.T + slot;
        if (left <= eps) break;
        if ((this.cellCost[cell] ?? 0) >= penalty) break;
        left -= this.take(j, cell, left);
      }
      for (const r of job.allowed) this.allowedMark[r] = 0;
    } else {
      for (const cell of this.cellsFor(job)) {
        if (left <= eps) break;
        if ((this.cellCost[cell] ?? 0) >= penalty) break;
        left -= this.take(j, cell, left);
      }
    }
    for (let m = 0; m < this.moveCount; m++) this.plannedInSlot[this.moveCell[m]! % this.T] = 0;
    return amount - left;
  }

  /** One cell of `plan`: what job j can put there of `left` GPU-hours (0 if nothing), recorded as a move. */
  private take(j: number, cell: number, left: number): number {
    const own = this.jobCells[j];
    const k = this.indexOf(j, cell);
    // Full cell where the job holds no GPU: nothing to gain (the common case in tight fleets).
    if ((this.used[cell] ?? 0) >= (this.capGpus[cell] ?? 0) && k < 0) return 0;
    const t = cell % this.T;
    const slack = this.slackAt(own, k);
    const free = Math.max(0, this.freeGpus(j, cell) - this.plannedInSlot[t]!);
    const take = Math.min(left, slack + free * this.slotHours);
    if (!(take > FRACTION_EPS * this.slotHours)) return 0;
    const extraGpus = Math.max(0, Math.ceil((take - slack) / this.slotHours - FRACTION_EPS));
    this.plannedInSlot[t] = this.plannedInSlot[t]! + extraGpus;
    if (this.moveCount === this.moveCell.length) this.growMoves();
    const m = this.moveCount++;
    this.moveCell[m] = cell;
    this.moveGpuHours[m] = take;
    this.moveExtraGpus[m] = extraGpus;
    return take;
  }

  private growMoves(): void {
    const size = this.moveCell.length * 2;
    const cell = new Int32Array(size);
    const gpuHours = new Float64Array(size);
    const extraGpus = new Float64Array(size);
    cell.set(this.moveCell);
    gpuHours.set(this.moveGpuHours);
    extraGpus.set(this.moveExtraGpus);
    this.moveCell = cell;
    this.moveGpuHours = gpuHours;
    this.moveExtraGpus = extraGpus;
  }

  /** Applies the last `plan`'s moves for job j. */
  apply(j: number): void {
    for (let m = 0; m < this.moveCount; m++) {
      const cell = this.moveCell[m]!;
      const extraGpus = this.moveExtraGpus[m]!;
      if (extraGpus > 0) this.addGpus(j, cell, extraGpus);
      this.addWork(j, cell, this.moveGpuHours[m]!);
    }
    this.moveCount = 0;
  }
}

/** Growable flat store of fractional pieces grouped per (job, slot). */
class Groups {
  job: number[] = [];
  slot: number[] = [];
  fraction: number[] = [];
  key: number[] = [];
  /** Pieces of group g: pieceCell / pieceFraction[pieceStart[g] .. pieceStart[g] + pieceCount[g]). */
  pieceStart: number[] = [];
  pieceCount: number[] = [];
  pieceCell: number[] = [];
}

/**
 * Indices of `key` by key descending, ties in index order: the order of sorting the indices with
 * `(a, b) => key[b] - key[a] || a - b`, but with the engine's numeric sort (no comparator call per step).
 * Each index goes to (number of greater keys) + (indices with an equal key before it); a binary search
 * in the ascending keys counts the greater ones. Keys must not be NaN.
 */
export function descendingOrder(key: Float64Array): Uint32Array {
  const n = key.length;
  const ascending = Float64Array.from(key).sort();
  const taken = new Int32Array(n);
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const v = key[k]!;
    // First position whose key is greater than v.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ascending[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    const first = n - lo;
    order[first + taken[first]!++] = k;
  }
  return order;
}

/** The three rounding phases over a set of jobs; `leftover` carries GPU-hours between them. */
class Placer {
  readonly groups: Record<'interactive' | 'batch', Groups> = {
    interactive: new Groups(),
    batch: new Groups(),
  };
  readonly leftover = new Map<number, number>();

  constructor(
    readonly state: Rounding,
    readonly flows: JobSchedule,
    readonly lost: Float64Array,
    /** Work per GPU-hour of `flows` per (job, slot), flat j·T + t (interactive flows that reserve whole GPUs); null: 1. */
    readonly ratios: Float64Array | null,
  ) {}

  workRatio(j: number, t: number): number {
    return this.ratios ? this.ratios[j * this.state.T + t]! : 1;
  }

  penalty(j: number): number {
    return this.state.penalties[j] ?? 0;
  }

  addLeftover(j: number, gpuHours: number): void {
    this.leftover.set(j, (this.leftover.get(j) ?? 0) + gpuHours);
  }

  /** Whether piece cell `a` sorts after `b` in `floors`: by slot, then cost, then cell. */
  private after(a: number, b: number): boolean {
    const T = this.state.T;
    return ((a % T) - (b % T) || this.state.cost(a) - this.state.cost(b) || a - b) > 0;
  }

  /** Phase 1: ⌊GPUs⌋ everywhere (clamped to free GPUs); fractional parts grouped per (job, slot). */
  floors(jobs: number[]): void {
    const { state, flows } = this;
    const { T, slotHours } = state;
    const cells: number[] = [];
    const fractions: number[] = [];
    for (const j of jobs) {
      cells.length = 0;
      fractions.length = 0;
      state.focus(j);
      for (let e = flows.start[j]!; e < flows.start[j + 1]!; e++) {
        const cell = flows.cell[e]!;
        const gpuHours = flows.value[e]!;
        if (!(gpuHours > 0)) continue;
        const exact = gpuHours / slotHours;
        let whole = Math.floor(exact + FRACTION_EPS);
        const fraction = exact - whole;
        const free = state.freeGpus(j, cell);
        const ratio = this.workRatio(j, cell % T);
        if (whole > free) {
          // Only when the input does not fit whole GPUs (fallback schedules): move the excess.
          this.addLeftover(j, (whole - free) * slotHours * ratio);
          whole = free;
        }
        if (whole > 0) state.addGpusAndWork(j, cell, whole, Math.min(gpuHours, whole * slotHours) * ratio);
        if (fraction > FRACTION_EPS) {
          cells.push(cell);
          fractions.push(fraction);
        }
      }
      state.unfocus();
      if (cells.length === 0) continue;
      // Group by slot, pieces of a group cheapest cell first: insertion sort (stable; a job has few pieces).
      for (let i = 1; i < cells.length; i++) {
        const cell = cells[i]!;
        const fraction = fractions[i]!;
        let h = i - 1;
        while (h >= 0 && this.after(cells[h]!, cell)) {
          cells[h + 1] = cells[h]!;
          fractions[h + 1] = fractions[h]!;
          h--;
        }
        cells[h + 1] = cell;
        fractions[h + 1] = fraction;
      }
      const g = this.groups[state.norm.jobs[j]?.kind ?? 'batch'];
      let current = -1;
      for (let k = 0; k < cells.length; k++) {
        const cell = cells[k]!;
        const t = cell % T;
        if (t !== current) {
          current = t;
          g.job.push(j);
          g.slot.push(t);
          g.fraction.push(0);
          g.key.push(0);
          g.pieceStart.push(g.pieceCell.length);
          g.pieceCount.push(0);
        }
        const last = g.job.length - 1;
        g.pieceCell.push(cell);
        g.pieceCount[last] = (g.pieceCount[last] ?? 0) + 1;
        g.fraction[last] = (g.fraction[last] ?? 0) + (fractions[k] ?? 0);
        g.key[last] = (state.penalties[j] ?? 0) * (g.fraction[last] ?? 0);
      }
    }
  }

  /** Phase 2: each (job, slot) group takes ⌈Σ fractions⌉ GPUs in its cheapest cells, most penalty first. */
  roundUp(kind: 'interactive' | 'batch'): void {
    const { state } = this;
    const slotHours = state.slotHours;
    const g = this.groups[kind];
    const key = Float64Array.from(g.key);
    const order = descendingOrder(key);
    for (const k of order) {
      const j = g.job[k] ?? 0;
      const ratio = this.workRatio(j, g.slot[k] ?? 0);
      let left = (g.fraction[k] ?? 0) * slotHours;
      const start = g.pieceStart[k] ?? 0;
      const end = start + (g.pieceCount[k] ?? 0);
      for (let p = start; p < end; p++) {
        const cell = g.pieceCell[p] ?? 0;
        while (left > FRACTION_EPS * slotHours && state.freeGpus(j, cell) >= 1) {
          const take = Math.min(left, slotHours);
          state.addGpusAndWork(j, cell, 1, take * ratio);
          left -= take;
        }
      }
      if (left > FRACTION_EPS * slotHours) this.addLeftover(j, left * ratio);
    }
  }

  /** Phase 3: leftovers to own slack / free GPUs (interactive: same slot, may free a batch GPU). */
  settle(kind: 'interactive' | 'batch'): void {
    const { state, flows } = this;
    const { T, slotHours, norm } = state;
    const jobs = [...this.leftover.keys()].filter((j) => norm.jobs[j]?.kind === kind);
    jobs.sort((a, b) => this.penalty(b) - this.penalty(a) || a - b);
    const want = new Float64Array(T);
    for (const j of jobs) {
      const job = norm.jobs[j];
      const amount = this.leftover.get(j) ?? 0;
      this.leftover.delete(j);
      if (!job || !(amount > FRACTION_EPS * slotHours)) continue;
      let placed = 0;
      state.focus(j);
      if (kind === 'batch') {
        placed = state.plan(j, amount, -1);
        state.apply(j);
      } else {
        // Interactive work stays in its slot: per slot, place what is still missing.
        want.fill(0);
        for (let e = flows.start[j]!; e < flows.start[j + 1]!; e++) {
          const t = flows.cell[e]! % T;
          want[t] = want[t]! + flows.value[e]! * this.workRatio(j, t);
        }
        const own = state.jobCells[j];
        if (own) {
          for (let k = 0; k < own.cells.length; k++) {
            const t = own.cells[k]! % T;
            want[t] = want[t]! - own.work[k]!;
          }
        }
        for (let t = 0; t < T; t++) {
          const missing = want[t]!;
          if (!(missing > FRACTION_EPS * slotHours)) continue;
          placed += state.plan(j, missing, t);
          state.apply(j);
        }
      }
      state.unfocus();
      const lostHere = amount - placed;
      if (lostHere > FRACTION_EPS * slotHours) this.lost[j] = (this.lost[j] ?? 0) + lostHere;
    }
  }
}

/**
 * Lays a fractional schedule (`flows`, GPU-hours per job and cell) onto whole GPUs, in this order:
 * floors everywhere, then ⌈Σ fractions⌉ per (job, slot) for interactive jobs and settling their
 * leftovers in the same slot, then the same for batch jobs (leftovers anywhere in the window). Work per
 * reserved GPU-hour is `ratios[j·T + t]` (null: 1; else demanded / reserved for a whole-GPU re-solve's
 * interactive flows). Returns the schedule, what could not be placed per job, and its energy + carbon +
 * penalty cost, which decides between rounding candidates. Pure.
 */
function lay(
  norm: NormalizedProblem,
  flows: JobSchedule,
  ratios: Float64Array | null,
  cellsFor: (job: NormJob) => Int32Array,
): { state: Rounding; lostGpuHours: Float64Array; cost: number } {
  const state = new Rounding(norm, norm.jobs.length, cellsFor);
  const lostGpuHours = new Float64Array(norm.jobs.length);
  const interactive: number[] = [];
  const batch: number[] = [];
  norm.jobs.forEach((job) => (job.kind === 'interactive' ? interactive : batch).push(job.index));
  const placer = new Placer(state, flows, lostGpuHours, ratios);
  placer.floors(interactive);
  placer.floors(batch);
  placer.roundUp('interactive');
  placer.settle('interactive');
  placer.roundUp('batch');
  placer.settle('batch');
  // Energy + carbon + penalty of the rounded work decide between candidates (stability is accounted
  // exactly afterwards).
  let cost = 0;
  for (let j = 0; j < state.jobCells.length; j++) {
    const own = state.jobCells[j]!;
    const job = norm.jobs[j];
    if (!job) continue;
    let served = 0;
    for (let k = 0; k < own.cells.length; k++) {
      const v = own.work[k]!;
      served += v;
      cost += v * state.cellCost[own.cells[k]!]!;
    }
    cost += Math.max(0, job.demandGpuHours - served) * job.penaltyPerGpuHour;
  }
  return { state, lostGpuHours, cost };
}

/**
 * A re-solve for rounding: the same problem on whole GPUs (capacity ⌊GPUs⌋) where each interactive
 * job asks for ⌈servable GPUs⌉ per slot, so the optimiser itself makes room for whole-GPU interactive
 * reservations. Returns the job-level schedule (interactive flows = reserved GPU-hours) or null.
 */
export type WholeGpuResolver = (wholeNorm: NormalizedProblem) => JobSchedule | null;

/** The problem as seen by `WholeGpuResolver` (see there). Pure. */
export function wholeGpuProblem(norm: NormalizedProblem): NormalizedProblem {
  const hours = norm.slotHours;
  return {
    ...norm,
    clusters: norm.clusters.map((cluster) => ({
      ...cluster,
      capGpuHours: Float64Array.from(cluster.capGpus, (g) => g * hours),
    })),
    jobs: norm.jobs.map((job) => {
      if (!job.servableBySlot) return job;
      // Object.assign keeps the job's hidden class (a spread would not, and costs more at fleet size).
      const copy: NormJob = Object.assign({}, job);
      copy.servableBySlot = job.servableBySlot.map((d) => Math.ceil(d / hours - FRACTION_EPS) * hours);
      return copy;
    }),
  };
}

/**
 * Rounds a fractional schedule to whole GPUs, keeping capacity (whole GPUs, power cap), maxGpus and
 * windows. Candidates, the cheapest wins (A only up to LAY_BOTH_MAX_JOB_SLOTS job-slots when B exists):
 *  A. the LP schedule laid onto whole GPUs (`Placer`: floors, then per (job, slot) ⌈Σ fractions⌉
 *     GPUs in its cheapest cells — interactive first, as it cannot move in time — then leftovers to
 *     the job's own slack or free GPUs: same slot for interactive, any window slot for batch);
 *  B. with `resolve`: the whole-GPU re-solve (`wholeGpuProblem`) laid the same way, interactive work
 *     scaled back from reserved to demanded GPU-hours.
 * Rounding up keeps the work unchanged (the extra GPU finishes early). The LP optimum stays a lower
 * bound of the result, so the rounding cost is ≥ 0. Pure.
 */
export function roundToWholeGpus(
  norm: NormalizedProblem,
  flows: JobSchedule,
  resolve?: WholeGpuResolver,
): RoundedSchedule {
  // Candidate A is rarely better than B on large fleets (measured: never above a few thousand jobs),
  // so it is only tried when it is cheap or B is not available.
  const tryBoth = !resolve || norm.jobs.length * norm.slotCount <= LAY_BOTH_MAX_JOB_SLOTS;
  // Per job once (both candidates ask for the same jobs' cells).
  const byCost = sortedCellsByCost(norm);
  const cellsByJob = new Array<Int32Array | undefined>(norm.jobs.length);
  const cellsFor = (job: NormJob): Int32Array => (cellsByJob[job.index] ??= byCost(job));
  let best = tryBoth ? lay(norm, flows, null, cellsFor) : null;
  if (resolve) {
    const whole = wholeGpuProblem(norm);
    const wholeFlows = resolve(whole);
    if (wholeFlows) {
      // Demanded / reserved GPU-hours per interactive (job, slot), 1 elsewhere; flat j·T + t.
      const T = norm.slotCount;
      const ratios = new Float64Array(norm.jobs.length * T).fill(1);
      norm.jobs.forEach((job, j) => {
        const real = job.servableBySlot;
        const asked = whole.jobs[j]?.servableBySlot;
        if (!real || !asked) return;
        for (let t = 0; t < T; t++) if (asked[t]! > 0) ratios[j * T + t] = real[t]! / asked[t]!;
      });
      const candidate = lay(norm, wholeFlows, ratios, cellsFor);
      if (!best || candidate.cost < best.cost) best = candidate;
    }
  }
  best ??= lay(norm, flows, null, cellsFor);
  return { ...best.state.toSchedule(), lostGpuHours: best.lostGpuHours };
}
