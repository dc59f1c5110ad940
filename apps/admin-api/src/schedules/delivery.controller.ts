import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AuditRepository, DeliveryRepository, type DeliveryRow } from '#gridshift/persistence';
import { Caller } from '../auth/access.guard.js';
import { actorOf, type Principal, Requires } from '../auth/roles.js';
import { NotFoundError } from '../http/errors.js';
import { Uuid } from '../http/query.js';
import { ApiProblems, ApiZodBody, ApiZodResponse, ZodPipe } from '../http/zod.js';

const Reason = z.object({ code: z.string(), text: z.string(), jobId: z.string().optional() });

export const DeliverySchema = z.object({
  scheduleId: z.string(),
  clusterId: z.string(),
  version: z.number().int(),
  messageId: z.string().describe('The order’s message-id (a resend carries the same one).'),
  status: z
    .enum(['sent', 'accepted', 'applied', 'partially-applied', 'rejected'])
    .describe('Where the order stands at the data center.'),
  firstSentAt: z.string(),
  lastSentAt: z.string(),
  sends: z.number().int().describe('Times the relay sent it (1 + resends that went out).'),
  resends: z.number().int().describe('Times it was queued again for want of an acknowledgement.'),
  ackedAt: z.string().nullable().describe('When the first acknowledgement was stored.'),
  statusAt: z.string().nullable().describe('When the data center says it reached `status`.'),
  settledAt: z.string().nullable().describe('When the settling acknowledgement was stored.'),
  reasons: z.array(Reason),
  applied: z
    .array(z.object({ jobId: z.string(), slotStart: z.string(), gpus: z.number().int() }))
    .nullable()
    .describe('Per job and slot, GPUs applied where they differ from the order.'),
  superseded: z.boolean().describe('A newer order went to this cluster since.'),
});

/** A delivery row as the API shows it. */
export function toDelivery(r: DeliveryRow): z.infer<typeof DeliverySchema> {
  return {
    scheduleId: r.scheduleId,
    clusterId: r.clusterId,
    version: r.version,
    messageId: r.messageId,
    status: r.status,
    firstSentAt: r.firstSentAt.toISOString(),
    lastSentAt: r.lastSentAt.toISOString(),
    sends: r.sends,
    resends: r.resends,
    ackedAt: r.ackedAt?.toISOString() ?? null,
    statusAt: r.statusAt?.toISOString() ?? null,
    settledAt: r.settledAt?.toISOString() ?? null,
    reasons: r.reasons,
    applied: r.applied,
    superseded: r.superseded,
  };
}

export const ScheduleDeliverySchema = z
  .object({
    scheduleId: z.string(),
    counts: z.record(z.string(), z.number().int()).describe('Orders per status.'),
    clusters: z.array(DeliverySchema),
  })
  .meta({
    example: {
      scheduleId: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
      counts: { applied: 7, rejected: 1 },
      clusters: [],
    },
  });

const ExclusionSchema = z.object({
  id: z.string(),
  jobId: z.string(),
  clusterId: z.string(),
  reason: z.string().describe('What the data center said.'),
  scheduleId: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
});
export const ExclusionListSchema = z.object({ exclusions: z.array(ExclusionSchema) });

const ClearBody = z.strictObject({
  reason: z.string().trim().min(1).max(1000).describe('Why the job may go back to that cluster (audited).'),
});
const ExclusionId = z.string().regex(/^\d{1,18}$/, { message: 'expected an exclusion id (digits)' });

/** Delivery state of a schedule's orders, and the refusals the data centers made (operators clear them). */
@ApiTags('delivery')
@Controller()
export class DeliveryController {
  private readonly deliveries: DeliveryRepository;

  constructor(private readonly db: DataSource) {
    this.deliveries = new DeliveryRepository(db);
  }

  @Get('schedules/:id/delivery')
  @Requires('viewer')
  @ApiOperation({
    summary: 'Delivery state per cluster: sent → acknowledged → applied / partially applied / rejected',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodResponse(
    200,
    'ScheduleDelivery',
    ScheduleDeliverySchema,
    'One row per cluster the schedule sent to.',
  )
  @ApiProblems([400, 'Malformed id.'], [404, 'No such schedule.'])
  async delivery(
    @Param('id', new ZodPipe(Uuid)) id: string,
  ): Promise<z.infer<typeof ScheduleDeliverySchema>> {
    if (!(await this.deliveries.scheduleExists(id)))
      throw new NotFoundError('schedule', id, { name: 'id', in: 'path' });
    const rows = await this.deliveries.forSchedule(id);
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return {
      scheduleId: id,
      counts,
      clusters: rows.map(toDelivery),
    };
  }

  @Get('deliveries/exclusions')
  @Requires('viewer')
  @ApiOperation({ summary: 'Jobs the data centers refused: kept out of those clusters until cleared' })
  @ApiZodResponse(200, 'ExclusionList', ExclusionListSchema, 'Active exclusions, oldest first.')
  async exclusions(): Promise<z.infer<typeof ExclusionListSchema>> {
    const rows = await this.deliveries.activeExclusions();
    return { exclusions: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
  }

  @Post('deliveries/exclusions/:id/clear')
  @Requires('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Let a refused job go back to that cluster (the next plan may place it there); audited',
  })
  @ApiParam({ name: 'id', example: '17' })
  @ApiZodBody('ClearExclusion', ClearBody)
  @ApiZodResponse(200, 'Exclusion', ExclusionSchema, 'The cleared exclusion.')
  @ApiProblems([400, 'Malformed id or body.'], [404, 'No active exclusion with that id.'])
  async clear(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(ExclusionId)) id: string,
    @Body(new ZodPipe(ClearBody)) body: z.output<typeof ClearBody>,
  ): Promise<z.infer<typeof ExclusionSchema>> {
    const actor = actorOf(caller);
    const cleared = await this.db.transaction(async (manager) => {
      const row = await new DeliveryRepository(manager).clearExclusion(id, actor, manager);
      if (row !== null)
        await new AuditRepository(manager).record(
          {
            actor,
            action: 'exclusion.clear',
            targetType: 'exclusion',
            targetId: id,
            before: { jobId: row.jobId, clusterId: row.clusterId, reason: row.reason },
            reason: body.reason,
          },
          manager,
        );
      return row;
    });
    if (cleared === null) throw new NotFoundError('exclusion', id, { name: 'id', in: 'path' });
    return { ...cleared, createdAt: cleared.createdAt.toISOString() };
  }
}
