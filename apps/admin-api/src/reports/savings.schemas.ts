/** Query and response schemas of the savings report (GET /reports/savings). */
import { z } from 'zod';
import { q } from '../http/query.js';

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
