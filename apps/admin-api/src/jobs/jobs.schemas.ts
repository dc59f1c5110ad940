import { z } from 'zod';
import { plausible } from '../http/bounds.js';
import { pageOf, q, Slug } from '../http/query.js';

const ZoneId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'expected a bidding-zone code like DE-LU');
const Time = z.iso.datetime({
  offset: true,
  message: 'expected an RFC 3339 timestamp with offset, e.g. 2024-03-01T00:00:00Z',
});

export const PinsSchema = z
  .strictObject({
    mustRunIn: z.array(Slug).max(1000).optional().describe('Only these clusters may run the job.'),
    mustNotRunIn: z.array(Slug).max(1000).optional().describe('These clusters must not run the job.'),
  })
  .describe('Operator overrides; set them with POST /jobs/{id}/pins.');

const common = {
  name: z.string().trim().min(1).max(200),
  model: z.string().trim().min(1).max(200).describe('Model served, e.g. `llama-3-70b`.'),
  tokensPerSecondPerGpu: z
    .record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a GPU model like H100'),
      plausible(0.01, 1_000_000, 'tokens/s', 'Tokens per second of one GPU.'),
    )
    .refine((v) => Object.keys(v).length > 0, 'give the throughput on at least one GPU model')
    .describe('Tokens per second one GPU of each model produces for this job, e.g. `{ "H100": 2400 }`.'),
  origin: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'expected an origin name like eu-west-users')
    .describe('Where requests come from (a key of clusters’ latency tables).'),
  latencySlaMs: plausible(1, 60_000, 'ms', 'Max latency from the origin, ms; null = none.').nullable(),
  residency: z.array(ZoneId).max(200).describe('Zones the data may be processed in; empty = anywhere.'),
  tier: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a tier name like critical, standard or best-effort')
    .describe('Priority tier; prices unserved GPU-hours.'),
  maxGpus: plausible(1, 1_000_000, 'GPUs', 'Most GPUs at once across all clusters.', 'integer'),
  homeClusterId: Slug.nullable().describe(
    'Where the job runs without gridshift: the home baseline places it there (null = its first allowed cluster).',
  ),
};

const interactive = {
  kind: z.literal('interactive'),
  tokensPerHour: plausible(1, 1e13, 'tokens/h', 'Token demand per hour (interactive serving).'),
  demandProfile: z
    .array(plausible(0, 100, '', 'Multiplier of tokensPerHour in this hour.'))
    .length(24)
    .nullable()
    .describe('Optional multipliers per hour of day (UTC), applied to tokensPerHour.'),
};

const batch = {
  kind: z.literal('batch'),
  totalTokens: plausible(1, 1e16, 'tokens', 'Tokens to produce in total (batch inference).'),
  windowStart: Time.nullable().describe('Earliest start; null = now.'),
  deadline: Time.describe('Must be done by then.'),
};

const deadlineAfterStart = (v: { kind: string; windowStart?: string | null; deadline?: string }) =>
  v.kind !== 'batch' || !v.windowStart || !v.deadline || Date.parse(v.deadline) > Date.parse(v.windowStart);
const deadlineIssue = { message: 'deadline must be after windowStart', path: ['deadline'] };

export const CreateJobBody = z
  .discriminatedUnion('kind', [
    z.strictObject({
      id: Slug.optional().describe('Stable id; generated when omitted.'),
      ...common,
      latencySlaMs: common.latencySlaMs.default(null),
      residency: common.residency.default([]),
      pins: PinsSchema.default({}),
      homeClusterId: common.homeClusterId.default(null),
      ...interactive,
      demandProfile: interactive.demandProfile.default(null),
    }),
    z.strictObject({
      id: Slug.optional().describe('Stable id; generated when omitted.'),
      ...common,
      latencySlaMs: common.latencySlaMs.default(null),
      residency: common.residency.default([]),
      pins: PinsSchema.default({}),
      homeClusterId: common.homeClusterId.default(null),
      ...batch,
      windowStart: batch.windowStart.default(null),
    }),
  ])
  .refine(deadlineAfterStart, deadlineIssue)
  .meta({
    example: {
      id: 'chat-eu',
      name: 'EU chat assistant',
      model: 'llama-3-70b',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400, A100: 1100 },
      tokensPerHour: 1.2e9,
      origin: 'eu-west-users',
      latencySlaMs: 60,
      residency: ['DE-LU', 'FR', 'NL'],
      tier: 'critical',
      maxGpus: 512,
    },
  });
export type CreateJobBody = z.output<typeof CreateJobBody>;

export const UpdateJobBody = z
  .strictObject({
    name: common.name.optional(),
    model: common.model.optional(),
    tokensPerSecondPerGpu: common.tokensPerSecondPerGpu.optional(),
    origin: common.origin.optional(),
    latencySlaMs: common.latencySlaMs.optional(),
    residency: common.residency.optional(),
    tier: common.tier.optional(),
    maxGpus: common.maxGpus.optional(),
    homeClusterId: common.homeClusterId.optional(),
    tokensPerHour: interactive.tokensPerHour.optional().describe('Interactive jobs only.'),
    demandProfile: interactive.demandProfile.optional().describe('Interactive jobs only.'),
    totalTokens: batch.totalTokens.optional().describe('Batch jobs only.'),
    windowStart: batch.windowStart.optional().describe('Batch jobs only.'),
    deadline: batch.deadline.optional().describe('Batch jobs only.'),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change', path: [] })
  .meta({ example: { tokensPerHour: 1.5e9, maxGpus: 640 } });
export type UpdateJobBody = z.output<typeof UpdateJobBody>;

export const PinBody = z
  .strictObject({
    clusterId: Slug.describe('The cluster to pin the job on, forbid it on, or clear.'),
    mode: z
      .enum(['pin', 'forbid', 'clear'])
      .describe(
        'pin: add to mustRunIn (the job runs only on pinned clusters); forbid: add to mustNotRunIn; clear: remove from both.',
      ),
    reason: z.string().trim().min(1).max(500).optional().describe('Why, for the audit log.'),
    replan: z.boolean().default(true).describe('Request a re-plan (trigger `override`) after the change.'),
  })
  .meta({ example: { clusterId: 'fra-1', mode: 'forbid', reason: 'maintenance window', replan: true } });
export type PinBody = z.output<typeof PinBody>;

export const ListJobsQuery = z.strictObject({
  status: z.enum(['active', 'paused']).optional(),
  kind: z.enum(['interactive', 'batch']).optional(),
  tier: z.string().max(32).optional(),
  limit: q.int(1, 1000, 100),
  cursor: Slug.optional().describe('`nextCursor` of the previous page.'),
});

export const JobSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    model: z.string(),
    kind: z.enum(['interactive', 'batch']),
    tokensPerSecondPerGpu: z.record(z.string(), z.number()),
    tokensPerHour: z.number().nullable(),
    demandProfile: z.array(z.number()).nullable(),
    totalTokens: z.number().nullable(),
    windowStart: z.string().nullable(),
    deadline: z.string().nullable(),
    origin: z.string(),
    latencySlaMs: z.number().nullable(),
    residency: z.array(z.string()),
    tier: z.string(),
    maxGpus: z.number().int(),
    homeClusterId: z.string().nullable(),
    pins: z.object({
      mustRunIn: z.array(z.string()).optional(),
      mustNotRunIn: z.array(z.string()).optional(),
    }),
    status: z.enum(['active', 'paused']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    example: {
      id: 'chat-eu',
      name: 'EU chat assistant',
      model: 'llama-3-70b',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400 },
      tokensPerHour: 1.2e9,
      demandProfile: null,
      totalTokens: null,
      windowStart: null,
      deadline: null,
      origin: 'eu-west-users',
      latencySlaMs: 60,
      residency: ['DE-LU', 'FR'],
      tier: 'critical',
      maxGpus: 512,
      pins: { mustNotRunIn: ['fra-1'] },
      status: 'active',
      createdAt: '2024-03-01T10:00:00.000Z',
      updatedAt: '2024-03-01T10:00:00.000Z',
    },
  });
export type JobView = z.infer<typeof JobSchema>;
export const JobPageSchema = pageOf(JobSchema);

export const PlanRequestRefSchema = z.object({
  id: z.string().describe('Plan request id; follow it with GET /plans/{id}.'),
});

export const PinResultSchema = z
  .object({ job: JobSchema, planRequest: PlanRequestRefSchema.nullable() })
  .meta({
    example: {
      job: { id: 'chat-eu', pins: { mustNotRunIn: ['fra-1'] }, status: 'active' },
      planRequest: { id: '7d3c8e0a-3b1f-4a55-9f0e-2d6a1b9c4e21' },
    },
  });
