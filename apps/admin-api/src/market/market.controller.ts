import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { toRfc3339 } from '#gridshift/contracts';
import { type ClusterStateRow, LoadRepository, PriceRepository } from '#gridshift/persistence';
import { APP_CONFIG } from '#gridshift/platform';
import { Requires } from '../auth/roles.js';
import type { AdminApiConfig } from '../config.js';
import { ApiProblems, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import {
  ClusterStateListSchema,
  type ClusterStateSchema,
  LoadQuery,
  LoadSchema,
  PriceFreshnessListSchema,
  type PriceFreshnessSchema,
  PriceQuery,
  PricesSchema,
} from './market.schemas.js';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const minutesSince = (date: Date, nowMs: number) => Math.round((nowMs - date.getTime()) / MINUTE_MS);

@ApiTags('prices and load')
@Requires('viewer')
@Controller()
export class MarketController {
  private readonly prices: PriceRepository;
  private readonly load: LoadRepository;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AdminApiConfig,
  ) {
    this.prices = new PriceRepository(db);
    this.load = new LoadRepository(db);
  }

  private async priceFreshness(zone?: string): Promise<z.infer<typeof PriceFreshnessSchema>[]> {
    const nowMs = Date.now();
    // Slot length per zone and market is not in price_freshness; the latest slot's own length is.
    const rows = await this.db.query<
      {
        zone: string;
        market: string;
        latest_interval_start: Date;
        latest_issued_at: Date;
        slot_minutes: number | null;
      }[]
    >(
      `select f.zone, f.market, f.latest_interval_start, f.latest_issued_at,
              (select i.slot_minutes from price_issues i where i.zone = f.zone and i.market = f.market
                 and i.block_start = date_bin('1 day', f.latest_interval_start, timestamptz 'epoch')
                 order by i.issued_at desc limit 1) as slot_minutes
       from price_freshness f ${zone ? 'where f.zone = $1' : ''} order by f.zone, f.market`,
      zone ? [zone] : [],
    );
    return rows.map((r) => {
      const coveredUntil = new Date(r.latest_interval_start.getTime() + (r.slot_minutes ?? 60) * MINUTE_MS);
      return {
        zone: r.zone,
        market: r.market,
        // Clamped into years 0000–9999 so the output is RFC 3339 even for rows stored before FUTURE_INTERVAL.
        latestIntervalStart: toRfc3339(r.latest_interval_start),
        latestIssuedAt: toRfc3339(r.latest_issued_at),
        coveredUntil: toRfc3339(coveredUntil),
        ageMinutes: minutesSince(r.latest_issued_at, nowMs),
        stale: nowMs - coveredUntil.getTime() > this.config.PRICE_STALE_AFTER_MINUTES * MINUTE_MS,
      };
    });
  }

  private stateView(s: ClusterStateRow, nowMs: number): z.infer<typeof ClusterStateSchema> {
    const ageMinutes = minutesSince(s.observedAt, nowMs);
    return {
      ...s,
      observedAt: s.observedAt.toISOString(),
      ageMinutes,
      stale: ageMinutes > this.config.LOAD_STALE_AFTER_MINUTES,
    };
  }

  @Get('prices')
  @ApiOperation({
    summary: 'Prices of one zone over a time range (all markets and partners), with freshness',
  })
  @ApiZodQuery(PriceQuery)
  @ApiZodResponse(200, 'Prices', PricesSchema, 'Stored prices, oldest first.')
  @ApiProblems([400, 'Invalid query.'])
  async pricesOf(
    @Query(new ZodPipe(PriceQuery)) query: z.output<typeof PriceQuery>,
  ): Promise<z.infer<typeof PricesSchema>> {
    const now = Date.now();
    const from = query.from ?? new Date(now - 24 * HOUR_MS);
    const to = query.to ?? new Date(now + 48 * HOUR_MS);
    const points = (await this.prices.curve(query.zone, from, to)).filter(
      (p) => !query.market || p.market === query.market,
    );
    return {
      zone: query.zone,
      from: from.toISOString(),
      to: to.toISOString(),
      unit: 'base currency per MWh',
      points: points.map((p) => ({
        ...p,
        intervalStart: toRfc3339(p.intervalStart),
        issuedAt: toRfc3339(p.issuedAt),
      })),
      freshness: await this.priceFreshness(query.zone),
    };
  }

  @Get('prices/freshness')
  @ApiOperation({ summary: 'Latest priced slot and issue time of every zone and market, flagged when stale' })
  @ApiZodResponse(200, 'PriceFreshnessList', PriceFreshnessListSchema, 'One row per zone and market.')
  async freshness(): Promise<z.infer<typeof PriceFreshnessListSchema>> {
    return { staleAfterMinutes: this.config.PRICE_STALE_AFTER_MINUTES, items: await this.priceFreshness() };
  }

  @Get('load')
  @ApiOperation({ summary: 'Load reports of one cluster over a time range, with its latest state' })
  @ApiZodQuery(LoadQuery)
  @ApiZodResponse(200, 'Load', LoadSchema, 'Reports, newest first.')
  @ApiProblems([400, 'Invalid query.'])
  async loadOf(
    @Query(new ZodPipe(LoadQuery)) query: z.output<typeof LoadQuery>,
  ): Promise<z.infer<typeof LoadSchema>> {
    const now = Date.now();
    const from = query.from ?? new Date(now - 24 * HOUR_MS);
    const to = query.to ?? new Date(now);
    const rows = await this.db.query<
      {
        observed_at: Date;
        gpu_total: number;
        gpu_busy: number;
        gpu_schedulable: number;
        power_kw: number;
        power_cap_kw: number | null;
        pue: number;
      }[]
    >(
      `select observed_at, gpu_total, gpu_busy, gpu_schedulable, power_kw, power_cap_kw, pue from load_reports
       where cluster_id = $1 and observed_at >= $2 and observed_at < $3 order by observed_at desc limit $4`,
      [query.clusterId, from, to, query.limit + 1],
    );
    const latest = (await this.load.latestStates()).find((s) => s.clusterId === query.clusterId);
    return {
      clusterId: query.clusterId,
      from: from.toISOString(),
      to: to.toISOString(),
      latest: latest ? this.stateView(latest, now) : null,
      reports: rows.slice(0, query.limit).map((r) => ({
        observedAt: r.observed_at.toISOString(),
        gpuTotal: r.gpu_total,
        gpuBusy: r.gpu_busy,
        gpuSchedulable: r.gpu_schedulable,
        powerKw: r.power_kw,
        powerCapKw: r.power_cap_kw,
        pue: r.pue,
      })),
      truncated: rows.length > query.limit,
    };
  }

  @Get('load/latest')
  @ApiOperation({ summary: 'Latest reported state of every cluster, flagged when stale' })
  @ApiZodResponse(200, 'ClusterStateList', ClusterStateListSchema, 'One row per cluster that reported.')
  async latest(): Promise<z.infer<typeof ClusterStateListSchema>> {
    const now = Date.now();
    return {
      staleAfterMinutes: this.config.LOAD_STALE_AFTER_MINUTES,
      items: (await this.load.latestStates()).map((s) => this.stateView(s, now)),
    };
  }
}
