import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { gridEventPerformance } from '#gridshift/scheduling';
import { Requires } from '../auth/roles.js';
import { NotFoundError } from '../http/errors.js';
import { ApiProblems, ApiZodResponse, ZodPipe } from '../http/zod.js';

const EventId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'expected an event id of the grid-events contract');

const kw = z.number().nullable();

const IntervalPerformanceSchema = z.object({
  startUtc: z.string(),
  endUtc: z.string(),
  capKw: kw.describe('Sum of the caps the planned schedule applied (mean over the slots), kW.'),
  counterfactualKw: kw.describe('The plan in force when the event arrived, mean facility kW in the targets.'),
  homeKw: kw.describe('The home baseline on that plan’s problem (each job at home, price- and event-blind).'),
  plannedKw: kw.describe('The newest plan put in force that honoured the event.'),
  realizedKw: kw.describe(
    'Metered facility power (gridshift.usage.v1 energyKwh) over the reported part of the interval, kW; null while none is reported.',
  ),
  realizedCoveragePct: z
    .number()
    .describe(
      'Share of the interval reported, %: 5-minute ticks that ended and that every targeted cluster with planned work metered.',
    ),
  reductionVsCounterfactualPct: kw,
  reductionVsHomePct: kw,
  realizedReductionVsCounterfactualPct: kw.describe(
    '(counterfactual − realized) ÷ counterfactual × 100 once the interval is completely reported.',
  ),
});

export const GridEventPerformanceSchema = z
  .object({
    eventId: z.string(),
    programId: z.string(),
    modificationNumber: z.int(),
    compliance: z.enum(['mandatory', 'voluntary']),
    cancelled: z.boolean(),
    zones: z.array(z.string()),
    clusterIds: z.array(z.string()),
    baselineScheduleId: z.string().nullable(),
    plannedSchedule: z
      .object({ scheduleId: z.string(), version: z.int(), status: z.string(), honoured: z.boolean() })
      .nullable(),
    intervals: z.array(IntervalPerformanceSchema),
    totals: z.object({
      counterfactualKwh: kw,
      homeKwh: kw,
      plannedKwh: kw,
      reductionVsCounterfactualPct: kw,
      realizedKwh: kw.describe('Metered kWh of all intervals once every one is completely reported.'),
      realizedReductionVsCounterfactualPct: kw,
    }),
    interactiveShortfallGpuHours: z.number(),
    realized: z.object({ status: z.enum(['not-reported', 'partial', 'complete']), note: z.string() }),
    summary: z
      .string()
      .describe('One line, e.g. "event X: −31 % in DE-LU 17:00–20:00 UTC, no interactive work lost".'),
  })
  .meta({ title: 'GridEventPerformance' });

@ApiTags('grid events')
@Controller('grid-events')
export class GridEventsController {
  constructor(private readonly db: DataSource) {}

  @Get(':id/performance')
  @Requires('viewer')
  @ApiOperation({
    summary:
      'Proof of delivery of a demand-response event: counterfactual, home, planned (and realized) load',
    description:
      'Per event interval, the facility power of gridshift work in the targeted clusters: the plan in force before the event, the home baseline, the newest plan that honoured it, and the realized (metered) load once the data centers report usage.',
  })
  @ApiParam({ name: 'id', description: 'The eventId of gridshift.grid-events.v1.' })
  @ApiZodResponse(200, 'GridEventPerformance', GridEventPerformanceSchema, 'The delivery report.')
  @ApiProblems([400, 'Malformed event id.'], [404, 'No such event.'])
  async performance(
    @Param('id', new ZodPipe(EventId)) id: string,
  ): Promise<z.infer<typeof GridEventPerformanceSchema>> {
    const report = await gridEventPerformance(this.db, id);
    if (report === null) throw new NotFoundError('grid event', id, { name: 'id', in: 'path' });
    return report;
  }
}
