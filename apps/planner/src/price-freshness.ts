import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { gauge } from '#gridshift/observability';
import { PriceRepository } from '#gridshift/persistence';

/**
 * Per-zone day-ahead price freshness for alerting, over every zone a registered cluster is in: the age of the
 * newest issue, and how far ahead of now the stored prices reach (a zone that never had a price: +Inf / −Inf).
 */
export class PriceFreshnessGauges {
  private readonly issuedAge;
  private readonly coveredAhead;
  private refreshedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    registry: Registry,
    private readonly everyMs = 15_000,
  ) {
    this.issuedAge = gauge(
      registry,
      'gridshift_prices_latest_issue_age_seconds',
      'Seconds since the newest day-ahead price issue of each zone with a registered cluster (+Inf: none)',
      ['zone'],
    );
    this.coveredAhead = gauge(
      registry,
      'gridshift_prices_covered_ahead_seconds',
      'Seconds from now to the start of the last day-ahead price interval stored for each zone (−Inf: none)',
      ['zone'],
    );
  }

  /** Re-reads the freshness at most every `everyMs`. */
  async refresh(nowMs = Date.now()): Promise<void> {
    if (nowMs - this.refreshedAt < this.everyMs) return;
    this.refreshedAt = nowMs;
    const rows = await new PriceRepository(this.dataSource).dayAheadFreshnessOfClusterZones();
    this.issuedAge.reset();
    this.coveredAhead.reset();
    for (const row of rows) {
      this.issuedAge.set({ zone: row.zone }, row.issuedAgeSeconds ?? Number.POSITIVE_INFINITY);
      this.coveredAhead.set({ zone: row.zone }, row.aheadSeconds ?? Number.NEGATIVE_INFINITY);
    }
  }
}
