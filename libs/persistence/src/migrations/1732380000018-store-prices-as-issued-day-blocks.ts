import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices move from one row per slot to one row per issued UTC-day block: `price_issues` keeps, per (zone,
 * market, partner, UTC day, slot length, issuedAt), the day's slots as arrays (index 1 = the slot starting at
 * midnight UTC; NULL = not in that issue). A day-ahead curve of 24 hourly points becomes one or two rows
 * instead of 24, which is what lets ingest keep up with the broker (see the README's bench:ingest).
 *
 * Reads keep their shape: the `prices` view resolves, per (zone, market, interval start, partner), the slot of
 * the newest issue — so a newer issuedAt supersedes an older one, a late older one never wins, and a duplicate
 * changes nothing. `prices_between(zones, from, to)` is the same resolution limited to a time range (it prunes
 * blocks by day, which the view cannot do for a filter on interval_start). Superseded issues stay as history.
 */
export class StorePricesAsIssuedDayBlocks1732380000018 implements MigrationInterface {
  name = 'StorePricesAsIssuedDayBlocks1732380000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table prices rename to prices_per_slot`);
    // Key columns compare bytewise (collate "C"): identifiers need no linguistic order, and the 7-column
    // primary key is checked for every row written.
    await q.query(`
      create table price_issues (
        zone text collate "C" not null,
        market text collate "C" not null check (market in ('day_ahead','intraday','real_time','forecast')),
        block_start timestamptz not null,
        partner_id text collate "C" not null,
        slot_minutes integer not null check (slot_minutes > 0 and 1440 % slot_minutes = 0),
        issued_at timestamptz not null,
        currency_original text collate "C" not null,
        price_per_mwh double precision[] not null,
        price_original double precision[] not null,
        carbon_g_per_kwh double precision[],
        coverage_minutes integer[],
        points integer not null check (points > 0),
        message_id text,
        ingested_at timestamptz not null default now(),
        primary key (zone, block_start, market, partner_id, slot_minutes, issued_at, currency_original),
        check (cardinality(price_per_mwh) = 1440 / slot_minutes
               and cardinality(price_original) = cardinality(price_per_mwh)
               and coalesce(cardinality(carbon_g_per_kwh), cardinality(price_per_mwh)) = cardinality(price_per_mwh)
               and coalesce(cardinality(coverage_minutes), cardinality(price_per_mwh)) = cardinality(price_per_mwh))
      )`);
    // One row per issued slot (the columns of the old per-slot table), from issue rows `i` filtered by `where`.
    const slotsOf = (where: string) => `
      select i.zone, i.market, i.block_start + (s.n - 1) * make_interval(mins => i.slot_minutes) as interval_start,
             i.partner_id, i.slot_minutes, i.price_per_mwh[s.n] as price_per_mwh,
             i.price_original[s.n] as price_original, i.currency_original,
             i.carbon_g_per_kwh[s.n] as carbon_g_per_kwh,
             coalesce(i.coverage_minutes[s.n], i.slot_minutes) as coverage_minutes,
             i.issued_at, i.message_id, i.ingested_at
      from price_issues i cross join lateral generate_series(1, cardinality(i.price_per_mwh)) as s(n)
      where ${where} i.price_per_mwh[s.n] is not null`;
    // Every issued slot, one row each (history included).
    await q.query(`create view price_issue_slots as ${slotsOf('')}`);
    // Newest issue first; the same issue twice (two slot lengths, or two currencies): the first stored wins.
    const newestFirst = `order by zone, market, interval_start, partner_id, issued_at desc, ingested_at,
                                  slot_minutes desc, currency_original`;
    await q.query(`create view prices as select distinct on (zone, market, interval_start, partner_id) *
                   from price_issue_slots ${newestFirst}`);
    await q.query(`
      create function prices_between(p_zones text[], p_from timestamptz, p_to timestamptz)
      returns setof prices language sql stable as $$
        select distinct on (zone, market, interval_start, partner_id) * from (${slotsOf(
          `i.zone = any(p_zones) and i.block_start > p_from - interval '1 day' and i.block_start < p_to and`,
        )}) slots
        where interval_start >= p_from and interval_start < p_to
        ${newestFirst}
      $$`);
    // Carry over what the per-slot table held: one issue row per (zone, market, partner, day, slot, issuedAt,
    // currency).
    await q.query(`
      insert into price_issues (zone, market, block_start, partner_id, slot_minutes, issued_at, currency_original,
                                price_per_mwh, price_original, carbon_g_per_kwh, coverage_minutes, points,
                                message_id, ingested_at)
      select k.zone, k.market, k.day, k.partner_id, k.slot_minutes, k.issued_at, k.currency_original,
             array_agg(p.price_per_mwh order by g.n), array_agg(p.price_original order by g.n),
             array_agg(p.carbon_g_per_kwh order by g.n), array_agg(p.coverage_minutes order by g.n),
             count(p.zone), min(p.message_id), min(p.ingested_at)
      from (select distinct zone, market, date_bin('1 day', interval_start, timestamptz 'epoch') as day,
                   partner_id, slot_minutes, issued_at, currency_original from prices_per_slot) k
      cross join lateral generate_series(1, 1440 / k.slot_minutes) as g(n)
      left join prices_per_slot p on p.zone = k.zone and p.market = k.market and p.partner_id = k.partner_id
        and p.slot_minutes = k.slot_minutes and p.issued_at = k.issued_at
        and p.currency_original = k.currency_original
        and p.interval_start = k.day + (g.n - 1) * make_interval(mins => k.slot_minutes)
      group by k.zone, k.market, k.day, k.partner_id, k.slot_minutes, k.issued_at, k.currency_original`);
    await q.query(`drop table prices_per_slot`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop function prices_between(text[], timestamptz, timestamptz)`);
    await q.query(`alter view prices rename to prices_resolved`);
    await q.query(`
      create table prices (
        zone text not null,
        market text not null check (market in ('day_ahead','intraday','real_time','forecast')),
        interval_start timestamptz not null,
        partner_id text not null,
        slot_minutes integer not null check (slot_minutes > 0),
        price_per_mwh double precision not null,
        price_original double precision,
        currency_original text not null,
        carbon_g_per_kwh double precision,
        coverage_minutes integer not null,
        issued_at timestamptz not null,
        message_id text,
        ingested_at timestamptz not null default now(),
        primary key (zone, market, interval_start, partner_id)
      )`);
    await q.query(`create index prices_zone_start_idx on prices (zone, interval_start)`);
    await q.query(`insert into prices select * from prices_resolved`);
    await q.query(`drop view prices_resolved`);
    await q.query(`drop view price_issue_slots`);
    await q.query(`drop table price_issues`);
  }
}
