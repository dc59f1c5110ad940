import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type CellTotalsRow, PlacementCellRepository, ScheduleRepository } from '#gridshift/persistence';
import {
  comparedFigures,
  costCells,
  effectiveSlots,
  finiteNumberOrNull,
  recordOrNull,
  type SavingsPart,
  scheduleSavings,
  type ScheduleSavings,
  sumBaselineParts,
} from '#gridshift/scheduling';
import { ScheduleFactsCache } from '../schedules/schedule-facts.cache.js';
import type { SavingsReport } from './savings.schemas.js';

const METHOD =
  'Each slot counts once, under the schedule in force: the highest delivered (published) plan version that covers the slot ' +
  'and was published before the slot ended. Energy and carbon cost are exact: placements of those slots × the prices in the ' +
  'schedule’s input snapshot. The baselines’ figures (cost, served GPU-hours) and the schedule’s penalty cost are stored per ' +
  'schedule, not per slot, so each slot gets them in proportion to the share of the schedule’s served GPU-hours that ran in ' +
  'it. Savings compare energy + carbon + penalty cost of the same work (the stability cost is left out); a schedule whose ' +
  'baseline serves less work than it does is not comparable: it is left out of that baseline’s sums and counted in ' +
  'excludedSchedules, and every day and total it falls in says comparable: false.';

const figuresOf = (parts: readonly SavingsPart[]) => ({
  gpuHours: parts.reduce((sum, p) => sum + p.gpuHours, 0),
  cost: parts.reduce((sum, p) => sum + p.cost, 0),
  vsHome: sumBaselineParts(parts.map((p) => [p, p.vsHome] as const)),
  vsGreedy: sumBaselineParts(parts.map((p) => [p, p.vsGreedy] as const)),
});

/** Savings over a time range, from delivered schedules' placements (see METHOD). */
@Injectable()
export class SavingsReporter {
  private readonly schedules: ScheduleRepository;
  private readonly cells: PlacementCellRepository;

  constructor(
    db: DataSource,
    private readonly cache: ScheduleFactsCache,
  ) {
    this.schedules = new ScheduleRepository(db);
    this.cells = new PlacementCellRepository(db);
  }

  /** The report over [from, to). */
  async report(from: Date, to: Date): Promise<SavingsReport> {
    const delivered = await this.schedules.deliveredPlans(from, to);
    const effective = effectiveSlots(delivered, from.getTime(), to.getTime());
    const pairs = [...effective.entries()].flatMap(([scheduleId, slots]) =>
      slots.map((slotStartMs) => ({ scheduleId, slotStartMs })),
    );
    const cellsBySchedule = new Map<string, CellTotalsRow[]>();
    for (const cell of await this.cells.totalsOfSlots(pairs)) {
      const list = cellsBySchedule.get(cell.scheduleId);
      if (list) list.push(cell);
      else cellsBySchedule.set(cell.scheduleId, [cell]);
    }
    const currencies = new Set<string>();
    const perSchedule: ScheduleSavings[] = [];
    let coveredHours = 0;
    for (const s of delivered) {
      const slots = effective.get(s.id);
      if (!slots) continue;
      coveredHours += (slots.length * s.slotMinutes) / 60;
      const pricing = await this.cache.pricing(s.id);
      const currency = typeof s.totals.currency === 'string' ? s.totals.currency : pricing?.currency;
      if (currency) currencies.add(currency);
      const costed = costCells(cellsBySchedule.get(s.id) ?? [], pricing);
      perSchedule.push(
        scheduleSavings({
          id: s.id,
          version: s.version,
          slotCount: Math.round((s.horizonEndMs - s.horizonStartMs) / (s.slotMinutes * 60_000)),
          // Energy and carbon of the report come from the cells; a missing stored figure counts 0.
          totals: {
            energyCost: finiteNumberOrNull(s.totals.energyCost) ?? 0,
            carbonCost: finiteNumberOrNull(s.totals.carbonCost) ?? 0,
            penaltyCost: finiteNumberOrNull(s.totals.penaltyCost) ?? 0,
            servedGpuHours: finiteNumberOrNull(s.totals.servedGpuHours) ?? 0,
          },
          home: comparedFigures(recordOrNull(s.baselines.home)),
          greedy: comparedFigures(recordOrNull(s.baselines.greedy)),
          effectiveCells: costed.cells,
          effectiveSlotStartsMs: slots,
        }),
      );
    }
    const byDay = new Map<string, SavingsPart[]>();
    for (const s of perSchedule) {
      for (const [day, part] of s.byDay) {
        const list = byDay.get(day);
        if (list) list.push(part);
        else byDay.set(day, [part]);
      }
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      currency: currencies.size === 1 ? [...currencies][0]! : null,
      currencies: [...currencies].sort(),
      method: METHOD,
      schedules: perSchedule.length,
      rangeHours: (to.getTime() - from.getTime()) / 3_600_000,
      coveredHours,
      totals: {
        ...figuresOf(perSchedule),
        energyMwh: perSchedule.reduce((sum, s) => sum + s.energyMwh, 0),
        energyCost: perSchedule.reduce((sum, s) => sum + s.energyCost, 0),
        carbonCost: perSchedule.reduce((sum, s) => sum + s.carbonCost, 0),
      },
      byDay: [...byDay.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([date, parts]) => ({ date, ...figuresOf(parts) })),
      bySchedule: perSchedule.map((s) => ({
        id: s.id,
        version: s.version,
        effectiveSlots: s.effectiveSlots,
        share: s.share,
        ...figuresOf([s]),
      })),
    };
  }
}
