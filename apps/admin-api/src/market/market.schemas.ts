import { z } from 'zod';
import { MARKETS } from '#gridshift/contracts';
import { q, Slug } from '../http/query.js';

const ZoneId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'expected a bidding-zone code like DE-LU');
const MAX_RANGE_DAYS = 31;
const rangeOk = (v: { from?: Date; to?: Date }) =>
  !v.from || !v.to || (v.to > v.from && v.to.getTime() - v.from.getTime() <= MAX_RANGE_DAYS * 86_400_000);
const rangeIssue = {
  message: `to must be after from and at most ${MAX_RANGE_DAYS} days later`,
  path: ['to'],
};

export const PriceQuery = z
  .strictObject({
    zone: ZoneId.describe('Bidding zone, e.g. DE-LU.'),
    from: q.time().optional().describe('Slot starts ≥ from (default: 24 h ago).'),
    to: q.time().optional().describe('Slot starts < to (default: 48 h from now).'),
    market: z.enum(MARKETS).optional(),
    slotMinutes: q
      .int(5, 60, 60)
      .refine((m) => m % 5 === 0 && 60 % m === 0, 'expected 5, 10, 15, 20, 30 or 60')
      .describe('Slot length the stored intervals are aggregated to (default 60).'),
  })
  .refine(rangeOk, rangeIssue);

export const LoadQuery = z
  .strictObject({
    clusterId: Slug.describe('Cluster id, e.g. fra-1.'),
    from: q.time().optional().describe('Reports observed ≥ from (default: 24 h ago).'),
    to: q.time().optional().describe('Reports observed < to (default: now).'),
    limit: q.int(1, 10_000, 2_000),
  })
  .refine(rangeOk, rangeIssue);

export const PriceFreshnessSchema = z.object({
  zone: z.string(),
  market: z.string(),
  latestIntervalStart: z.string().describe('Start of the latest slot with a price.'),
  latestIssuedAt: z.string(),
  coveredUntil: z.string().describe('End of the latest priced slot.'),
  ageMinutes: z.number().describe('Minutes since the latest issue.'),
  stale: z.boolean().describe('The latest priced slot ended more than PRICE_STALE_AFTER_MINUTES ago.'),
});

export const PricesSchema = z
  .object({
    zone: z.string(),
    from: z.string(),
    to: z.string(),
    unit: z.literal('base currency per MWh'),
    points: z.array(
      z.object({
        intervalStart: z.string(),
        market: z.string(),
        partnerId: z.string(),
        pricePerMwh: z.number(),
        carbonGPerKwh: z.number().nullable(),
        issuedAt: z.string().describe('Newest issue the slot price is made of.'),
        coverageMinutes: z.number().describe('Minutes of the slot covered by stored intervals.'),
        complete: z.boolean().describe('The slot is fully covered; only such a slot counts as priced.'),
      }),
    ),
    freshness: z.array(PriceFreshnessSchema),
  })
  .meta({
    example: {
      zone: 'DE-LU',
      from: '2024-03-01T00:00:00.000Z',
      to: '2024-03-02T00:00:00.000Z',
      unit: 'base currency per MWh',
      points: [
        {
          intervalStart: '2024-03-01T00:00:00.000Z',
          market: 'day_ahead',
          partnerId: 'acme-energy',
          pricePerMwh: 87.45,
          carbonGPerKwh: 312,
          issuedAt: '2024-02-29T11:00:00.000Z',
          coverageMinutes: 60,
          complete: true,
        },
      ],
      freshness: [
        {
          zone: 'DE-LU',
          market: 'day_ahead',
          latestIntervalStart: '2024-03-01T23:00:00.000Z',
          latestIssuedAt: '2024-02-29T11:00:00.000Z',
          coveredUntil: '2024-03-02T00:00:00.000Z',
          ageMinutes: 600,
          stale: false,
        },
      ],
    },
  });

const freshnessExample = {
  zone: 'DE-LU',
  market: 'day_ahead',
  latestIntervalStart: '2024-03-01T23:00:00.000Z',
  latestIssuedAt: '2024-02-29T11:00:00.000Z',
  coveredUntil: '2024-03-02T00:00:00.000Z',
  ageMinutes: 600,
  stale: false,
};

export const PriceFreshnessListSchema = z
  .object({
    staleAfterMinutes: z.number(),
    items: z.array(PriceFreshnessSchema),
  })
  .meta({ example: { staleAfterMinutes: 60, items: [freshnessExample] } });

export const ClusterStateSchema = z.object({
  clusterId: z.string(),
  region: z.string(),
  zone: z.string(),
  observedAt: z.string(),
  gpuModel: z.string(),
  gpuTotal: z.number(),
  gpuBusy: z.number(),
  gpuSchedulable: z.number(),
  powerKw: z.number(),
  powerCapKw: z.number().nullable(),
  pue: z.number(),
  ageMinutes: z.number(),
  stale: z.boolean().describe('The latest report is older than LOAD_STALE_AFTER_MINUTES.'),
});

export const LoadSchema = z
  .object({
    clusterId: z.string(),
    from: z.string(),
    to: z.string(),
    latest: ClusterStateSchema.nullable(),
    reports: z.array(
      z.object({
        observedAt: z.string(),
        gpuTotal: z.number(),
        gpuBusy: z.number(),
        gpuSchedulable: z.number(),
        powerKw: z.number(),
        powerCapKw: z.number().nullable(),
        pue: z.number(),
      }),
    ),
    truncated: z.boolean().describe('More reports matched than `limit`; the newest are returned.'),
  })
  .meta({
    example: {
      clusterId: 'fra-1',
      from: '2024-03-01T00:00:00.000Z',
      to: '2024-03-01T12:00:00.000Z',
      latest: {
        clusterId: 'fra-1',
        region: 'eu-central',
        zone: 'DE-LU',
        observedAt: '2024-03-01T11:55:00.000Z',
        gpuModel: 'H100',
        gpuTotal: 4096,
        gpuBusy: 2900,
        gpuSchedulable: 1100,
        powerKw: 5200,
        powerCapKw: 7000,
        pue: 1.18,
        ageMinutes: 5,
        stale: false,
      },
      reports: [
        {
          observedAt: '2024-03-01T11:55:00.000Z',
          gpuTotal: 4096,
          gpuBusy: 2900,
          gpuSchedulable: 1100,
          powerKw: 5200,
          powerCapKw: 7000,
          pue: 1.18,
        },
      ],
      truncated: false,
    },
  });

export const ClusterStateListSchema = z
  .object({
    staleAfterMinutes: z.number(),
    items: z.array(ClusterStateSchema),
  })
  .meta({
    example: {
      staleAfterMinutes: 15,
      items: [
        {
          clusterId: 'fra-1',
          region: 'eu-central',
          zone: 'DE-LU',
          observedAt: '2024-03-01T11:55:00.000Z',
          gpuModel: 'H100',
          gpuTotal: 4096,
          gpuBusy: 2900,
          gpuSchedulable: 1100,
          powerKw: 5200,
          powerCapKw: 7000,
          pue: 1.18,
          ageMinutes: 5,
          stale: false,
        },
      ],
    },
  });
