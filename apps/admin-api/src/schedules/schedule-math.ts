/**
 * Pure figures of stored schedules, computed from their placements and the prices they assumed:
 * per-cell costs, diffs between two schedules and savings over a time range. No IO.
 */
import { savingsAgainst } from '#gridshift/placement';
import { cellPrice, type SchedulePricing } from './pricing.js';

const KWH_PER_MWH = 1000;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** GPU-hours of one schedule in one cluster and slot (summed over jobs). */
export interface CellAggregate {
  clusterId: string;
  slotStartMs: number;
  gpus: number;
  gpuHours: number;
  jobs: number;
}

export interface CostFigures {
  gpuHours: number;
  energyMwh: number;
  energyCost: number;
  carbonCost: number;
  /** energyCost + carbonCost. */
  cost: number;
}

export interface CostedCell extends CellAggregate {
  energyMwh: number;
  energyCost: number;
  carbonCost: number;
  cost: number;
  priced: boolean;
}

const zero = (): CostFigures => ({ gpuHours: 0, energyMwh: 0, energyCost: 0, carbonCost: 0, cost: 0 });
const add = (sum: CostFigures, c: CostFigures) => {
  sum.gpuHours += c.gpuHours;
  sum.energyMwh += c.energyMwh;
  sum.energyCost += c.energyCost;
  sum.carbonCost += c.carbonCost;
  sum.cost += c.cost;
};

/** Costs every cell with the schedule's own prices; cells without a price count as unpriced (cost 0). */
export function costCells(
  cells: readonly CellAggregate[],
  pricing: SchedulePricing | null,
): { cells: CostedCell[]; byCluster: Map<string, CostFigures>; totals: CostFigures; unpricedCells: number } {
  const byCluster = new Map<string, CostFigures>();
  const totals = zero();
  let unpricedCells = 0;
  const costed = cells.map((cell) => {
    const price = cellPrice(pricing, cell.clusterId, cell.slotStartMs);
    if (!price) unpricedCells += 1;
    const energyCost = price ? cell.gpuHours * price.energyCostPerGpuHour : 0;
    const carbonCost = price ? cell.gpuHours * price.carbonCostPerGpuHour : 0;
    const out: CostedCell = {
      ...cell,
      energyMwh: price ? (cell.gpuHours * price.kwhPerGpuHour) / KWH_PER_MWH : 0,
      energyCost,
      carbonCost,
      cost: energyCost + carbonCost,
      priced: price !== undefined,
    };
    let cluster = byCluster.get(cell.clusterId);
    if (!cluster) byCluster.set(cell.clusterId, (cluster = zero()));
    add(cluster, out);
    add(totals, out);
    return out;
  });
  return { cells: costed, byCluster, totals, unpricedCells };
}

// ---- diff ---------------------------------------------------------------------------------------------------

/** One (job, cluster, slot) whose GPU-hours differ between the base (published) and the candidate schedule. */
export interface ChangedCell {
  jobId: string;
  clusterId: string;
  slotStartMs: number;
  beforeGpuHours: number;
  afterGpuHours: number;
}

export interface JobMove {
  jobId: string;
  /** GPU-hours the base had in cells where the candidate has less (work moved away or dropped). */
  movedGpuHours: number;
  /** GPU-hours the candidate adds in cells where the base had less. */
  addedGpuHours: number;
  /** Σ (after − before) × cost per GPU-hour of the cell. */
  costDelta: number;
  clusters: { clusterId: string; removedGpuHours: number; addedGpuHours: number }[];
}

/**
 * Which jobs move where. `price(cluster, slot)` is the cost of one GPU-hour used for both sides (the
 * candidate's prices), so the delta isolates the effect of the moves.
 */
export function summarizeMoves(
  changed: readonly ChangedCell[],
  price: (clusterId: string, slotStartMs: number) => number | undefined,
): { jobs: JobMove[]; movedGpuHours: number; addedGpuHours: number; unpricedCells: number } {
  const jobs = new Map<string, JobMove & { byCluster: Map<string, { removed: number; added: number }> }>();
  let moved = 0;
  let added = 0;
  let unpricedCells = 0;
  for (const c of changed) {
    let job = jobs.get(c.jobId);
    if (!job) {
      job = {
        jobId: c.jobId,
        movedGpuHours: 0,
        addedGpuHours: 0,
        costDelta: 0,
        clusters: [],
        byCluster: new Map(),
      };
      jobs.set(c.jobId, job);
    }
    const removed = Math.max(0, c.beforeGpuHours - c.afterGpuHours);
    const gained = Math.max(0, c.afterGpuHours - c.beforeGpuHours);
    job.movedGpuHours += removed;
    job.addedGpuHours += gained;
    moved += removed;
    added += gained;
    const p = price(c.clusterId, c.slotStartMs);
    if (p === undefined) unpricedCells += 1;
    else job.costDelta += (c.afterGpuHours - c.beforeGpuHours) * p;
    let cluster = job.byCluster.get(c.clusterId);
    if (!cluster) job.byCluster.set(c.clusterId, (cluster = { removed: 0, added: 0 }));
    cluster.removed += removed;
    cluster.added += gained;
  }
  const list = [...jobs.values()].map(({ byCluster, ...job }) => ({
    ...job,
    clusters: [...byCluster.entries()]
      .map(([clusterId, v]) => ({ clusterId, removedGpuHours: v.removed, addedGpuHours: v.added }))
      .sort((a, b) => a.clusterId.localeCompare(b.clusterId)),
  }));
  // Biggest moves first; ties by id so pages are stable.
  list.sort(
    (a, b) =>
      b.movedGpuHours + b.addedGpuHours - (a.movedGpuHours + a.addedGpuHours) ||
      a.jobId.localeCompare(b.jobId),
  );
  return { jobs: list, movedGpuHours: moved, addedGpuHours: added, unpricedCells };
}

// ---- savings over a time range ------------------------------------------------------------------------------

/** A delivered plan (published, possibly superseded since). */
export interface DeliveredSchedule {
  id: string;
  version: number;
  horizonStartMs: number;
  horizonEndMs: number;
  slotMinutes: number;
  publishedAtMs: number;
}

/**
 * The slots in [fromMs, toMs) in which each schedule was in force: a slot of schedule `s` counts for `s`
 * when no higher version that covers the slot was published before the slot ended, and `s` itself was.
 * Returns scheduleId → slot starts (ms), ascending.
 */
export function effectiveSlots(
  schedules: readonly DeliveredSchedule[],
  fromMs: number,
  toMs: number,
): Map<string, number[]> {
  const byVersion = [...schedules].sort((a, b) => b.version - a.version);
  const out = new Map<string, number[]>();
  for (const s of byVersion) {
    const slotMs = s.slotMinutes * 60_000;
    const slots: number[] = [];
    for (let t = s.horizonStartMs; t < s.horizonEndMs; t += slotMs) {
      if (t < fromMs || t >= toMs) continue;
      const end = t + slotMs;
      if (s.publishedAtMs >= end) continue;
      const overridden = byVersion.some(
        (o) => o.version > s.version && o.horizonStartMs <= t && t < o.horizonEndMs && o.publishedAtMs < end,
      );
      if (!overridden) slots.push(t);
    }
    if (slots.length > 0) out.set(s.id, slots);
  }
  return out;
}

/** The figures of a baseline (or of a schedule) that savings compare: `savingsAgainst`'s input. */
export interface ComparedFigures {
  energyCost: number;
  carbonCost: number;
  penaltyCost: number;
  servedGpuHours: number;
}

/** The compared figures of stored ScheduleTotals; null when a figure other than carbon cost is missing. */
export function comparedFigures(totals: Record<string, unknown> | null): ComparedFigures | null {
  if (!totals) return null;
  const energyCost = num(totals.energyCost);
  const penaltyCost = num(totals.penaltyCost);
  const servedGpuHours = num(totals.servedGpuHours);
  if (energyCost === null || penaltyCost === null || servedGpuHours === null) return null;
  return { energyCost, carbonCost: num(totals.carbonCost) ?? 0, penaltyCost, servedGpuHours };
}

/** What a delivered schedule contributes to a savings report. */
export interface ScheduleSavingsInput {
  id: string;
  version: number;
  slotCount: number;
  /** The schedule's stored totals over its whole horizon (energy, carbon, penalty, served GPU-hours). */
  totals: ComparedFigures;
  home: ComparedFigures | null;
  greedy: ComparedFigures | null;
  /** Costed cells of its effective slots only. */
  effectiveCells: readonly CostedCell[];
  /** Starts (ms) of its effective slots. */
  effectiveSlotStartsMs: readonly number[];
}

/**
 * A schedule's part (some of its slots) against one baseline: the baseline's figures attributed to those
 * slots, and the saving when the schedule serves no more work than the baseline (else amount and pct null).
 */
export interface BaselinePart {
  comparable: boolean;
  baselineServedGpuHours: number;
  /** Baseline energy + carbon + penalty cost attributed to the part; null when not comparable. */
  baselineCost: number | null;
  /** Baseline energy + carbon cost attributed to the part (the denominator of pct). */
  baselineEnergyCarbonCost: number;
  amount: number | null;
  pct: number | null;
}

export interface SavingsPart {
  gpuHours: number;
  /** Energy + carbon cost of the placements + attributed penalty cost (the cost savings compare). */
  cost: number;
  vsHome: BaselinePart | null;
  vsGreedy: BaselinePart | null;
}

export interface ScheduleSavings extends SavingsPart {
  id: string;
  version: number;
  effectiveSlots: number;
  /** Share of the schedule's served GPU-hours that ran in its effective slots (slot share if it served none). */
  share: number;
  energyMwh: number;
  energyCost: number;
  carbonCost: number;
  /** The same figures per UTC day (`YYYY-MM-DD`), attributed per slot by the same rule. */
  byDay: Map<string, SavingsPart>;
}

const scaled = (f: ComparedFigures, weight: number): ComparedFigures => ({
  energyCost: f.energyCost * weight,
  carbonCost: f.carbonCost * weight,
  penaltyCost: f.penaltyCost * weight,
  servedGpuHours: f.servedGpuHours * weight,
});

/**
 * Savings of one delivered schedule over its effective slots. Energy and carbon cost are exact (placements ×
 * the schedule's prices); the baselines' figures (cost and served GPU-hours) and the schedule's penalty cost
 * are not stored per slot, so each effective slot gets the share of the schedule's served GPU-hours that ran
 * in it (or 1/slotCount when the schedule served nothing). Whether a baseline is comparable is decided once
 * for the whole schedule (`savingsAgainst` on the stored totals) and holds for every part of it. A schedule
 * in force for its whole horizon gets exactly its stored savings.
 */
export function scheduleSavings(input: ScheduleSavingsInput): ScheduleSavings {
  const exact = zero();
  const bySlot = new Map<number, CostFigures>();
  for (const slot of input.effectiveSlotStartsMs) bySlot.set(slot, zero());
  for (const cell of input.effectiveCells) {
    add(exact, cell);
    const slot = bySlot.get(cell.slotStartMs);
    if (slot) add(slot, cell);
  }
  const served = input.totals.servedGpuHours;
  const weightOf = (figures: CostFigures) =>
    served > 0 ? figures.gpuHours / served : input.slotCount > 0 ? 1 / input.slotCount : 0;
  const wholeComparable = {
    home: input.home !== null && savingsAgainst(input.home, input.totals).comparable,
    greedy: input.greedy !== null && savingsAgainst(input.greedy, input.totals).comparable,
  };
  const attribute = (figures: CostFigures, weight: number): SavingsPart => {
    const schedule: ComparedFigures = {
      energyCost: figures.energyCost,
      carbonCost: figures.carbonCost,
      penaltyCost: input.totals.penaltyCost * weight,
      servedGpuHours: figures.gpuHours,
    };
    const against = (baseline: ComparedFigures | null, comparable: boolean): BaselinePart | null => {
      if (baseline === null) return null;
      const b = scaled(baseline, weight);
      const saving = savingsAgainst(b, schedule);
      const ok = comparable && saving.comparable;
      return {
        comparable: ok,
        baselineServedGpuHours: b.servedGpuHours,
        baselineCost: ok ? b.energyCost + b.carbonCost + b.penaltyCost : null,
        baselineEnergyCarbonCost: b.energyCost + b.carbonCost,
        amount: ok ? saving.amount : null,
        pct: ok ? saving.pct : null,
      };
    };
    return {
      gpuHours: figures.gpuHours,
      cost: schedule.energyCost + schedule.carbonCost + schedule.penaltyCost,
      vsHome: against(input.home, wholeComparable.home),
      vsGreedy: against(input.greedy, wholeComparable.greedy),
    };
  };
  const byDay = new Map<string, SavingsPart>();
  const dayFigures = new Map<string, { figures: CostFigures; weight: number }>();
  let share = 0;
  for (const [slotMs, figures] of bySlot) {
    const weight = weightOf(figures);
    share += weight;
    const day = new Date(slotMs).toISOString().slice(0, 10);
    const seen = dayFigures.get(day);
    if (!seen) dayFigures.set(day, { figures: { ...figures }, weight });
    else {
      add(seen.figures, figures);
      seen.weight += weight;
    }
  }
  for (const [day, { figures, weight }] of dayFigures) byDay.set(day, attribute(figures, weight));
  return {
    id: input.id,
    version: input.version,
    effectiveSlots: input.effectiveSlotStartsMs.length,
    share,
    energyMwh: exact.energyMwh,
    energyCost: exact.energyCost,
    carbonCost: exact.carbonCost,
    ...attribute(exact, share),
    byDay,
  };
}

/** Savings against one baseline summed over schedules' parts (a day's, or the whole range's). */
export interface BaselineSum {
  /** False when any part's baseline served less work than the schedule (or was not stored). */
  comparable: boolean;
  /** Schedules left out of the sums below: their baseline served less work, or none was stored. */
  excludedSchedules: number;
  /** Baseline served GPU-hours attributed to every part (excluded ones too). */
  baselineServedGpuHours: number;
  /** GPU-hours and cost of the compared (comparable) parts only. */
  comparedGpuHours: number;
  comparedCost: number;
  /** Σ baseline cost of the compared parts; null when none was compared. */
  baselineCost: number | null;
  /** Σ amount of the compared parts (= baselineCost − comparedCost); null when none was compared. */
  amount: number | null;
  /** amount ÷ |Σ baseline energy + carbon cost of the compared parts| × 100; null when none or 0. */
  pct: number | null;
}

/** Sums the parts of several schedules against one baseline: only comparable parts count towards savings. */
export function sumBaselineParts(
  parts: readonly (readonly [SavingsPart, BaselinePart | null])[],
): BaselineSum {
  const sum = {
    excludedSchedules: 0,
    baselineServedGpuHours: 0,
    comparedGpuHours: 0,
    comparedCost: 0,
    baselineCost: 0,
    baselineEnergyCarbonCost: 0,
    amount: 0,
    compared: 0,
  };
  for (const [part, baseline] of parts) {
    if (baseline) sum.baselineServedGpuHours += baseline.baselineServedGpuHours;
    if (!baseline?.comparable || baseline.amount === null || baseline.baselineCost === null) {
      sum.excludedSchedules += 1;
      continue;
    }
    sum.compared += 1;
    sum.comparedGpuHours += part.gpuHours;
    sum.comparedCost += part.cost;
    sum.baselineCost += baseline.baselineCost;
    sum.baselineEnergyCarbonCost += baseline.baselineEnergyCarbonCost;
    sum.amount += baseline.amount;
  }
  const none = sum.compared === 0;
  return {
    comparable: sum.excludedSchedules === 0,
    excludedSchedules: sum.excludedSchedules,
    baselineServedGpuHours: sum.baselineServedGpuHours,
    comparedGpuHours: sum.comparedGpuHours,
    comparedCost: sum.comparedCost,
    baselineCost: none ? null : sum.baselineCost,
    amount: none ? null : sum.amount,
    pct:
      none || sum.baselineEnergyCarbonCost === 0
        ? null
        : (sum.amount / Math.abs(sum.baselineEnergyCarbonCost)) * 100,
  };
}
