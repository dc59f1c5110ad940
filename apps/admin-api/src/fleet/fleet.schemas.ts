import { z } from 'zod';
import { plausible } from '../http/bounds.js';
import { listOf, Slug } from '../http/query.js';

const Currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code like EUR');
const ZoneId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'expected a bidding-zone code like DE-LU');
const Origin = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'expected an origin name like eu-west-users');

// ---- clusters -----------------------------------------------------------------------------------------------

const clusterFields = {
  name: z.string().trim().min(1).max(200),
  region: z.string().trim().min(1).max(64).describe('Cloud/legal region, e.g. `eu-central`.'),
  zone: ZoneId.describe('Electricity bidding zone (must be a registered zone), e.g. `DE-LU`.'),
  gpuModel: z.string().trim().min(1).max(64).describe('e.g. `H100`; matched against jobs’ tokens/s table.'),
  gpuTotal: plausible(0, 1_000_000, 'GPUs', 'GPUs installed.', 'integer'),
  kwPerGpu: plausible(0.05, 10, 'kW', 'IT power of one busy GPU incl. its server share, kW.'),
  pue: plausible(1, 3, '', 'Power usage effectiveness (facility kW / IT kW).'),
  powerCapKw: plausible(1, 10_000_000, 'kW', 'Facility power cap in kW, null = none.').nullable(),
  latencyMsByOrigin: z
    .record(Origin, plausible(0, 10_000, 'ms', 'Round-trip latency, ms.'))
    .describe('Round-trip latency from each request origin to this cluster, ms.'),
  active: z.boolean().describe('Inactive clusters are left out of planning.'),
};

export const CreateClusterBody = z
  .strictObject({
    id: Slug.describe('Stable cluster id used in Kafka keys, e.g. `fra-1`.'),
    ...clusterFields,
    powerCapKw: clusterFields.powerCapKw.default(null),
    latencyMsByOrigin: clusterFields.latencyMsByOrigin.default({}),
    active: clusterFields.active.default(true),
  })
  .meta({
    example: {
      id: 'fra-1',
      name: 'Frankfurt 1',
      region: 'eu-central',
      zone: 'DE-LU',
      gpuModel: 'H100',
      gpuTotal: 4096,
      kwPerGpu: 0.7,
      pue: 1.18,
      powerCapKw: 7000,
      latencyMsByOrigin: { 'eu-west-users': 18, 'us-east-users': 95 },
    },
  });
export type CreateClusterBody = z.output<typeof CreateClusterBody>;

export const UpdateClusterBody = z
  .strictObject({
    name: clusterFields.name.optional(),
    region: clusterFields.region.optional(),
    zone: clusterFields.zone.optional(),
    gpuModel: clusterFields.gpuModel.optional(),
    gpuTotal: clusterFields.gpuTotal.optional(),
    kwPerGpu: clusterFields.kwPerGpu.optional(),
    pue: clusterFields.pue.optional(),
    powerCapKw: clusterFields.powerCapKw.optional(),
    latencyMsByOrigin: clusterFields.latencyMsByOrigin.optional().describe('Replaces the whole table.'),
    active: clusterFields.active.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change', path: [] })
  .meta({ example: { gpuTotal: 4608, pue: 1.15, latencyMsByOrigin: { 'eu-west-users': 16 } } });
export type UpdateClusterBody = z.output<typeof UpdateClusterBody>;

export const ClusterSchema = z
  .object({
    id: z.string(),
    ...clusterFields,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    example: {
      id: 'fra-1',
      name: 'Frankfurt 1',
      region: 'eu-central',
      zone: 'DE-LU',
      gpuModel: 'H100',
      gpuTotal: 4096,
      kwPerGpu: 0.7,
      pue: 1.18,
      powerCapKw: 7000,
      latencyMsByOrigin: { 'eu-west-users': 18 },
      active: true,
      createdAt: '2024-03-01T10:00:00.000Z',
      updatedAt: '2024-03-01T10:00:00.000Z',
    },
  });
export type ClusterView = z.infer<typeof ClusterSchema>;
export const ClusterListSchema = listOf(ClusterSchema);

// ---- zones --------------------------------------------------------------------------------------------------

export const PutZoneBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    currency: Currency.describe('Currency the zone’s prices are quoted in.'),
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'expected an IANA time zone like Europe/Berlin')
      .default('UTC'),
  })
  .meta({ example: { name: 'Germany-Luxembourg', currency: 'EUR', timeZone: 'Europe/Berlin' } });
export type PutZoneBody = z.output<typeof PutZoneBody>;
export const ZoneIdParam = ZoneId;

export const ZoneSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    timeZone: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    example: {
      id: 'DE-LU',
      name: 'Germany-Luxembourg',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      createdAt: '2024-03-01T10:00:00.000Z',
      updatedAt: '2024-03-01T10:00:00.000Z',
    },
  });
export type ZoneView = z.infer<typeof ZoneSchema>;
export const ZoneListSchema = listOf(ZoneSchema);

// ---- exchange rates -----------------------------------------------------------------------------------------

export const CurrencyParam = Currency;
export const PutRateBody = z
  .strictObject({
    perBase: plausible(
      1e-4,
      1e6,
      '',
      'Units of this currency per one unit of the base currency (the FX table base, USD by default).',
    ),
  })
  .meta({ example: { perBase: 0.925 } });

export const ExchangeRateSchema = z
  .object({ currency: z.string(), perBase: z.number(), updatedAt: z.string() })
  .meta({ example: { currency: 'EUR', perBase: 0.925, updatedAt: '2024-03-01T10:00:00.000Z' } });
export type ExchangeRateView = z.infer<typeof ExchangeRateSchema>;
export const ExchangeRateListSchema = z
  .object({
    items: z.array(ExchangeRateSchema),
    note: z.string(),
  })
  .meta({
    example: {
      items: [{ currency: 'EUR', perBase: 0.925, updatedAt: '2024-03-01T10:00:00.000Z' }],
      note: 'perBase = units of the currency per one unit of the base currency of the FX table (USD by default); rows here override the file.',
    },
  });
