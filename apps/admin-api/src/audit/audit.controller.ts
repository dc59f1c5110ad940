import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AuditRepository } from '#gridshift/persistence';
import { Requires } from '../auth/roles.js';
import { pageOf, q } from '../http/query.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';

export const AuditQuery = z
  .strictObject({
    from: q.time().optional(),
    to: q.time().optional(),
    actor: z.string().max(300).optional(),
    action: z
      .string()
      .max(100)
      .optional()
      .describe('e.g. `schedule.approve`, `job.forbid`, `api-key.create`.'),
    targetType: z.string().max(50).optional().describe('e.g. `schedule`, `job`, `cluster`, `api-key`.'),
    targetId: z.string().max(200).optional(),
    limit: q.int(1, 500, 100),
    cursor: z
      .string()
      .regex(/^\d{1,19}$/, 'expected the nextCursor of a previous page')
      .optional(),
  })
  .refine((v) => !v.from || !v.to || v.to > v.from, { message: 'to must be after from', path: ['to'] });

const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string().describe('`<key name> [<key prefix>]`, `planner`, `cli`, …'),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  reason: z.string().nullable(),
});

export const AuditPageSchema = pageOf(AuditEntrySchema).meta({
  example: {
    items: [
      {
        id: '1042',
        at: '2024-03-01T10:02:11.000Z',
        actor: 'ops-alice [gsk_3fa2b1c0]',
        action: 'job.forbid',
        targetType: 'job',
        targetId: 'chat-eu',
        before: { pins: {} },
        after: { pins: { mustNotRunIn: ['fra-1'] }, clusterId: 'fra-1' },
        reason: 'maintenance window',
      },
    ],
    nextCursor: '1042',
  },
});

@ApiTags('audit')
@Controller('audit-log')
export class AuditController {
  private readonly audit: AuditRepository;

  constructor(db: DataSource) {
    this.audit = new AuditRepository(db);
  }

  @Get()
  @Requires('viewer')
  @ApiOperation({ summary: 'The audit log: who did what, when, before and after (newest first)' })
  @ApiZodQuery(AuditQuery)
  @ApiZodResponse(200, 'AuditPage', AuditPageSchema, 'A page of audit entries.')
  @ApiProblems([400, 'Invalid query.'])
  async list(
    @Query(new ZodPipe(AuditQuery)) query: z.output<typeof AuditQuery>,
  ): Promise<z.infer<typeof AuditPageSchema>> {
    const rows = await this.audit.list({
      from: query.from,
      to: query.to,
      actor: query.actor,
      action: query.action,
      targetType: query.targetType,
      targetId: query.targetId,
      beforeId: query.cursor,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((r) => ({
        ...r,
        at: r.at.toISOString(),
        before: r.before ?? null,
        after: r.after ?? null,
      })),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }
}
