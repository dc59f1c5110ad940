import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { Requires } from '../auth/roles.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { type SavingsReport, SavingsQuery, SavingsReportSchema } from './savings.schemas.js';
import { SavingsReporter } from './savings.service.js';

@ApiTags('reports')
@Controller('reports')
export class ReportsController {
  constructor(private readonly reporter: SavingsReporter) {}

  @Get('savings')
  @Requires('viewer')
  @ApiOperation({
    summary: 'Savings against the home and greedy baselines over a time range (per day and per schedule)',
  })
  @ApiZodQuery(SavingsQuery)
  @ApiZodResponse(200, 'SavingsReport', SavingsReportSchema, 'The report.')
  @ApiProblems([400, 'Invalid or too long range.'])
  async savings(
    @Query(new ZodPipe(SavingsQuery)) query: z.output<typeof SavingsQuery>,
  ): Promise<SavingsReport> {
    return this.reporter.report(query.from, query.to);
  }
}
