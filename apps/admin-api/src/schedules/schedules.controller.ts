import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Caller } from '../auth/access.guard.js';
import { actorOf, type Principal, Requires } from '../auth/roles.js';
import { Slug, Uuid } from '../http/query.js';
import { ApiProblems, ApiZodBody, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { ScheduleViews } from './schedule-views.js';
import {
  DetailQuery,
  DiffQuery,
  DiffSchema,
  ListSchedulesQuery,
  PlacementPageSchema,
  PlacementsQuery,
  ScheduleDetailSchema,
  ScheduleJobSchema,
  SchedulePricesSchema,
  SchedulePageSchema,
  ScheduleSummarySchema,
} from './schedules.schemas.js';
import { SCHEDULING, type SchedulingPort } from './scheduling.port.js';

const ApproveBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(1000).optional().describe('Optional note for the audit log.'),
  })
  .meta({ example: { reason: 'checked the diff; savings as expected' } });
const RejectBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(1000).describe('Why the schedule is rejected (required).'),
  })
  .meta({ example: { reason: 'moves too much batch work into a zone with a price spike risk' } });

@ApiTags('schedules')
@Controller('schedules')
export class SchedulesController {
  constructor(
    private readonly views: ScheduleViews,
    @Inject(SCHEDULING) private readonly scheduling: SchedulingPort,
  ) {}

  @Get()
  @Requires('viewer')
  @ApiOperation({
    summary: 'List schedules, newest first (filter by status, kind and time; cursor-paginated)',
  })
  @ApiZodQuery(ListSchedulesQuery)
  @ApiZodResponse(200, 'SchedulePage', SchedulePageSchema, 'A page of schedule summaries.')
  @ApiProblems([400, 'Invalid query.'])
  @Header('Content-Type', 'application/json; charset=utf-8')
  async list(
    @Query(new ZodPipe(ListSchedulesQuery)) query: z.output<typeof ListSchedulesQuery>,
  ): Promise<string> {
    // JSON text of SchedulePageSchema, rows built by PostgreSQL (see ScheduleViewRepository.list).
    return this.views.listJson(query);
  }

  @Get(':id')
  @Requires('viewer')
  @ApiOperation({
    summary:
      'Schedule detail: placements per cluster and slot, costs from placements, savings against the baselines, assumptions, shortfalls',
    description:
      'Per-job placements are paginated at /schedules/{id}/placements; one job’s placements and explanation at /schedules/{id}/jobs/{jobId}.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodQuery(DetailQuery)
  @ApiZodResponse(200, 'ScheduleDetail', ScheduleDetailSchema, 'The schedule.')
  @ApiProblems([400, 'Malformed id or query.'], [404, 'No such schedule.'])
  @Header('Content-Type', 'application/json; charset=utf-8')
  async detail(
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Query(new ZodPipe(DetailQuery)) query: z.output<typeof DetailQuery>,
  ): Promise<string> {
    // JSON text of ScheduleDetailSchema: most of it is serialised once per schedule (see ScheduleViews).
    return this.views.detailJson(id, query.shortfallLimit);
  }

  @Get(':id/placements')
  @Requires('viewer')
  @ApiOperation({ summary: 'Per-job placements of a schedule (cluster, slot, job order; cursor-paginated)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodQuery(PlacementsQuery)
  @ApiZodResponse(200, 'PlacementPage', PlacementPageSchema, 'A page of placements.')
  @ApiProblems([400, 'Malformed id or query.'], [404, 'No such schedule.'])
  async placements(
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Query(new ZodPipe(PlacementsQuery)) query: z.output<typeof PlacementsQuery>,
  ): Promise<z.infer<typeof PlacementPageSchema>> {
    return this.views.placements(id, query);
  }

  @Get(':id/prices')
  @Requires('viewer')
  @ApiOperation({
    summary:
      'Zone prices the schedule was planned on, per slot, with their source and forecast bands (p10/p50/p90)',
    description:
      'From what was stored with the schedule (its input snapshot and `price-forecast` assumptions), not from today’s stored prices: slots after the last published price carry the forecast’s quantiles.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodResponse(
    200,
    'SchedulePrices',
    SchedulePricesSchema,
    'One curve per zone of the schedule’s clusters.',
  )
  @ApiProblems([400, 'Malformed id.'], [404, 'No such schedule.'])
  async prices(@Param('id', new ZodPipe(Uuid)) id: string): Promise<z.infer<typeof SchedulePricesSchema>> {
    return this.views.prices(id);
  }

  @Get(':id/jobs/:jobId')
  @Requires('viewer')
  @ApiOperation({
    summary: 'One job in a schedule: placements, cost, shortfall and why not somewhere cheaper',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'jobId', example: 'chat-eu' })
  @ApiZodResponse(200, 'ScheduleJob', ScheduleJobSchema, 'The job’s part of the schedule.')
  @ApiProblems([400, 'Malformed id.'], [404, 'No such schedule, or the job is not in it.'])
  async job(
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Param('jobId', new ZodPipe(Slug)) jobId: string,
  ): Promise<z.infer<typeof ScheduleJobSchema>> {
    return this.views.job(id, jobId);
  }

  @Get(':id/diff')
  @Requires('viewer')
  @ApiOperation({
    summary: 'Diff against the published schedule: which jobs move where, GPU-hours moved and the cost delta',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodQuery(DiffQuery)
  @ApiZodResponse(200, 'ScheduleDiff', DiffSchema, 'The diff; jobs sorted by GPU-hours changed.')
  @ApiProblems([400, 'Malformed id or query.'], [404, 'No such schedule (path `id` or query `against`).'])
  async diff(
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Query(new ZodPipe(DiffQuery)) query: z.output<typeof DiffQuery>,
  ): Promise<z.infer<typeof DiffSchema>> {
    return this.views.diff(id, query);
  }

  @Post(':id/approve')
  @Requires('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve a draft: placement orders go to the outbox (published by the planner’s relay); audited',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodBody('ApproveSchedule', ApproveBody)
  @ApiZodResponse(200, 'ScheduleSummary', ScheduleSummarySchema, 'The approved schedule.')
  @ApiProblems(
    [400, 'Malformed id or body.'],
    [404, 'No such schedule.'],
    [409, 'Not a draft (e.g. already approved).'],
  )
  async approve(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Body(new ZodPipe(ApproveBody)) body: z.output<typeof ApproveBody>,
  ): Promise<z.infer<typeof ScheduleSummarySchema>> {
    await this.scheduling.approve(id, {
      actor: actorOf(caller),
      ...(body.reason ? { reason: body.reason } : {}),
    });
    return this.summary(id);
  }

  @Post(':id/reject')
  @Requires('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a draft with a reason (nothing is published); audited' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodBody('RejectSchedule', RejectBody)
  @ApiZodResponse(200, 'ScheduleSummary', ScheduleSummarySchema, 'The rejected schedule.')
  @ApiProblems([400, 'Malformed id, or no reason.'], [404, 'No such schedule.'], [409, 'Not a draft.'])
  async reject(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Body(new ZodPipe(RejectBody)) body: z.output<typeof RejectBody>,
  ): Promise<z.infer<typeof ScheduleSummarySchema>> {
    await this.scheduling.reject(id, { actor: actorOf(caller), reason: body.reason });
    return this.summary(id);
  }

  private async summary(id: string): Promise<z.infer<typeof ScheduleSummarySchema>> {
    return this.views.summary(id);
  }
}
