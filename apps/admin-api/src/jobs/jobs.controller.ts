import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Caller } from '../auth/access.guard.js';
import { actorOf, type Principal, Requires } from '../auth/roles.js';
import { Slug } from '../http/query.js';
import { ApiProblems, ApiZodBody, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import {
  CreateJobBody,
  JobPageSchema,
  JobSchema,
  ListJobsQuery,
  PinBody,
  PinResultSchema,
  UpdateJobBody,
} from './jobs.schemas.js';
import { JobsService } from './jobs.service.js';

type JobOut = z.infer<typeof JobSchema>;
const ReasonBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional().describe('Why, for the audit log.') })
  .meta({ example: { reason: 'model upgrade in progress' } });

@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Get()
  @Requires('viewer')
  @ApiOperation({ summary: 'List jobs (by id, cursor-paginated)' })
  @ApiZodQuery(ListJobsQuery)
  @ApiZodResponse(200, 'JobPage', JobPageSchema, 'A page of jobs.')
  @ApiProblems([400, 'Invalid query.'])
  async list(
    @Query(new ZodPipe(ListJobsQuery)) query: z.output<typeof ListJobsQuery>,
  ): Promise<z.infer<typeof JobPageSchema>> {
    return this.jobs.list(query);
  }

  @Get(':id')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get one job' })
  @ApiParam({ name: 'id', example: 'chat-eu' })
  @ApiZodResponse(200, 'Job', JobSchema, 'The job.')
  @ApiProblems([404, 'No such job.'])
  async get(@Param('id', new ZodPipe(Slug)) id: string): Promise<JobOut> {
    return this.jobs.get(id);
  }

  @Post()
  @Requires('operator')
  @ApiOperation({
    summary: 'Create an inference job (interactive: tokens per hour; batch: total tokens by a deadline)',
  })
  @ApiZodBody('CreateJob', CreateJobBody)
  @ApiZodResponse(201, 'Job', JobSchema, 'The job.')
  @ApiProblems([400, 'Invalid body.'], [409, 'The id is taken.'])
  async create(
    @Caller() caller: Principal,
    @Body(new ZodPipe(CreateJobBody)) body: CreateJobBody,
  ): Promise<JobOut> {
    return this.jobs.create(actorOf(caller), body);
  }

  @Patch(':id')
  @Requires('operator')
  @ApiOperation({ summary: 'Update a job (the kind cannot change)' })
  @ApiParam({ name: 'id', example: 'chat-eu' })
  @ApiZodBody('UpdateJob', UpdateJobBody)
  @ApiZodResponse(200, 'Job', JobSchema, 'The updated job.')
  @ApiProblems([400, 'Invalid body, or a field of the other kind.'], [404, 'No such job.'])
  async update(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Slug)) id: string,
    @Body(new ZodPipe(UpdateJobBody)) body: z.output<typeof UpdateJobBody>,
  ): Promise<JobOut> {
    return this.jobs.update(actorOf(caller), id, body);
  }

  @Post(':id/pause')
  @Requires('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a job (left out of the next plans; idempotent)' })
  @ApiParam({ name: 'id', example: 'chat-eu' })
  @ApiZodBody('PauseJob', ReasonBody)
  @ApiZodResponse(200, 'Job', JobSchema, 'The paused job.')
  @ApiProblems([400, 'Invalid body.'], [404, 'No such job.'])
  async pause(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Slug)) id: string,
    @Body(new ZodPipe(ReasonBody)) body: z.output<typeof ReasonBody>,
  ): Promise<JobOut> {
    return this.jobs.setStatus(actorOf(caller), id, 'paused', body.reason);
  }

  @Post(':id/resume')
  @Requires('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused job (idempotent)' })
  @ApiParam({ name: 'id', example: 'chat-eu' })
  @ApiZodBody('ResumeJob', ReasonBody)
  @ApiZodResponse(200, 'Job', JobSchema, 'The active job.')
  @ApiProblems([400, 'Invalid body.'], [404, 'No such job.'])
  async resume(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Slug)) id: string,
    @Body(new ZodPipe(ReasonBody)) body: z.output<typeof ReasonBody>,
  ): Promise<JobOut> {
    return this.jobs.setStatus(actorOf(caller), id, 'active', body.reason);
  }

  @Delete(':id')
  @Requires('operator')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a job (stored schedules keep their placements)' })
  @ApiParam({ name: 'id', example: 'chat-eu' })
  @ApiProblems([404, 'No such job.'])
  async remove(@Caller() caller: Principal, @Param('id', new ZodPipe(Slug)) id: string): Promise<void> {
    await this.jobs.remove(actorOf(caller), id);
  }

  @Post(':id/pins')
  @Requires('operator')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Pin or forbid a job on a cluster (or clear that), audited as an override, then request a re-plan',
  })
  @ApiParam({ name: 'id', example: 'chat-eu' })
  @ApiZodBody('PinJob', PinBody)
  @ApiZodResponse(202, 'PinResult', PinResultSchema, 'The job with its new pins and the plan request.')
  @ApiProblems([400, 'Invalid body.'], [404, 'No such job, or unknown cluster (field `clusterId`).'])
  async pin(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Slug)) id: string,
    @Body(new ZodPipe(PinBody)) body: PinBody,
  ): Promise<z.infer<typeof PinResultSchema>> {
    return this.jobs.pin(actorOf(caller), id, body);
  }
}
