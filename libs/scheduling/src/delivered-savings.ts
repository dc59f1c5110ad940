/**
 * Savings of delivered schedules over a time range (the admin API's savings report), from their stored
 * placements priced at their own snapshot prices (`repricing.ts`) and their stored baselines. Pure: no IO.
 */
import { savingsAgainst } from '#gridshift/placement';
import { finiteNumberOrNull } from './json-values.js';
import { addCostFigures, zeroCostFigures, type CostedCell, type CostFigures } from './repricing.js';

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
  const energyCost = finiteNumberOrNull(totals.energyCost);
  const penaltyCost = finiteNumberOrNull(totals.penaltyCost);
  const servedGpuHours = finiteNumberOrNull(totals.servedGpuHours);
  if (energyCost === null || penaltyCost === null || servedGpuHours === null) return null;
  return { energyCost, carbonCost: finiteNumberOrNull(totals.carbonCost) ?? 0, penaltyCost, servedGpuHours };
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
  const exact = zeroCostFigures();
  const bySlot = new Map<number, CostFigures>();
  for (const slot of input.effectiveSlotStartsMs) bySlot.set(slot, zeroCostFigures());
  for (const cell of input.effectiveCells) {
    addCostFigures(exact, cell);
    const slot = bySlot.get(cell.slotStartMs);
    if (slot) addCostFigures(slot, cell);
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
      addCostFigures(seen.figures, figures);
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
