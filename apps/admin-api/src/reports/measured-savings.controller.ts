import { createHash } from 'node:crypto';
import { Controller, Get, Injectable, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { measureSavings, type BaselineMemo, type DayBaselines } from '#gridshift/placement';
import { UsageRepository } from '#gridshift/persistence';
import { Requires } from '../auth/roles.js';
import { q } from '../http/query.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';

const MAX_DAYS = 92;
/** Memory for remembered baselines: ~2 M (cluster, job, day) sums, a few reports of a large fleet. */
const BASELINE_MEMO_BYTES = 64 * 1024 * 1024;
const GROUP_BY = ['day', 'zone', 'cluster', 'job'] as const;
const Money = z.number().describe('In the report currency.');

export const MeasuredSavingsQuery = z
  .strictObject({
    from: q.time().describe('Usage intervals starting at or after (RFC 3339).'),
    to: q.time().describe(`Usage intervals starting before; at most ${MAX_DAYS} days after from.`),
    groupBy: z.enum(GROUP_BY).default('day').describe('Rows per UTC day, price zone, cluster or job.'),
  })
  .refine((v) => v.to > v.from && v.to.getTime() - v.from.getTime() <= MAX_DAYS * 86_400_000, {
    message: `to must be after from and at most ${MAX_DAYS} days later`,
    path: ['to'],
  });

const Side = z.object({
  gpuHours: z.number().describe('GPU-hours on this side in the row.'),
  cost: Money.describe('Energy cost on this side in the row.'),
});

const RowFields = {
  realized: Side.extend({ energyKwh: z.number().describe('Metered facility kWh.') }).describe(
    'What really ran: metered kWh × the price paid.',
  ),
  plan: Side.describe(
    'The schedule in force: planned GPU-hours × metered kWh per GPU-hour × day-ahead price.',
  ),
  home: Side.describe('The home baseline run on the realized demand and the prices paid.'),
  greedy: Side.describe('The greedy baseline run on the realized demand and the prices paid.'),
  vsHome: Money.nullable().describe(
    'home.cost − realized.cost; null when home cannot serve the realized work.',
  ),
  vsGreedy: Money.nullable().describe('greedy.cost − realized.cost; null when greedy cannot serve it.'),
  vsPlan: Money.describe('plan.cost − realized.cost (negative: reality cost more than planned).'),
};

export const MeasuredSavingsReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(GROUP_BY),
    currency: z
      .string()
      .nullable()
      .describe('Base currency of stored prices (null when no plan says which).'),
    method: z.string().describe('How every figure is computed.'),
    rows: z.array(z.object({ key: z.string().describe('Day, zone, cluster or job.'), ...RowFields })),
    totals: z
      .object({
        ...RowFields,
        vsHomePct: z.number().nullable().describe('vsHome ÷ |home.cost| × 100.'),
        vsGreedyPct: z.number().nullable().describe('vsGreedy ÷ |greedy.cost| × 100.'),
      })
      .describe('The sums of the rows.'),
    comparable: z.object({ home: z.boolean(), greedy: z.boolean() }),
    energyKwhByMarket: z
      .record(z.string(), z.number())
      .describe('Realized kWh by the market that priced it (real_time, intraday, day_ahead, carried).'),
    pricesCarriedHours: z.number().int().describe('Zone-hours without a stored price (nearest price used).'),
    kwhPerGpuHourByCluster: z.record(z.string(), z.number()),
  })
  .meta({
    example: {
      from: '2023-03-15T00:00:00.000Z',
      to: '2023-03-16T00:00:00.000Z',
      groupBy: 'day',
      currency: 'USD',
      method: 'Measurement and verification …',
      rows: [],
      totals: {},
      comparable: { home: true, greedy: true },
      energyKwhByMarket: { day_ahead: 33120.5 },
      pricesCarriedHours: 0,
      kwhPerGpuHourByCluster: { 'fra-1': 0.84 },
    },
  });
export type MeasuredSavingsReport = z.infer<typeof MeasuredSavingsReportSchema>;

/** How the measured-savings report computes its figures (also in docs/operations.md). */
export const MEASURED_METHOD =
  'Measurement and verification against counterfactual baselines (after IPMVP option C). Realized: the usage the data ' +
  'centers reported (gridshift.usage.v1), metered kWh × the price actually paid in the cluster’s zone — real-time where ' +
  'a partner publishes it, else intraday, else day-ahead (time-weighted over the usage interval; a zone-hour without any ' +
  'stored price uses the nearest known one, counted in pricesCarriedHours). Baselines (home, greedy): run per UTC day on ' +
  'the realized demand — interactive jobs need their realized GPU-hours in each hour, batch jobs their day’s realized ' +
  'GPU-hours anywhere in the day — with the same clusters and job rules, capacity = the schedulable GPUs reported (at ' +
  'least what really ran), the same hourly prices paid and each cluster’s metered kWh per GPU-hour, so both sides pay ' +
  'for the same work at the same prices. Plan: the schedule in force for each slot (newest plan published before the slot ' +
  'ended; for a slot planned only afterwards, as in a replay of past days, the newest plan covering it) × metered kWh per GPU-hour × the day-ahead price. Energy cost only (carbon and penalties are left out). Rows ' +
  'show each side’s cost where it is incurred (a baseline’s work in the cluster where the baseline ran it); totals are the ' +
  'sums of the rows. A baseline that serves more than 0.1 % less GPU-hours than really ran is not comparable: its ' +
  'savings are null.';

/**
 * The baselines of the days reported last, keyed by a SHA-256 of their complete counterfactual problem, least
 * recently used dropped first once the entries' estimated size passes `maxBytes`: a past day's usage, prices and
 * fleet rarely change, so asking again (the console refreshing, another grouping, an overlapping range) re-solves
 * only the days whose data changed. Per process; a hit equals a re-solve.
 */
export class BaselineLru implements BaselineMemo {
  private readonly entries = new Map<string, { baselines: DayBaselines; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(problemKey: string): DayBaselines | undefined {
    const digest = digestOf(problemKey);
    const hit = this.entries.get(digest);
    if (hit === undefined) return undefined;
    this.entries.delete(digest);
    this.entries.set(digest, hit);
    return hit.baselines;
  }

  set(problemKey: string, baselines: DayBaselines): void {
    const digest = digestOf(problemKey);
    this.drop(digest);
    // Two float64 and two references per (cluster, job) and kind, plus the digest and map entry.
    let bytes = 200;
    for (const sums of baselines.values()) bytes += sums.jobIds.length * 32;
    this.entries.set(digest, { baselines, bytes });
    this.bytes += bytes;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  get estimatedBytes(): number {
    return this.bytes;
  }

  private drop(digest: string): void {
    const held = this.entries.get(digest);
    if (held === undefined) return;
    this.entries.delete(digest);
    this.bytes -= held.bytes;
  }
}

function digestOf(problemKey: string): string {
  return createHash('sha256').update(problemKey).digest('base64');
}

/** Measured savings over a time range (see MEASURED_METHOD). */
@Injectable()
export class MeasuredSavingsReporter {
  private readonly usage: UsageRepository;
  private readonly baselines = new BaselineLru(BASELINE_MEMO_BYTES);

  constructor(private readonly db: DataSource) {
    this.usage = new UsageRepository(db);
  }

  async report(from: Date, to: Date, groupBy: (typeof GROUP_BY)[number]): Promise<MeasuredSavingsReport> {
    // The usage is the longest read: the prices (which need the clusters' zones) are read while it arrives; the jobs
    // are those of the usage, read by id once it is there.
    const usageRead = this.usage.realized(from, to);
    const clustersRead = this.usage.clustersForMeasurement(new Date(from.getTime() - 86_400_000), to);
    const [usage, jobs, planned, fleet, currency, prices] = await Promise.all([
      usageRead,
      usageRead.then((u) => this.usage.jobsForMeasurement(u.jobIds)),
      this.usage.plannedInForce(from, to),
      clustersRead,
      this.usage.planCurrency(),
      clustersRead.then((f) => this.usage.pricesPaid([...new Set(f.clusters.map((c) => c.zone))], from, to)),
    ]);
    const capacity = new Map<string, Map<number, number>>();
    for (const c of fleet.capacity) {
      const m = capacity.get(c.clusterId) ?? new Map<number, number>();
      m.set(c.hourStartMs, c.gpuSchedulable);
      capacity.set(c.clusterId, m);
    }
    const report = measureSavings(
      {
        fromMs: from.getTime(),
        toMs: to.getTime(),
        groupBy,
        usage,
        prices,
        planned,
        clusters: fleet.clusters.map((c) => ({ ...c, capacityByHour: capacity.get(c.id) ?? new Map() })),
        jobs: jobs.map((j) => ({
          id: j.id,
          kind: j.kind,
          maxGpus: j.maxGpus,
          origin: j.origin,
          latencySlaMs: j.latencySlaMs,
          residencyZones: j.residency,
          pins: j.pins,
          homeClusterId: j.homeClusterId,
        })),
      },
      this.baselines,
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      groupBy,
      currency,
      method: MEASURED_METHOD,
      ...report,
    };
  }
}

@ApiTags('reports')
@Controller('reports')
export class MeasuredSavingsController {
  constructor(private readonly reporter: MeasuredSavingsReporter) {}

  @Get('measured-savings')
  @Requires('viewer')
  @ApiOperation({
    summary:
      'Measured savings: realized usage × prices paid against the home and greedy baselines on the same realized demand, and against the plan',
  })
  @ApiZodQuery(MeasuredSavingsQuery)
  @ApiZodResponse(200, 'MeasuredSavingsReport', MeasuredSavingsReportSchema, 'The report.')
  @ApiProblems([400, 'Invalid or too long range, or unknown groupBy.'])
  async measuredSavings(
    @Query(new ZodPipe(MeasuredSavingsQuery)) query: z.output<typeof MeasuredSavingsQuery>,
  ): Promise<MeasuredSavingsReport> {
    return this.reporter.report(query.from, query.to, query.groupBy);
  }
}
