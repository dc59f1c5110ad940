import type { DataSource, EntityManager } from 'typeorm';

/** Operator-managed exchange rates (`exchange_rates`): units of a currency per unit of the base currency. */
export class ExchangeRateRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Every stored rate, by currency (they override the shipped table). */
  async overrides(): Promise<{ currency: string; perBase: number }[]> {
    const rows = await this.db.query<{ currency: string; per_base: number }[]>(
      `select currency, per_base from exchange_rates order by currency`,
    );
    return rows.map((r) => ({ currency: r.currency, perBase: r.per_base }));
  }
}
