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
    db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AdminApiConfig,
  ) {
    this.prices = new PriceRepository(db);
    this.load = new LoadRepository(db);
  }

  private async priceFreshness(zone?: string): Promise<z.infer<typeof PriceFreshnessSchema>[]> {
    const nowMs = Date.now();
    return (await this.prices.freshness(zone)).map((r) => {
      // The latest interval's own length (60 minutes when it cannot be told).
      const coveredUntil = new Date(
        r.latestIntervalStart.getTime() + (r.latestIntervalMinutes ?? 60) * MINUTE_MS,
      );
      return {
        zone: r.zone,
        market: r.market,
        // Clamped into years 0000–9999 so the output is RFC 3339 even for rows stored before FUTURE_INTERVAL.
        latestIntervalStart: toRfc3339(r.latestIntervalStart),
        latestIssuedAt: toRfc3339(r.latestIssuedAt),
        coveredUntil: toRfc3339(coveredUntil),
        ageMinutes: minutesSince(r.latestIssuedAt, nowMs),
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
    const points = (await this.prices.curve(query.zone, from, to, query.slotMinutes)).filter(
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
    const rows = await this.load.reportsBetween(query.clusterId, from, to, query.limit + 1);
    const latest = (await this.load.latestStates()).find((s) => s.clusterId === query.clusterId);
    return {
      clusterId: query.clusterId,
      from: from.toISOString(),
      to: to.toISOString(),
      latest: latest ? this.stateView(latest, now) : null,
      reports: rows.slice(0, query.limit).map((r) => ({ ...r, observedAt: r.observedAt.toISOString() })),
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
