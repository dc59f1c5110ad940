import { Controller, Get, Injectable, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Requires } from '../auth/roles.js';
import { q } from '../http/query.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { ScheduleViews } from '../schedules/schedule-views.js';
import {
  comparedFigures,
  costCells,
  effectiveSlots,
  type SavingsPart,
  scheduleSavings,
  type ScheduleSavings,
  sumBaselineParts,
} from '../schedules/schedule-math.js';
import { ScheduleStore } from '../schedules/schedule.store.js';

const MAX_DAYS = 92;
const Money = z.number().describe('In the report currency.');

export const SavingsQuery = z
  .strictObject({
    from: q.time().describe('Slots starting at or after (RFC 3339).'),
    to: q.time().describe(`Slots starting before; at most ${MAX_DAYS} days after from.`),
  })
  .refine((v) => v.to > v.from && v.to.getTime() - v.from.getTime() <= MAX_DAYS * 86_400_000, {
    message: `to must be after from and at most ${MAX_DAYS} days later`,
    path: ['to'],
  });

const BaselineSumSchema = z.object({
  comparable: z
    .boolean()
    .describe(
      'False when the baseline of at least one schedule here serves less work (GPU-hours) than the schedule: ' +
        'its lower bill is unserved work, not a saving, so that schedule is left out of the figures below.',
    ),
  excludedSchedules: z
    .number()
    .int()
    .describe('Schedules left out (baseline serves less work, or none stored).'),
  baselineServedGpuHours: z
    .number()
    .describe('GPU-hours the baseline serves, attributed like its cost (all schedules).'),
  comparedGpuHours: z.number().describe('GPU-hours served by the schedules that are compared.'),
  comparedCost: Money.describe('Their energy + carbon + penalty cost.'),
  baselineCost: Money.nullable().describe('The baseline’s energy + carbon + penalty cost for the same work.'),
  amount: Money.nullable().describe('baselineCost − comparedCost; null when no schedule here is comparable.'),
  pct: z.number().nullable().describe('amount ÷ |the baseline’s energy + carbon cost| × 100.'),
});

const Figures = {
  gpuHours: z.number().describe('GPU-hours served by the placements that ran.'),
  cost: Money.describe('Energy + carbon cost of the placements that ran + attributed penalty cost.'),
  vsHome: BaselineSumSchema,
  vsGreedy: BaselineSumSchema,
};

const exampleVsHome = {
  comparable: true,
  excludedSchedules: 0,
  baselineServedGpuHours: 251000,
  comparedGpuHours: 251000,
  comparedCost: 17900.2,
  baselineCost: 21960.5,
  amount: 4060.3,
  pct: 18.5,
};
const exampleVsGreedy = {
  comparable: false,
  excludedSchedules: 1,
  baselineServedGpuHours: 248300,
  comparedGpuHours: 125500,
  comparedCost: 8950.1,
  baselineCost: 9210.3,
  amount: 260.2,
  pct: 2.8,
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
      energyCost: Money,
      carbonCost: Money,
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
      schedules: 2,
      rangeHours: 24,
      coveredHours: 24,
      totals: {
        gpuHours: 251000,
        cost: 17900.2,
        vsHome: exampleVsHome,
        vsGreedy: exampleVsGreedy,
        energyMwh: 207.8,
        energyCost: 17900.2,
        carbonCost: 0,
      },
      byDay: [
        {
          date: '2024-03-01',
          gpuHours: 251000,
          cost: 17900.2,
          vsHome: exampleVsHome,
          vsGreedy: exampleVsGreedy,
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
          vsHome: {
            ...exampleVsHome,
            baselineServedGpuHours: 125500,
            comparedGpuHours: 125500,
            comparedCost: 8950.1,
            baselineCost: 10980.2,
            amount: 2030.1,
            pct: 18.5,
          },
          vsGreedy: {
            comparable: true,
            excludedSchedules: 0,
            baselineServedGpuHours: 125500,
            comparedGpuHours: 125500,
            comparedCost: 8950.1,
            baselineCost: 9210.3,
            amount: 260.2,
            pct: 2.8,
          },
        },
      ],
    },
  });
export type SavingsReport = z.infer<typeof SavingsReportSchema>;

const METHOD =
  'Each slot counts once, under the schedule in force: the highest delivered (published) plan version that covers the slot ' +
  'and was published before the slot ended. Energy and carbon cost are exact: placements of those slots × the prices in the ' +
  'schedule’s input snapshot. The baselines’ figures (cost, served GPU-hours) and the schedule’s penalty cost are stored per ' +
  'schedule, not per slot, so each slot gets them in proportion to the share of the schedule’s served GPU-hours that ran in ' +
  'it. Savings compare energy + carbon + penalty cost of the same work (the stability cost is left out); a schedule whose ' +
  'baseline serves less work than it does is not comparable: it is left out of that baseline’s sums and counted in ' +
  'excludedSchedules, and every day and total it falls in says comparable: false.';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const get = (o: Record<string, unknown>, key: string): Record<string, unknown> | null => {
  const v = o[key];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
};

const figuresOf = (parts: readonly SavingsPart[]) => ({
  gpuHours: parts.reduce((sum, p) => sum + p.gpuHours, 0),
  cost: parts.reduce((sum, p) => sum + p.cost, 0),
  vsHome: sumBaselineParts(parts.map((p) => [p, p.vsHome] as const)),
  vsGreedy: sumBaselineParts(parts.map((p) => [p, p.vsGreedy] as const)),
});

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
          // Energy and carbon of the report come from the cells; a missing stored figure counts 0.
          totals: {
            energyCost: num(s.totals.energyCost) ?? 0,
            carbonCost: num(s.totals.carbonCost) ?? 0,
            penaltyCost: num(s.totals.penaltyCost) ?? 0,
            servedGpuHours: num(s.totals.servedGpuHours) ?? 0,
          },
          home: comparedFigures(get(s.baselines, 'home')),
          greedy: comparedFigures(get(s.baselines, 'greedy')),
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
