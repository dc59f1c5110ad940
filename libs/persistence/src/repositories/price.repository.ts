import type { DataSource, EntityManager } from 'typeorm';

/** One normalised price slot ready to store (base currency per MWh, UTC slot start). */
export interface PriceRow {
  zone: string;
  market: string;
  partnerId: string;
  intervalStartUtc: string;
  slotMinutes: number;
  pricePerMwhBase: number;
  priceOriginal: number | null;
  currencyOriginal: string;
  carbonGPerKwh: number | null;
  coverageMinutes: number;
  issuedAt: string;
  messageId: string | null;
}

export interface PriceCurvePoint {
  intervalStart: Date;
  market: string;
  partnerId: string;
  pricePerMwh: number;
  carbonGPerKwh: number | null;
  issuedAt: Date;
  coverageMinutes: number;
}

const keyOf = (r: PriceRow) => `${r.zone}\u0000${r.market}\u0000${r.intervalStartUtc}\u0000${r.partnerId}`;

/**
 * Keeps, per (zone, market, interval, partner), the row with the newest `issuedAt`; on a tie the first one
 * seen wins, so a replayed duplicate never changes what is stored.
 */
export function newestPerKey(rows: PriceRow[]): PriceRow[] {
  const best = new Map<string, PriceRow>();
  for (const row of rows) {
    const key = keyOf(row);
    const seen = best.get(key);
    if (!seen || Date.parse(row.issuedAt) > Date.parse(seen.issuedAt)) best.set(key, row);
  }
  return [...best.values()];
}

/** Price storage: multi-row upserts where a newer issue supersedes and a late older one never overwrites. */
export class PriceRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Upserts the rows in one statement per 5,000; returns how many rows were inserted or superseded. */
  async upsert(rows: PriceRow[], manager: DataSource | EntityManager = this.db): Promise<number> {
    const unique = newestPerKey(rows);
    let changed = 0;
    for (let i = 0; i < unique.length; i += 5000) {
      const part = unique.slice(i, i + 5000);
      const result = await manager.query<{ zone: string }[]>(
        `insert into prices (zone, market, interval_start, partner_id, slot_minutes, price_per_mwh, price_original,
                             currency_original, carbon_g_per_kwh, coverage_minutes, issued_at, message_id)
         select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::int[], $6::float8[],
                              $7::float8[], $8::text[], $9::float8[], $10::int[], $11::timestamptz[], $12::text[])
         on conflict (zone, market, interval_start, partner_id) do update set
           slot_minutes = excluded.slot_minutes, price_per_mwh = excluded.price_per_mwh,
           price_original = excluded.price_original, currency_original = excluded.currency_original,
           carbon_g_per_kwh = excluded.carbon_g_per_kwh, coverage_minutes = excluded.coverage_minutes,
           issued_at = excluded.issued_at, message_id = excluded.message_id, ingested_at = now()
         where prices.issued_at < excluded.issued_at
         returning zone`,
        [
          part.map((r) => r.zone),
          part.map((r) => r.market),
          part.map((r) => r.intervalStartUtc),
          part.map((r) => r.partnerId),
          part.map((r) => r.slotMinutes),
          part.map((r) => r.pricePerMwhBase),
          part.map((r) => r.priceOriginal),
          part.map((r) => r.currencyOriginal),
          part.map((r) => r.carbonGPerKwh),
          part.map((r) => r.coverageMinutes),
          part.map((r) => r.issuedAt),
          part.map((r) => r.messageId),
        ],
      );
      changed += result.length;
    }
    await this.refreshFreshness(unique, manager);
    return changed;
  }

  private async refreshFreshness(rows: PriceRow[], manager: DataSource | EntityManager): Promise<void> {
    const latest = new Map<string, { zone: string; market: string; start: string; issued: string }>();
    for (const r of rows) {
      const key = `${r.zone}\u0000${r.market}`;
      const seen = latest.get(key);
      if (!seen)
        latest.set(key, { zone: r.zone, market: r.market, start: r.intervalStartUtc, issued: r.issuedAt });
      else {
        if (Date.parse(r.intervalStartUtc) > Date.parse(seen.start)) seen.start = r.intervalStartUtc;
        if (Date.parse(r.issuedAt) > Date.parse(seen.issued)) seen.issued = r.issuedAt;
      }
    }
    if (latest.size === 0) return;
    const items = [...latest.values()].sort((a, b) => (a.zone + a.market).localeCompare(b.zone + b.market));
    await manager.query(
      `insert into price_freshness (zone, market, latest_interval_start, latest_issued_at, updated_at)
       select z, m, s, i, now() from unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) as t(z, m, s, i)
       on conflict (zone, market) do update set
         latest_interval_start = greatest(price_freshness.latest_interval_start, excluded.latest_interval_start),
         latest_issued_at = greatest(price_freshness.latest_issued_at, excluded.latest_issued_at),
         updated_at = now()`,
      [
        items.map((i) => i.zone),
        items.map((i) => i.market),
        items.map((i) => i.start),
        items.map((i) => i.issued),
      ],
    );
  }

  /** Every stored price of `zone` with a slot start in [from, to), all markets and partners, oldest first. */
  async curve(zone: string, from: Date, to: Date): Promise<PriceCurvePoint[]> {
    const rows = await this.db.query<
      {
        interval_start: Date;
        market: string;
        partner_id: string;
        price_per_mwh: number;
        carbon_g_per_kwh: number | null;
        issued_at: Date;
        coverage_minutes: number;
      }[]
    >(
      `select interval_start, market, partner_id, price_per_mwh, carbon_g_per_kwh, issued_at, coverage_minutes
       from prices where zone = $1 and interval_start >= $2 and interval_start < $3
       order by interval_start, market, issued_at desc`,
      [zone, from, to],
    );
    return rows.map((r) => ({
      intervalStart: r.interval_start,
      market: r.market,
      partnerId: r.partner_id,
      pricePerMwh: r.price_per_mwh,
      carbonGPerKwh: r.carbon_g_per_kwh,
      issuedAt: r.issued_at,
      coverageMinutes: r.coverage_minutes,
    }));
  }
}
