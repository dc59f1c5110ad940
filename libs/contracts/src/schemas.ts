import { z } from 'zod';
import {
  ACK_REASON_CODES,
  ACK_STATUSES,
  INTERVAL_MINUTES,
  MARKETS,
  MAX_CARBON_G_PER_KWH,
  MAX_USAGE_ROWS,
  PRICE_UNITS,
} from './constants.js';

// One source of truth: these zod schemas validate at runtime, give the TypeScript types (z.infer) and
// generate the JSON Schema documents in docs/contracts. Objects are strict: an unknown field is a
// SCHEMA_VIOLATION (a typo such as "pirce" must not pass silently). Additive changes ship as a new
// topic version, so v1 never changes shape under a running consumer.

/** RFC 3339 date-time that carries `Z` or an offset `±hh:mm`; naive timestamps are rejected. */
export const TimestampSchema = z.iso
  .datetime({ offset: true })
  .describe('RFC 3339 date-time with `Z` or a `±hh:mm` offset, e.g. `2023-03-02T00:00:00Z`.');

const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/)
    .describe(`${what}: 1–128 characters [A-Za-z0-9._:-], starting with a letter or digit.`);

/** Price/carbon zone, e.g. `DE-LU`, `US-CAL-CISO`, `IN-WE`. */
export const ZoneSchema = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[A-Z]{2}[A-Z0-9]*(?:-[A-Z0-9]+)*$/)
  .describe(
    'Bidding/price zone (Electricity Maps style), e.g. `DE-LU`, `US-CAL-CISO`. Also the message key.',
  );

export const MarketSchema = z.enum(MARKETS).describe('Which market the price comes from.');

export const IntervalMinutesSchema = z
  .literal(INTERVAL_MINUTES)
  .describe('Length of the interval in minutes; the start must be a multiple of it on the UTC grid.');

export const PricePointV1Schema = z
  .strictObject({
    intervalStart: TimestampSchema,
    intervalMinutes: IntervalMinutesSchema,
    price: z.number().describe('Price per `unit` in `currency`. Negative prices are valid.'),
    carbonGPerKwh: z
      .number()
      .min(0)
      .max(MAX_CARBON_G_PER_KWH)
      .nullable()
      .optional()
      .describe('Grid carbon intensity in gCO2eq/kWh for the interval, if the partner has it.'),
  })
  .describe('One delivery interval.');

export const PriceMessageV1Schema = z
  .strictObject({
    partnerId: identifier('Publishing energy partner'),
    zone: ZoneSchema,
    market: MarketSchema,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .describe('ISO 4217 code; must be in the exchange-rate table configured in gridshift.'),
    unit: z.enum(PRICE_UNITS).describe('Energy unit of `price`: per `MWh` or per `kWh`.'),
    issuedAt: TimestampSchema.describe(
      'When the partner issued these prices. For the same (zone, market, interval, partner) a newer issuedAt supersedes an older one.',
    ),
    points: z.array(PricePointV1Schema).min(1).describe('1..N intervals; they must not overlap.'),
  })
  .meta({
    title: 'PriceMessageV1',
    description: 'Topic gridshift.prices.v1 (energy partners → gridshift). Key: zone.',
    examples: [
      {
        partnerId: 'acme-energy',
        zone: 'DE-LU',
        market: 'day_ahead',
        currency: 'EUR',
        unit: 'MWh',
        issuedAt: '2023-03-01T11:00:00Z',
        points: [
          { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 87.45, carbonGPerKwh: 312 },
          { intervalStart: '2023-03-02T01:00:00Z', intervalMinutes: 60, price: -3.2, carbonGPerKwh: 298 },
        ],
      },
    ],
  });

export type PricePointV1 = z.infer<typeof PricePointV1Schema>;
export type PriceMessageV1 = z.infer<typeof PriceMessageV1Schema>;

const gpuCount = (what: string) => z.int().min(0).describe(`${what} (whole GPUs, ≥ 0).`);

export const ClusterLoadMessageV1Schema = z
  .strictObject({
    clusterId: identifier('Reporting GPU cluster; also the message key'),
    region: identifier('Cloud/data-center region of the cluster, e.g. `eu-central`'),
    zone: ZoneSchema.describe('Price zone the cluster draws power from.'),
    observedAt: TimestampSchema.describe('When the numbers were observed.'),
    gpuModel: z.string().min(1).max(64).describe('GPU model, e.g. `H100`.'),
    gpuTotal: gpuCount('Installed GPUs'),
    gpuBusy: gpuCount('GPUs busy with work gridshift does not place; must be ≤ gpuTotal'),
    gpuSchedulable: gpuCount(
      'GPUs gridshift may place work on; must be ≤ gpuTotal (may overlap gpuBusy when busy work is preemptible)',
    ),
    powerKw: z.number().min(0).describe('Current IT power draw in kW.'),
    powerCapKw: z.number().min(0).describe('Power cap (contract or demand-response) in kW.'),
    pue: z.number().min(1).max(3).describe('Power usage effectiveness (facility power ÷ IT power), 1..3.'),
  })
  .meta({
    title: 'ClusterLoadMessageV1',
    description: 'Topic gridshift.cluster-load.v1 (data centers → gridshift). Key: clusterId.',
    examples: [
      {
        clusterId: 'fra-1',
        region: 'eu-central',
        zone: 'DE-LU',
        observedAt: '2023-03-01T11:05:00Z',
        gpuModel: 'H100',
        gpuTotal: 4096,
        gpuBusy: 2900,
        gpuSchedulable: 1100,
        powerKw: 5200,
        powerCapKw: 7000,
        pue: 1.18,
      },
    ],
  });

export type ClusterLoadMessageV1 = z.infer<typeof ClusterLoadMessageV1Schema>;

export const PlacementAssignmentV1Schema = z.strictObject({
  jobId: identifier('Job'),
  gpus: gpuCount('GPUs the job runs on in this cluster during the slot'),
});

export const PlacementSlotV1Schema = z.strictObject({
  start: TimestampSchema.describe('Slot start.'),
  minutes: IntervalMinutesSchema.describe(
    'Slot length in minutes; start is a multiple of it on the UTC grid.',
  ),
  assignments: z
    .array(PlacementAssignmentV1Schema)
    .describe('Jobs and their GPUs; an empty list means none.'),
});

export const PlacementOrderV1Schema = z
  .strictObject({
    scheduleId: identifier('Schedule'),
    scheduleVersion: z
      .int()
      .min(1)
      .describe('Monotonic version; consumers ignore versions ≤ the highest applied.'),
    clusterId: identifier('Target cluster; also the message key'),
    issuedAt: TimestampSchema.describe('When gridshift published this order.'),
    supersedesVersion: z
      .int()
      .min(1)
      .nullable()
      .describe('Version this order replaces, or null for the first; always < scheduleVersion.'),
    slots: z.array(PlacementSlotV1Schema).describe('Non-overlapping slots of the plan for this cluster.'),
  })
  .meta({
    title: 'PlacementOrderV1',
    description: 'Topic gridshift.placements.v1 (gridshift → data centers). Key: clusterId.',
    examples: [
      {
        scheduleId: 'sch-2023-03-02-0001',
        scheduleVersion: 42,
        clusterId: 'fra-1',
        issuedAt: '2023-03-01T12:00:00Z',
        supersedesVersion: 41,
        slots: [
          {
            start: '2023-03-02T00:00:00Z',
            minutes: 60,
            assignments: [
              { jobId: 'chat-eu', gpus: 64 },
              { jobId: 'batch-embed-7', gpus: 128 },
            ],
          },
        ],
      },
    ],
  });

export type PlacementAssignmentV1 = z.infer<typeof PlacementAssignmentV1Schema>;
export type PlacementSlotV1 = z.infer<typeof PlacementSlotV1Schema>;
export type PlacementOrderV1 = z.infer<typeof PlacementOrderV1Schema>;

export const AckReasonV1Schema = z
  .strictObject({
    code: z
      .enum(ACK_REASON_CODES)
      .describe(
        '`policy`: a rule of the data center refuses the job here (gridshift keeps the job out of this cluster until an operator clears it); `capacity`: GPUs are gone (report what is left on gridshift.cluster-load.v1); `maintenance`, `invalid-order`, `other`.',
      ),
    text: z.string().min(1).max(500).describe('One sentence for operators.'),
    jobId: identifier('The job this reason is about (omit when it is about the whole order)').optional(),
  })
  .describe('Why (part of) the order was not applied.');

export const AppliedAssignmentV1Schema = z
  .strictObject({
    jobId: identifier('Job'),
    slotStart: TimestampSchema.describe('Start of the order slot.'),
    gpus: gpuCount('GPUs the data center actually gave the job in that slot'),
  })
  .describe('A job and slot where the applied GPUs differ from the order.');

export const PlacementAckV1Schema = z
  .strictObject({
    clusterId: identifier('Acknowledging cluster; also the message key'),
    scheduleId: identifier('`scheduleId` of the order'),
    version: z.int().min(1).describe('`scheduleVersion` of the order.'),
    messageId: z
      .string()
      .min(1)
      .max(256)
      .describe('The `message-id` header of the order acknowledged (a resend carries the same one).'),
    status: z
      .enum(ACK_STATUSES)
      .describe(
        '`accepted` (received, will apply), `applied`, `partially-applied` (list the differences in `applied`), `rejected`.',
      ),
    at: TimestampSchema.describe('When the data center reached this status.'),
    reasons: z
      .array(AckReasonV1Schema)
      .max(1000)
      .describe('Why not (all) applied; at least one for `rejected` and `partially-applied`.'),
    applied: z
      .array(AppliedAssignmentV1Schema)
      .max(MAX_USAGE_ROWS)
      .optional()
      .describe(
        'Per job and slot, the GPUs applied where they differ from the order (not listed = as ordered).',
      ),
  })
  .meta({
    title: 'PlacementAckV1',
    description: 'Topic gridshift.placement-acks.v1 (data centers → gridshift). Key: clusterId.',
    examples: [
      {
        clusterId: 'fra-1',
        scheduleId: 'sch-2023-03-02-0001',
        version: 42,
        messageId: 'placement:sch-2023-03-02-0001:fra-1',
        status: 'partially-applied',
        at: '2023-03-01T12:00:03Z',
        reasons: [{ code: 'policy', text: 'batch-embed-7 may not run on this site', jobId: 'batch-embed-7' }],
        applied: [{ jobId: 'batch-embed-7', slotStart: '2023-03-02T00:00:00Z', gpus: 0 }],
      },
    ],
  });

export const UsageRowV1Schema = z
  .strictObject({
    jobId: identifier('Job'),
    slotStart: TimestampSchema.describe('Start of the metered interval.'),
    minutes: IntervalMinutesSchema.describe(
      'Length of the metered interval (hourly or finer); slotStart is a multiple of it on the UTC grid.',
    ),
    gpuHours: z.number().min(0).describe('GPU-hours the job really used in the interval.'),
    energyKwh: z
      .number()
      .min(0)
      .describe('Metered facility energy of that work in kWh (IT × PUE), as billed.'),
  })
  .describe('Realized usage of one job in one interval.');

export const UsageMessageV1Schema = z
  .strictObject({
    clusterId: identifier('Reporting cluster; also the message key'),
    observedAt: TimestampSchema.describe(
      'When the figures were read; for the same (cluster, job, interval) the later report wins.',
    ),
    rows: z
      .array(UsageRowV1Schema)
      .min(1)
      .max(MAX_USAGE_ROWS)
      .describe(`1..${MAX_USAGE_ROWS} rows; a (jobId, slotStart) at most once.`),
  })
  .meta({
    title: 'UsageMessageV1',
    description: 'Topic gridshift.usage.v1 (data centers → gridshift). Key: clusterId.',
    examples: [
      {
        clusterId: 'fra-1',
        observedAt: '2023-03-02T01:00:05Z',
        rows: [
          {
            jobId: 'chat-eu',
            slotStart: '2023-03-02T00:00:00Z',
            minutes: 60,
            gpuHours: 61.5,
            energyKwh: 50.8,
          },
          {
            jobId: 'batch-embed-7',
            slotStart: '2023-03-02T00:00:00Z',
            minutes: 60,
            gpuHours: 128,
            energyKwh: 105.7,
          },
        ],
      },
    ],
  });

export type AckReasonV1 = z.infer<typeof AckReasonV1Schema>;
export type AppliedAssignmentV1 = z.infer<typeof AppliedAssignmentV1Schema>;
export type PlacementAckV1 = z.infer<typeof PlacementAckV1Schema>;
export type UsageRowV1 = z.infer<typeof UsageRowV1Schema>;
export type UsageMessageV1 = z.infer<typeof UsageMessageV1Schema>;
