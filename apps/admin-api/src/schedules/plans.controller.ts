import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AuditRepository } from '#gridshift/persistence';
import { z } from 'zod';
import { Caller } from '../auth/access.guard.js';
import { actorOf, type Principal, Requires } from '../auth/roles.js';
import { Uuid } from '../http/query.js';
import { ApiProblems, ApiZodBody, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { ScheduleViews } from './schedule-views.js';
import { ScheduleSummarySchema } from './schedules.schemas.js';
import { SCHEDULING, type SchedulingPort } from './scheduling.port.js';
import { WhatIfRunner } from './what-if.runner.js';
import { WhatIfBody } from './what-if.schema.js';

const PlanBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(1000).optional().describe('Why, for the audit trail.'),
  })
  .meta({ example: { reason: 'new capacity in mad-1' } });

export const PlanRequestSchema = z
  .object({
    id: z.uuid(),
    trigger: z.enum(['manual', 'override']),
    requestedBy: z.string(),
    reason: z.string().nullable(),
    status: z.enum(['pending', 'running', 'done', 'failed']),
    scheduleId: z.string().nullable().describe('The schedule the planner produced, once done.'),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({
    example: {
      id: '7d3c8e0a-3b1f-4a55-9f0e-2d6a1b9c4e21',
      trigger: 'manual',
      requestedBy: 'ops-alice [gsk_3fa2b1c0]',
      reason: 'new capacity in mad-1',
      status: 'done',
      scheduleId: '5b1f2c8e-9d7a-4e1b-8a3c-2f6d0e9b7a41',
      error: null,
      createdAt: '2024-03-01T10:00:00.000Z',
      startedAt: '2024-03-01T10:00:00.200Z',
      finishedAt: '2024-03-01T10:00:01.900Z',
    },
  });
type PlanRequestView = z.infer<typeof PlanRequestSchema>;

@ApiTags('planning actions')
@Controller()
export class PlansController {
  constructor(
    private readonly db: DataSource,
    private readonly views: ScheduleViews,
    @Inject(SCHEDULING) private readonly scheduling: SchedulingPort,
    private readonly whatIfs: WhatIfRunner,
  ) {}

  @Post('plans')
  @Requires('operator')
  @HttpCode(202)
  @ApiOperation({ summary: 'Trigger a re-plan now (the active planner picks the request up); audited' })
  @ApiZodBody('RequestPlan', PlanBody)
  @ApiZodResponse(202, 'PlanRequest', PlanRequestSchema, 'The plan request; poll GET /plans/{id}.')
  @ApiProblems([400, 'Invalid body.'])
  async request(
    @Caller() caller: Principal,
    @Body(new ZodPipe(PlanBody)) body: z.output<typeof PlanBody>,
  ): Promise<PlanRequestView> {
    const actor = actorOf(caller);
    const id = await this.db.transaction(async (m) => {
      const requestId = await this.scheduling.requestPlan(
        { trigger: 'manual', requestedBy: actor, ...(body.reason ? { reason: body.reason } : {}) },
        m,
      );
      await new AuditRepository(m).record(
        {
          actor,
          action: 'plan.request',
          targetType: 'plan-request',
          targetId: requestId,
          reason: body.reason ?? null,
        },
        m,
      );
      return requestId;
    });
    return this.scheduling.getPlanRequest(id);
  }

  @Get('plans/:id')
  @Requires('viewer')
  @ApiOperation({ summary: 'State of a plan request (pending, running, done with its schedule, failed)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodResponse(200, 'PlanRequest', PlanRequestSchema, 'The plan request.')
  @ApiProblems([400, 'Malformed id.'], [404, 'No such plan request.'])
  async get(@Param('id', new ZodPipe(Uuid)) id: string): Promise<PlanRequestView> {
    return this.scheduling.getPlanRequest(id);
  }

  @Post('what-ifs')
  @Requires('operator')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Plan a modified price or capacity scenario; stored as a what-if schedule, never published',
    description:
      'The plan is solved in this request, one what-if at a time per API process, the solve limited to WHAT_IF_SOLVE_TIME_LIMIT_MS (then the greedy heuristic, flagged). Read it like any schedule: GET /schedules/{id}, …/diff.',
  })
  @ApiZodBody('WhatIf', WhatIfBody)
  @ApiZodResponse(201, 'ScheduleSummary', ScheduleSummarySchema, 'The stored what-if schedule.')
  @ApiProblems(
    [400, 'Invalid scenario (the field is named).'],
    [429, 'Another what-if is being solved by this process; retry after `Retry-After` seconds.'],
  )
  async whatIf(
    @Caller() caller: Principal,
    @Body(new ZodPipe(WhatIfBody)) body: z.output<typeof WhatIfBody>,
  ): Promise<z.infer<typeof ScheduleSummarySchema>> {
    const scheduleId = await this.whatIfs.run({
      scenario: body.scenario,
      requestedBy: actorOf(caller),
      ...(body.reason ? { reason: body.reason } : {}),
    });
    return this.views.summary(scheduleId);
  }
}
