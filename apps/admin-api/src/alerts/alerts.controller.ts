import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { DeadLetterRepository, DeliveryRepository } from '#gridshift/persistence';
import { APP_CONFIG } from '#gridshift/platform';
import { Requires } from '../auth/roles.js';
import type { AdminApiConfig } from '../config.js';
import { q, Slug } from '../http/query.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { DeliverySchema, toDelivery } from '../schedules/delivery.controller.js';

const MAX_WINDOW_MINUTES = 30 * 24 * 60;
const Topic = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (letters, digits, ._-; at most 249)');
const Code = z.string().regex(/^[A-Z_]{1,64}$/, 'expected a dead-letter code, e.g. SCHEMA_VIOLATION');
const Cursor = z.string().regex(/^\d{1,18}$/, 'expected a cursor from a previous page');

export const DeadLettersQuery = z.strictObject({
  windowMinutes: q
    .int(1, MAX_WINDOW_MINUTES, 1440)
    .describe('Dead letters recorded in the last this many minutes (default a day; at most 30 days).'),
  topic: Topic.optional().describe('Only records of this source topic (counts stay per topic and code).'),
  code: Code.optional().describe('Only records with this code (counts stay per topic and code).'),
  limit: q.int(1, 200, 20).describe('Records per page (newest first).'),
  cursor: Cursor.optional(),
});

const DeadLetterSchema = z.object({
  id: z.string(),
  sourceTopic: z.string(),
  sourcePartition: z.number().int(),
  sourceOffset: z.string().describe('Kafka offset in the source topic (int64 as text).'),
  dlqTopic: z.string().describe('Where the original (or a reference to it) was written.'),
  code: z.string().describe('Why (the `error-code` header; docs/contracts.md lists every code).'),
  reason: z.string().describe('The `error-message` header: what exactly was wrong.'),
  key: z.string().nullable().describe('The original key as UTF-8 (first 200 characters).'),
  messageId: z.string().nullable().describe('The original’s `message-id` header.'),
  valueBytes: z.number().int().nullable().describe('Size of the original value; null for a tombstone.'),
  valueExcerpt: z
    .string()
    .nullable()
    .describe('The first 512 characters of the original value as UTF-8 (the DLQ topic has it whole).'),
  recordedAt: z.string(),
});

export const DeadLetterReportSchema = z
  .object({
    window: z.object({ from: z.string(), to: z.string(), minutes: z.number().int() }),
    total: z.number().int().describe('Dead letters recorded in the window (all topics and codes).'),
    counts: z
      .array(
        z.object({
          sourceTopic: z.string(),
          code: z.string(),
          count: z.number().int(),
          lastAt: z.string().describe('When the newest of them was recorded.'),
        }),
      )
      .describe('Per source topic and code, most frequent first.'),
    items: z.array(DeadLetterSchema).describe('The newest records (filtered by topic / code), newest first.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for older records; null on the last page.'),
  })
  .meta({
    example: {
      window: { from: '2024-03-01T12:00:00.000Z', to: '2024-03-02T12:00:00.000Z', minutes: 1440 },
      total: 3,
      counts: [
        {
          sourceTopic: 'gridshift.prices.v1',
          code: 'SCHEMA_VIOLATION',
          count: 3,
          lastAt: '2024-03-02T11:58:00.000Z',
        },
      ],
      items: [],
      nextCursor: null,
    },
  });

export const UnacknowledgedQuery = z.strictObject({
  limit: q.int(1, 500, 50).describe('Orders per page (by cluster id).'),
  cursor: Slug.optional().describe('The last cluster id of the previous page (`nextCursor`).'),
});

export const UnacknowledgedOrdersSchema = z
  .object({
    timeoutSeconds: z
      .number()
      .int()
      .describe(
        'PLANNER_ACK_TIMEOUT_SECONDS: an order still `sent` this long after its last send is overdue.',
      ),
    count: z.number().int().describe('Overdue orders fleet-wide (the newest order of each cluster only).'),
    oldestAgeSeconds: z
      .number()
      .describe('Seconds since the oldest overdue order was last sent (0 when none).'),
    items: z.array(DeliverySchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ example: { timeoutSeconds: 120, count: 0, oldestAgeSeconds: 0, items: [], nextCursor: null } });

/** What operators are alerted to besides stale feeds: dead letters and placement orders nobody acknowledged. */
@ApiTags('alerts')
@Controller()
export class AlertsController {
  private readonly deadLetters: DeadLetterRepository;
  private readonly deliveries: DeliveryRepository;

  constructor(
    db: DataSource,
    @Inject(APP_CONFIG) private readonly config: Pick<AdminApiConfig, 'PLANNER_ACK_TIMEOUT_SECONDS'>,
  ) {
    this.deadLetters = new DeadLetterRepository(db);
    this.deliveries = new DeliveryRepository(db);
  }

  @Get('dead-letters')
  @Requires('viewer')
  @ApiOperation({
    summary: 'Recent dead letters: counts per source topic and code over a window, and the newest records',
    description:
      'Recorded by the ingest when it writes a record to `<topic>.dlq` (one row per source record); the DLQ topics keep the originals for `npm run dlq:replay`.',
  })
  @ApiZodQuery(DeadLettersQuery)
  @ApiZodResponse(200, 'DeadLetterReport', DeadLetterReportSchema, 'Counts and a page of records.')
  @ApiProblems([400, 'Invalid query.'])
  async deadLetterReport(
    @Query(new ZodPipe(DeadLettersQuery)) query: z.output<typeof DeadLettersQuery>,
  ): Promise<z.infer<typeof DeadLetterReportSchema>> {
    const to = new Date();
    const since = new Date(to.getTime() - query.windowMinutes * 60_000);
    const [counts, rows] = await Promise.all([
      this.deadLetters.countsSince(since),
      this.deadLetters.latest({
        since,
        limit: query.limit + 1,
        ...(query.cursor ? { beforeId: query.cursor } : {}),
        ...(query.topic ? { sourceTopic: query.topic } : {}),
        ...(query.code ? { code: query.code } : {}),
      }),
    ]);
    const page = rows.slice(0, query.limit);
    return {
      window: { from: since.toISOString(), to: to.toISOString(), minutes: query.windowMinutes },
      total: counts.reduce((sum, c) => sum + c.count, 0),
      counts: counts.map((c) => ({ ...c, lastAt: c.lastAt.toISOString() })),
      items: page.map((r) => ({ ...r, recordedAt: r.recordedAt.toISOString() })),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  @Get('deliveries/unacknowledged')
  @Requires('viewer')
  @ApiOperation({
    summary:
      'Placement orders not acknowledged within PLANNER_ACK_TIMEOUT_SECONDS, fleet-wide (cursor by cluster)',
    description:
      'The newest order of each cluster whose data center has not acknowledged it since its last send; the planner resends them with the same message-id.',
  })
  @ApiZodQuery(UnacknowledgedQuery)
  @ApiZodResponse(200, 'UnacknowledgedOrders', UnacknowledgedOrdersSchema, 'Overdue orders by cluster id.')
  @ApiProblems([400, 'Invalid query.'])
  async unacknowledged(
    @Query(new ZodPipe(UnacknowledgedQuery)) query: z.output<typeof UnacknowledgedQuery>,
  ): Promise<z.infer<typeof UnacknowledgedOrdersSchema>> {
    const timeoutSeconds = this.config.PLANNER_ACK_TIMEOUT_SECONDS;
    const [summary, rows] = await Promise.all([
      this.deliveries.unacknowledged(timeoutSeconds),
      this.deliveries.unacknowledgedOrders(timeoutSeconds, {
        limit: query.limit + 1,
        ...(query.cursor ? { afterClusterId: query.cursor } : {}),
      }),
    ]);
    const page = rows.slice(0, query.limit);
    return {
      timeoutSeconds,
      count: summary.count,
      oldestAgeSeconds: summary.count === 0 ? 0 : summary.oldestAgeSeconds,
      items: page.map(toDelivery),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.clusterId ?? null) : null,
    };
  }
}
