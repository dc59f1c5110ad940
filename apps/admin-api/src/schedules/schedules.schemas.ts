// The admin API's schedule response and query schemas in one file: the OpenAPI document and the console's
// generated client name them together, and they share field descriptions; it is long because it is mostly prose.

import { z } from 'zod';
import { pageOf, q, Slug, Uuid } from '../http/query.js';

export const STATUSES = ['draft', 'approved', 'published', 'superseded', 'rejected', 'what-if'] as const;

const Money = z.number().describe('In the schedule currency.');
const nullableNumber = z.number().nullable();

export const ListSchedulesQuery = z
  .strictObject({
    status: q.csvEnum(STATUSES).optional().describe('Comma-separated statuses, e.g. `draft,approved`.'),
    kind: z.enum(['plan', 'what-if']).optional(),
    from: q.time().optional().describe('Created at or after.'),
    to: q.time().optional().describe('Created before.'),
    covering: q.time().optional().describe('Only schedules whose horizon contains this instant.'),
    limit: q.int(1, 200, 50),
    cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page.'),
  })
  .refine((v) => !v.from || !v.to || v.to > v.from, { message: 'to must be after from', path: ['to'] });

const COMPARABLE =
  'False when the baseline serves less work (GPU-hours) than the schedule: its lower bill is unserved work, not a ' +
  'saving, so amount and pct are null.';

const SavingsEntry = z
  .object({
    amount: nullableNumber.describe(
      'Baseline − schedule energy + carbon + penalty cost (stability cost left out); null when not comparable.',
    ),
    pct: nullableNumber.describe('amount ÷ |the baseline’s energy + carbon cost| × 100.'),
    comparable: z.boolean().describe(COMPARABLE),
    baselineServedGpuHours: nullableNumber,
    servedGpuHours: nullableNumber,
  })
  .nullable()
  .describe(
    'null when the planner stored none in this shape (schedules stored before savings compared the same work).',
  );

export const ScheduleSummarySchema = z
  .object({
    id: z.uuid(),
    version: z.number().int().nullable(),
    kind: z.enum(['plan', 'what-if']),
    status: z.enum(STATUSES),
    trigger: z.string(),
    horizonStart: z.string(),
    horizonEnd: z.string(),
    slotMinutes: z.number().int(),
    currency: z.string().nullable(),
    createdAt: z.string(),
    approvedAt: z.string().nullable(),
    approvedBy: z.string().nullable(),
    publishedAt: z.string().nullable(),
    rejectedAt: z.string().nullable(),
    rejectedBy: z.string().nullable(),
    rejectedReason: z.string().nullable(),
    totals: z.object({
      energyCost: nullableNumber,
      carbonCost: nullableNumber,
      penaltyCost: nullableNumber,
      totalCost: nullableNumber,
      energyMwh: nullableNumber,
      servedGpuHours: nullableNumber,
      unservedGpuHours: nullableNumber,
      carbonTonnes: nullableNumber,
      tokensMillions: nullableNumber.describe('Tokens of jobs with a throughput, millions.'),
      costPerMillionTokens: nullableNumber.describe('(energy + carbon cost of those jobs) ÷ tokensMillions.'),
    }),
    savings: z.object({ vsHome: SavingsEntry, vsGreedy: SavingsEntry }).describe('As stored by the planner.'),
    assumptionCount: z.number().int(),
    shortfallCount: z.number().int(),
  })
  .meta({
    example: {
      id: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
      version: 42,
      kind: 'plan',
      status: 'draft',
      trigger: 'cron',
      horizonStart: '2024-03-02T00:00:00.000Z',
      horizonEnd: '2024-03-03T00:00:00.000Z',
      slotMinutes: 60,
      currency: 'EUR',
      createdAt: '2024-03-01T23:05:00.000Z',
      approvedAt: null,
      approvedBy: null,
      publishedAt: null,
      rejectedAt: null,
      rejectedBy: null,
      rejectedReason: null,
      totals: {
        energyCost: 18250.4,
        carbonCost: 0,
        penaltyCost: 0,
        totalCost: 18250.4,
        energyMwh: 212.7,
        servedGpuHours: 257000,
        unservedGpuHours: 0,
        carbonTonnes: 61.4,
        tokensMillions: 2_220_000,
        costPerMillionTokens: 0.00822,
      },
      savings: {
        vsHome: {
          amount: 4120.8,
          pct: 18.4,
          comparable: true,
          baselineServedGpuHours: 257000,
          servedGpuHours: 257000,
        },
        vsGreedy: {
          amount: null,
          pct: null,
          comparable: false,
          baselineServedGpuHours: 255400,
          servedGpuHours: 257000,
        },
      },
      assumptionCount: 1,
      shortfallCount: 0,
    },
  });
export type ScheduleSummary = z.infer<typeof ScheduleSummarySchema>;
export const SchedulePageSchema = pageOf(ScheduleSummarySchema);

const TotalsSchema = z.record(z.string(), z.unknown()).describe('ScheduleTotals of libs/placement.');

const CostsSchema = z.object({
  currency: z.string().nullable(),
  gpuHours: z.number(),
  energyMwh: z.number(),
  energyCost: Money,
  carbonCost: Money,
  penaltyCost: Money.describe('Unserved GPU-hours × tier penalty (stored by the planner).'),
  stabilityCost: Money.describe(
    'Cost of moving work away from the previous schedule (stored by the planner).',
  ),
  totalCost: Money.describe('energyCost + carbonCost (from placements) + penaltyCost + stabilityCost.'),
  storedTotalCost: nullableNumber.describe('The planner’s totalCost, for comparison.'),
  matchesStoredTotals: z.boolean().describe('totalCost equals the stored one within 1e-6 relative.'),
  unpricedCells: z.number().int().describe('Cells without a price in the snapshot (counted at 0).'),
});

const SavingsDetail = z
  .object({
    amount: nullableNumber.describe('baselineCost − cost; null when not comparable.'),
    pct: nullableNumber.describe(
      'amount ÷ |the baseline’s energy + carbon cost| × 100; null when not comparable.',
    ),
    comparable: z.boolean().describe(COMPARABLE),
    baselineServedGpuHours: z.number(),
    servedGpuHours: z.number().describe('GPU-hours of the schedule’s placements (= costs.gpuHours).'),
    baselineCost: Money.describe('The baseline’s energy + carbon + penalty cost.'),
    cost: Money.describe(
      'The schedule’s energy + carbon cost (from placements) + penalty cost; the stability cost is not a cost of the work.',
    ),
    baselineUnservedGpuHours: nullableNumber,
    unservedGpuHours: nullableNumber.describe('As stored by the planner.'),
  })
  .nullable()
  .describe('savingsAgainst(baseline, schedule) of libs/placement; null when the baseline was not stored.');

export const ScheduleDetailSchema = ScheduleSummarySchema.extend({
  supersedesVersion: z.number().int().nullable(),
  inputHash: z.string(),
  leaderEpoch: z.number(),
  objective: z.number(),
  solverStats: z.unknown(),
  approval: z.unknown().describe('The approval policy decision stored with the schedule.'),
  costs: CostsSchema.describe('Computed from the stored placements and the snapshot prices.'),
  baselines: z.object({ home: TotalsSchema.nullable(), greedy: TotalsSchema.nullable() }),
  computedSavings: z.object({ vsHome: SavingsDetail, vsGreedy: SavingsDetail }),
  byCluster: z.array(
    z.object({
      clusterId: z.string(),
      gpuHours: z.number(),
      energyMwh: z.number(),
      energyCost: z.number(),
      cost: z.number(),
    }),
  ),
  grid: z
    .object({
      slotStarts: z
        .array(z.string())
        .describe('The horizon’s slot starts; every array below is aligned with it.'),
      clusters: z.array(
        z.object({
          clusterId: z.string(),
          gpus: z.array(z.number().int()).describe('Whole GPUs reserved per slot.'),
          gpuHours: z.array(z.number()).describe('GPU-hours of work per slot.'),
          jobs: z.array(z.number().int()).describe('Jobs placed per slot.'),
          cost: z.array(z.number()).describe('Energy + carbon cost per slot at the snapshot prices.'),
        }),
      ),
    })
    .describe(
      'Placements summed per cluster and slot (clusters × slots); per-job rows are at /schedules/{id}/placements.',
    ),
  assumptions: z
    .array(z.unknown())
    .describe('What the planner assumed (stale or missing prices, capacity forecasts …).'),
  shortfalls: z.array(z.unknown()).describe('Jobs not fully served, with reasons (first `shortfallLimit`).'),
  shortfallsTruncated: z.boolean(),
}).meta({
  example: {
    id: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
    version: 42,
    kind: 'plan',
    status: 'draft',
    trigger: 'cron',
    horizonStart: '2024-03-02T00:00:00.000Z',
    horizonEnd: '2024-03-03T00:00:00.000Z',
    slotMinutes: 60,
    currency: 'EUR',
    costs: {
      currency: 'EUR',
      gpuHours: 257000,
      energyMwh: 212.7,
      energyCost: 18250.4,
      carbonCost: 0,
      penaltyCost: 0,
      stabilityCost: 0,
      totalCost: 18250.4,
      storedTotalCost: 18250.4,
      matchesStoredTotals: true,
      unpricedCells: 0,
    },
    computedSavings: {
      vsHome: {
        amount: 4120.8,
        pct: 18.4,
        comparable: true,
        baselineServedGpuHours: 257000,
        servedGpuHours: 257000,
        baselineCost: 22371.2,
        cost: 18250.4,
        baselineUnservedGpuHours: 0,
        unservedGpuHours: 0,
      },
      vsGreedy: {
        amount: null,
        pct: null,
        comparable: false,
        baselineServedGpuHours: 255400,
        servedGpuHours: 257000,
        baselineCost: 18120.9,
        cost: 18250.4,
        baselineUnservedGpuHours: 1600,
        unservedGpuHours: 0,
      },
    },
    byCluster: [{ clusterId: 'fra-1', gpuHours: 12000, energyMwh: 9.9, energyCost: 820.5, cost: 820.5 }],
    grid: {
      slotStarts: ['2024-03-02T00:00:00.000Z', '2024-03-02T01:00:00.000Z'],
      clusters: [
        { clusterId: 'fra-1', gpus: [512, 480], gpuHours: [500, 470.5], jobs: [31, 29], cost: [34.2, 30.9] },
      ],
    },
    assumptions: [{ code: 'price-stale', message: 'DE-LU prices issued 26 h ago were used', zone: 'DE-LU' }],
    shortfalls: [],
    shortfallsTruncated: false,
  },
});
export type ScheduleDetail = z.infer<typeof ScheduleDetailSchema>;

export const DetailQuery = z.strictObject({
  shortfallLimit: q.int(0, 10_000, 200).describe('Most shortfall entries to include.'),
});

export const PlacementsQuery = z.strictObject({
  clusterId: Slug.optional(),
  slotStart: q.time().optional(),
  jobId: Slug.optional(),
  limit: q.int(1, 5000, 1000),
  cursor: z.string().max(400).optional().describe('`nextCursor` of the previous page.'),
});

export const PlacementSchema = z.object({
  jobId: z.string(),
  clusterId: z.string(),
  slotStart: z.string(),
  gpus: z.number().int(),
  gpuHours: z.number(),
  cost: z.number().nullable().describe('gpuHours × the snapshot’s energy + carbon cost per GPU-hour.'),
});
export const PlacementPageSchema = pageOf(PlacementSchema).meta({
  example: {
    items: [
      {
        jobId: 'chat-eu',
        clusterId: 'fra-1',
        slotStart: '2024-03-02T00:00:00.000Z',
        gpus: 64,
        gpuHours: 63.2,
        cost: 4.37,
      },
    ],
    nextCursor: 'WyJmcmEtMSIsIjIwMjQtMDMtMDJUMDA6MDA6MDAuMDAwWiIsImNoYXQtZXUiXQ',
  },
});

export const ScheduleJobSchema = z
  .object({
    scheduleId: z.string(),
    jobId: z.string(),
    gpuHours: z.number(),
    cost: z.number(),
    placements: z.array(PlacementSchema),
    shortfall: z.unknown().nullable(),
    explanation: z
      .unknown()
      .nullable()
      .describe('Where the job went and which constraint blocked cheaper cells.'),
  })
  .meta({
    example: {
      scheduleId: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
      jobId: 'chat-eu',
      gpuHours: 1516.8,
      cost: 104.9,
      placements: [],
      shortfall: null,
      explanation: {
        summary: 'Ran in fra-1 and ams-2; cheaper cells in mad-1 were beyond the 60 ms latency SLA.',
      },
    },
  });

export const DiffQuery = z.strictObject({
  against: Uuid.optional().describe('Schedule to compare with (default: the published plan).'),
  limit: q.int(1, 5000, 100).describe('Most jobs to list.'),
  offset: q.int(0, 10_000_000, 0),
});

export const DiffSchema = z
  .object({
    scheduleId: z.string(),
    against: z
      .object({ id: z.string(), version: z.number().int().nullable(), status: z.string() })
      .nullable()
      .describe('null when nothing is published: every placement counts as added.'),
    window: z
      .object({ from: z.string(), to: z.string() })
      .describe('Slots both horizons cover (compared there only).'),
    currency: z.string().nullable(),
    pricing: z.string(),
    totals: z.object({
      gpuHoursBefore: z.number(),
      gpuHoursAfter: z.number(),
      movedGpuHours: z.number().describe('Σ max(0, before − after) over (job, cluster, slot).'),
      addedGpuHours: z.number().describe('Σ max(0, after − before) over (job, cluster, slot).'),
      costBefore: z.number(),
      costAfter: z.number(),
      costDelta: z.number().describe('costAfter − costBefore.'),
      jobsChanged: z.number().int(),
      unpricedCells: z.number().int(),
    }),
    jobs: z.array(
      z.object({
        jobId: z.string(),
        movedGpuHours: z.number(),
        addedGpuHours: z.number(),
        costDelta: z.number(),
        clusters: z.array(
          z.object({ clusterId: z.string(), removedGpuHours: z.number(), addedGpuHours: z.number() }),
        ),
      }),
    ),
    page: z.object({ offset: z.number().int(), limit: z.number().int(), total: z.number().int() }),
  })
  .meta({
    example: {
      scheduleId: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
      against: { id: '0c4d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f', version: 41, status: 'published' },
      window: { from: '2024-03-02T01:00:00.000Z', to: '2024-03-03T00:00:00.000Z' },
      currency: 'EUR',
      pricing: 'both schedules priced with the candidate’s snapshot prices',
      totals: {
        gpuHoursBefore: 246000,
        gpuHoursAfter: 246000,
        movedGpuHours: 3200,
        addedGpuHours: 3200,
        costBefore: 17410.1,
        costAfter: 17120.6,
        costDelta: -289.5,
        jobsChanged: 41,
        unpricedCells: 0,
      },
      jobs: [
        {
          jobId: 'batch-embed-7',
          movedGpuHours: 640,
          addedGpuHours: 640,
          costDelta: -88.2,
          clusters: [
            { clusterId: 'fra-1', removedGpuHours: 640, addedGpuHours: 0 },
            { clusterId: 'mad-1', removedGpuHours: 0, addedGpuHours: 640 },
          ],
        },
      ],
      page: { offset: 0, limit: 100, total: 41 },
    },
  });
export type DiffView = z.infer<typeof DiffSchema>;

const Quantiles = z.array(z.number().nullable());

/** GET /schedules/{id}/prices: the zone prices the schedule was planned on, with forecast bands. */
export const SchedulePricesSchema = z
  .object({
    scheduleId: z.string(),
    currency: z.string().nullable().describe('Base currency of every price below (per MWh).'),
    slotStarts: z
      .array(z.string())
      .describe('The horizon’s slot starts; every array below is aligned with it.'),
    zones: z.array(
      z.object({
        zone: z.string(),
        clusterIds: z.array(z.string()).describe('The schedule’s clusters in this zone.'),
        pricePerMwh: z
          .array(z.number().nullable())
          .describe('Per slot: the price the solver used (published, or the point forecast where forecast).'),
        source: z
          .array(z.string().nullable())
          .describe(
            'Per slot: day_ahead, intraday, real_time, forecast (a partner’s), gridshift-forecast, carried-forward or assumed; null when the snapshot does not say.',
          ),
        p10: Quantiles.describe(
          'Per slot: the forecast’s 10 % quantile where gridshift forecast the slot, else null.',
        ),
        p50: Quantiles.describe('Per slot: the forecast’s median, else null.'),
        p90: Quantiles.describe('Per slot: the forecast’s 90 % quantile, else null.'),
        forecast: z
          .object({
            method: z.string().nullable(),
            historyHours: z.number().nullable().describe('Hours of price history the point forecast used.'),
            firstSlot: z
              .string()
              .describe('The first slot forecast by gridshift (after the last published price).'),
          })
          .nullable(),
      }),
    ),
  })
  .meta({
    example: {
      scheduleId: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
      currency: 'EUR',
      slotStarts: ['2024-03-01T22:00:00.000Z', '2024-03-01T23:00:00.000Z'],
      zones: [
        {
          zone: 'DE-LU',
          clusterIds: ['fra-1'],
          pricePerMwh: [84.2, 79.5],
          source: ['day_ahead', 'gridshift-forecast'],
          p10: [null, 61.3],
          p50: [null, 79.5],
          p90: [null, 101.8],
          forecast: { method: 'seasonal-naive', historyHours: 672, firstSlot: '2024-03-01T23:00:00.000Z' },
        },
      ],
    },
  });
