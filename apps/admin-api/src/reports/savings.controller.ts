import { Controller, Get, Injectable, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Requires } from '../auth/roles.js';
import { q } from '../http/query.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { ScheduleViews } from '../schedules/schedule-views.js';
import {
  costCells,
  effectiveSlots,
  savingsPct,
  scheduleSavings,
  type ScheduleSavings,
} from '../schedules/schedule-math.js';
import { ScheduleStore } from '../schedules/schedule.store.js';

const MAX_DAYS = 92;

export const SavingsQuery = z
  .strictObject({
    from: q.time().describe('Slots starting at or after (RFC 3339).'),
    to: q.time().describe(`Slots starting before; at most ${MAX_DAYS} days after from.`),
  })
  .refine((v) => v.to > v.from && v.to.getTime() - v.from.getTime() <= MAX_DAYS * 86_400_000, {
    message: `to must be after from and at most ${MAX_DAYS} days later`,
    path: ['to'],
  });

const Figures = {
  gpuHours: z.number(),
  cost: z
    .number()
    .describe('Energy + carbon cost of the placements that ran, + attributed penalty and stability cost.'),
  homeCost: z.number().nullable(),
  greedyCost: z.number().nullable(),
  savingsVsHome: z.number().nullable(),
  savingsVsGreedy: z.number().nullable(),
};

export const SavingsReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    currency: z.string().nullable(),
    currencies: z
      .array(z.string())
      .describe('More than one means the schedules mixed currencies; sums are then meaningless.'),
    method: z.string(),
    schedules: z.number().int(),
    rangeHours: z.number(),
    coveredHours: z.number().describe('Hours in the range with a delivered schedule in force.'),
    totals: z.object({
      ...Figures,
      energyMwh: z.number(),
      energyCost: z.number(),
      carbonCost: z.number(),
      savingsVsHomePct: z.number().nullable(),
      savingsVsGreedyPct: z.number().nullable(),
    }),
    byDay: z.array(z.object({ date: z.string(), ...Figures })),
    bySchedule: z.array(
      z.object({
        id: z.string(),
        version: z.number().int(),
        effectiveSlots: z.number().int(),
        share: z.number(),
        ...Figures,
      }),
    ),
  })
  .meta({
    example: {
      from: '2024-03-01T00:00:00.000Z',
      to: '2024-03-02T00:00:00.000Z',
      currency: 'EUR',
      currencies: ['EUR'],
      method: 'each slot counts once, under the highest delivered version published before the slot ended …',
      schedules: 3,
      rangeHours: 24,
      coveredHours: 24,
      totals: {
        gpuHours: 251000,
        cost: 17900.2,
        homeCost: 21960.5,
        greedyCost: 18420.7,
        savingsVsHome: 4060.3,
        savingsVsGreedy: 520.5,
        energyMwh: 207.8,
        energyCost: 17900.2,
        carbonCost: 0,
        savingsVsHomePct: 18.5,
        savingsVsGreedyPct: 2.8,
      },
      byDay: [
        {
          date: '2024-03-01',
          gpuHours: 251000,
          cost: 17900.2,
          homeCost: 21960.5,
          greedyCost: 18420.7,
          savingsVsHome: 4060.3,
          savingsVsGreedy: 520.5,
        },
      ],
      bySchedule: [
        {
          id: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
          version: 42,
          effectiveSlots: 12,
          share: 0.5,
          gpuHours: 125500,
          cost: 8950.1,
          homeCost: 10980.2,
          greedyCost: 9210.3,
          savingsVsHome: 2030.1,
          savingsVsGreedy: 260.2,
        },
      ],
    },
  });
export type SavingsReport = z.infer<typeof SavingsReportSchema>;

const METHOD =
  'Each slot counts once, under the schedule in force: the highest delivered (published) plan version that covers the slot ' +
  'and was published before the slot ended. Energy and carbon cost are exact: placements of those slots × the prices in the ' +
  'schedule’s input snapshot. Baseline costs and the penalty/stability cost are stored per schedule, not per slot, so each ' +
  'slot gets them in proportion to the share of the schedule’s served GPU-hours that ran in it.';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const get = (o: Record<string, unknown>, key: string): Record<string, unknown> | null => {
  const v = o[key];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
};

/** Savings over a time range, from delivered schedules' placements (see METHOD). */
@Injectable()
export class SavingsReporter {
  constructor(
    private readonly store: ScheduleStore,
    private readonly views: ScheduleViews,
  ) {}

  /** The report over [from, to). */
  async report(from: Date, to: Date): Promise<SavingsReport> {
    const delivered = await this.store.delivered(from, to);
    const effective = effectiveSlots(delivered, from.getTime(), to.getTime());
    const pairs = [...effective.entries()].flatMap(([scheduleId, slots]) =>
      slots.map((slotStartMs) => ({ scheduleId, slotStartMs })),
    );
    const cellsBySchedule = new Map<string, Awaited<ReturnType<ScheduleStore['cellsOfSlots']>>>();
    for (const cell of await this.store.cellsOfSlots(pairs)) {
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
      const pricing = await this.views.pricing(s.id);
      const currency = typeof s.totals.currency === 'string' ? s.totals.currency : pricing?.currency;
      if (currency) currencies.add(currency);
      const costed = costCells(cellsBySchedule.get(s.id) ?? [], pricing);
      perSchedule.push(
        scheduleSavings({
          id: s.id,
          version: s.version,
          slotCount: Math.round((s.horizonEndMs - s.horizonStartMs) / (s.slotMinutes * 60_000)),
          servedGpuHours: num(s.totals.servedGpuHours) ?? 0,
          otherCost: (num(s.totals.penaltyCost) ?? 0) + (num(s.totals.stabilityCost) ?? 0),
          homeTotalCost: num(get(s.baselines, 'home')?.totalCost),
          greedyTotalCost: num(get(s.baselines, 'greedy')?.totalCost),
          effectiveCells: costed.cells,
          effectiveSlotStartsMs: slots,
        }),
      );
    }
    const sumNullable = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);
    const totals = {
      gpuHours: 0,
      energyMwh: 0,
      energyCost: 0,
      carbonCost: 0,
      cost: 0,
      homeCost: 0 as number | null,
      greedyCost: 0 as number | null,
    };
    const byDay = new Map<
      string,
      { gpuHours: number; cost: number; homeCost: number | null; greedyCost: number | null }
    >();
    for (const s of perSchedule) {
      totals.gpuHours += s.gpuHours;
      totals.energyMwh += s.energyMwh;
      totals.energyCost += s.energyCost;
      totals.carbonCost += s.carbonCost;
      totals.cost += s.cost;
      totals.homeCost = sumNullable(totals.homeCost, s.homeCost);
      totals.greedyCost = sumNullable(totals.greedyCost, s.greedyCost);
      for (const [day, f] of s.byDay) {
        const seen = byDay.get(day) ?? { gpuHours: 0, cost: 0, homeCost: 0, greedyCost: 0 };
        byDay.set(day, {
          gpuHours: seen.gpuHours + f.gpuHours,
          cost: seen.cost + f.cost,
          homeCost: sumNullable(seen.homeCost, f.homeCost),
          greedyCost: sumNullable(seen.greedyCost, f.greedyCost),
        });
      }
    }
    const savingsVsHome = totals.homeCost === null ? null : totals.homeCost - totals.cost;
    const savingsVsGreedy = totals.greedyCost === null ? null : totals.greedyCost - totals.cost;
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
        ...totals,
        savingsVsHome,
        savingsVsGreedy,
        savingsVsHomePct: savingsPct(savingsVsHome, totals.homeCost),
        savingsVsGreedyPct: savingsPct(savingsVsGreedy, totals.greedyCost),
      },
      byDay: [...byDay.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([date, f]) => ({
          date,
          ...f,
          savingsVsHome: f.homeCost === null ? null : f.homeCost - f.cost,
          savingsVsGreedy: f.greedyCost === null ? null : f.greedyCost - f.cost,
        })),
      bySchedule: perSchedule.map((s) => ({
        id: s.id,
        version: s.version,
        effectiveSlots: s.effectiveSlots,
        share: s.share,
        gpuHours: s.gpuHours,
        cost: s.cost,
        homeCost: s.homeCost,
        greedyCost: s.greedyCost,
        savingsVsHome: s.savingsVsHome,
        savingsVsGreedy: s.savingsVsGreedy,
      })),
    };
  }
}

@ApiTags('reports')
@Controller('reports')
export class ReportsController {
  constructor(private readonly reporter: SavingsReporter) {}

  @Get('savings')
  @Requires('viewer')
  @ApiOperation({
    summary: 'Savings against the home and greedy baselines over a time range (per day and per schedule)',
  })
  @ApiZodQuery(SavingsQuery)
  @ApiZodResponse(200, 'SavingsReport', SavingsReportSchema, 'The report.')
  @ApiProblems([400, 'Invalid or too long range.'])
  async savings(
    @Query(new ZodPipe(SavingsQuery)) query: z.output<typeof SavingsQuery>,
  ): Promise<SavingsReport> {
    return this.reporter.report(query.from, query.to);
  }
}
