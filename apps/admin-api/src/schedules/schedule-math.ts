/**
 * Pure figures of stored schedules, computed from their placements and the prices they assumed:
 * per-cell costs, diffs between two schedules and savings over a time range. No IO.
 */
import { cellPrice, type SchedulePricing } from './pricing.js';

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
      energyMwh: price ? (cell.gpuHours * price.kwhPerGpuHour) / 1000 : 0,
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

/** What a delivered schedule contributes to a savings report. */
export interface ScheduleSavingsInput {
  id: string;
  version: number;
  slotCount: number;
  /** GPU-hours the whole schedule serves (Σ of its placements). */
  servedGpuHours: number;
  /** Penalty + stability cost of the whole schedule (not tied to a cell). */
  otherCost: number;
  homeTotalCost: number | null;
  greedyTotalCost: number | null;
  /** Costed cells of its effective slots only. */
  effectiveCells: readonly CostedCell[];
  /** Starts (ms) of its effective slots. */
  effectiveSlotStartsMs: readonly number[];
}

export interface SavingsFigures {
  cost: number;
  homeCost: number | null;
  greedyCost: number | null;
  savingsVsHome: number | null;
  savingsVsGreedy: number | null;
}

export interface ScheduleSavings extends SavingsFigures {
  id: string;
  version: number;
  effectiveSlots: number;
  /** Share of the schedule's served GPU-hours that ran in its effective slots (slot share if it served none). */
  share: number;
  gpuHours: number;
  energyMwh: number;
  energyCost: number;
  carbonCost: number;
  /** The same figures per UTC day (`YYYY-MM-DD`), attributed per slot by the same rule. */
  byDay: Map<string, SavingsFigures & { gpuHours: number }>;
}

/**
 * Savings of one delivered schedule over its effective slots. Energy and carbon cost are exact (placements ×
 * the schedule's prices); the baselines' totals and the schedule's penalty + stability cost are not stored
 * per slot, so each effective slot gets the share of the schedule's served GPU-hours that ran in it (or
 * 1/slotCount when the schedule served nothing). A schedule in force for its whole horizon gets exactly its
 * stored savings.
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
  const byWork = input.servedGpuHours > 0;
  const weightOf = (figures: CostFigures) =>
    byWork ? figures.gpuHours / input.servedGpuHours : input.slotCount > 0 ? 1 / input.slotCount : 0;
  const attribute = (figures: CostFigures, weight: number) => {
    const cost = figures.cost + input.otherCost * weight;
    const homeCost = input.homeTotalCost === null ? null : input.homeTotalCost * weight;
    const greedyCost = input.greedyTotalCost === null ? null : input.greedyTotalCost * weight;
    return {
      cost,
      homeCost,
      greedyCost,
      savingsVsHome: homeCost === null ? null : homeCost - cost,
      savingsVsGreedy: greedyCost === null ? null : greedyCost - cost,
    };
  };
  const byDay = new Map<string, SavingsFigures & { gpuHours: number }>();
  let share = 0;
  for (const [slotMs, figures] of bySlot) {
    const weight = weightOf(figures);
    share += weight;
    const day = new Date(slotMs).toISOString().slice(0, 10);
    const part = attribute(figures, weight);
    const seen = byDay.get(day);
    if (!seen) byDay.set(day, { ...part, gpuHours: figures.gpuHours });
    else {
      seen.gpuHours += figures.gpuHours;
      seen.cost += part.cost;
      seen.homeCost = seen.homeCost === null || part.homeCost === null ? null : seen.homeCost + part.homeCost;
      seen.greedyCost =
        seen.greedyCost === null || part.greedyCost === null ? null : seen.greedyCost + part.greedyCost;
      seen.savingsVsHome = seen.homeCost === null ? null : seen.homeCost - seen.cost;
      seen.savingsVsGreedy = seen.greedyCost === null ? null : seen.greedyCost - seen.cost;
    }
  }
  return {
    id: input.id,
    version: input.version,
    effectiveSlots: input.effectiveSlotStartsMs.length,
    share,
    gpuHours: exact.gpuHours,
    energyMwh: exact.energyMwh,
    energyCost: exact.energyCost,
    carbonCost: exact.carbonCost,
    ...attribute(exact, share),
    byDay,
  };
}

/** Savings as a percentage of the baseline cost; null when the baseline is 0 or unknown. */
export function savingsPct(savings: number | null, baseline: number | null): number | null {
  if (savings === null || baseline === null || baseline === 0) return null;
  return (savings / Math.abs(baseline)) * 100;
}
