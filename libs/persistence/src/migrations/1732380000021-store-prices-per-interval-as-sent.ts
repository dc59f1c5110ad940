import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices are stored per interval as the partner sent them and aggregated to slots on read (issue 12 item 4).
 * `price_issues` keeps its day blocks, but a block's grid is now the interval length as sent
 * (`slot_minutes` → `interval_minutes`): a message of 15-minute points is one block of 96 quarter-hours per UTC
 * day, a message mixing lengths one block per length. A later 15-minute correction is a new issue row of its own
 * quarter-hour and hides only that quarter-hour of an older hourly price, where it used to replace the hour.
 *
 * Existing rows were slots aggregated at ingest; they become intervals of their slot length (the partner's
 * original intervals are not recoverable), with their coverage kept: a slot that was only partly covered still
 * counts for the minutes it covered.
 *
 * Reads: `price_issue_intervals` (every issued interval, history included), `price_intervals` (the newest issue
 * per interval), and `prices` / `prices_between(zones, from, to)`: hourly slots per (zone, market, partner) by the
 * rule of `priceSlots` in libs/contracts (docs/contracts/README.md#prices-per-interval) — per 5-minute cell the
 * newest issue wins (then the finer interval), a slot's price is the time-weighted mean over the minutes covered,
 * `coverage_minutes` says how many. Application code reads intervals (PriceRepository) and aggregates with
 * `priceSlots`; these views serve SQL inspection, and a test keeps them equal.
 */
export class StorePricesPerIntervalAsSent1732380000021 implements MigrationInterface {
  name = 'StorePricesPerIntervalAsSent1732380000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`drop function prices_between(text[], timestamptz, timestamptz)`);
    await q.query(`drop view prices`);
    await q.query(`drop view price_issue_slots`);
    await q.query(`alter table price_issues rename column slot_minutes to interval_minutes`);
    await q.query(`alter table price_issues rename constraint price_issues_slot_minutes_check
                   to price_issues_interval_minutes_check`);
    // Every issued interval, one row each (history included); `ingested_at` orders ties.
    const intervalsOf = (where: string) => `
      select i.zone, i.market,
             i.block_start + (s.n - 1) * make_interval(mins => i.interval_minutes) as interval_start,
             i.partner_id, i.interval_minutes, i.price_per_mwh[s.n] as price_per_mwh,
             i.price_original[s.n] as price_original, i.currency_original,
             i.carbon_g_per_kwh[s.n] as carbon_g_per_kwh,
             coalesce(i.coverage_minutes[s.n], i.interval_minutes) as coverage_minutes,
             i.issued_at, i.message_id, i.ingested_at
      from price_issues i cross join lateral generate_series(1, cardinality(i.price_per_mwh)) as s(n)
      where ${where} i.price_per_mwh[s.n] is not null`;
    await q.query(`create view price_issue_intervals as ${intervalsOf('')}`);
    const rank = `issued_at desc, interval_minutes, ingested_at, currency_original`;
    await q.query(`
      create view price_intervals as
      select distinct on (zone, market, partner_id, interval_start, interval_minutes) * from price_issue_intervals
      order by zone, market, partner_id, interval_start, interval_minutes, ${rank}`);
    // Hourly slots from issued intervals `iv` (history included). Intervals up to an hour lie inside one hour
    // (each is on its own grid); longer ones are cut into 5-minute pieces. Per piece the newest issue wins; an
    // hour whose pieces all have one length has no overlaps left, the others are resolved per 5-minute cell.
    // A slot made of one piece takes its price as stored (no float round trip).
    const hourlyOf = (iv: string, hourFilter: string) => `
      with pieces as (
        select distinct on (v.zone, v.market, v.partner_id, p.piece_start, p.piece_minutes)
               v.*, p.piece_start, p.piece_minutes,
               date_bin('1 hour', p.piece_start, timestamptz 'epoch') as hour_start,
               v.coverage_minutes::float8 / v.interval_minutes as share
        from (${iv}) v
        cross join lateral (
          select g as piece_start, case when v.interval_minutes <= 60 then v.interval_minutes else 5 end as piece_minutes
          from generate_series(v.interval_start,
                               v.interval_start + make_interval(mins => v.interval_minutes - 1),
                               make_interval(mins => case when v.interval_minutes <= 60 then v.interval_minutes else 5 end)) g
        ) p
        order by v.zone, v.market, v.partner_id, p.piece_start, p.piece_minutes, v.${rank.replaceAll(', ', ', v.')}
      ), flagged as (
        select *, min(piece_minutes) over w <> max(piece_minutes) over w as mixed
        from pieces ${hourFilter}
        window w as (partition by zone, market, partner_id, hour_start)
      ), cells as (
        select distinct on (f.zone, f.market, f.partner_id, c.cell) f.*
        from flagged f
        cross join lateral generate_series(f.piece_start, f.piece_start + make_interval(mins => f.piece_minutes - 5),
                                           interval '5 minutes') c(cell)
        where f.mixed
        order by f.zone, f.market, f.partner_id, c.cell, f.${rank.replaceAll(', ', ', f.')}
      ), parts as (
        select zone, market, partner_id, hour_start, piece_minutes * share as minutes, price_per_mwh,
               price_original, currency_original, carbon_g_per_kwh, issued_at, message_id, ingested_at
        from flagged where not mixed
        union all
        -- one part per interval, so an hour left with one interval takes its price as stored
        select zone, market, partner_id, hour_start, sum(5 * share), price_per_mwh, price_original,
               currency_original, carbon_g_per_kwh, issued_at, message_id, ingested_at
        from cells
        group by zone, market, partner_id, hour_start, interval_start, interval_minutes, issued_at, currency_original,
                 price_per_mwh, price_original, carbon_g_per_kwh, message_id, ingested_at
      )
      select zone, market, hour_start as interval_start, partner_id, 60 as slot_minutes,
             case when count(*) = 1 then min(price_per_mwh)
                  else sum(price_per_mwh * minutes) / nullif(sum(minutes), 0) end as price_per_mwh,
             case when count(distinct currency_original) > 1 or bool_or(price_original is null) then null
                  when count(*) = 1 then min(price_original)
                  else sum(price_original * minutes) / nullif(sum(minutes), 0) end as price_original,
             case when count(distinct currency_original) = 1 then min(currency_original) else 'MIXED' end
               as currency_original,
             case when count(carbon_g_per_kwh) = 1 then min(carbon_g_per_kwh)
                  else sum(carbon_g_per_kwh * minutes) / nullif(sum(minutes) filter (where carbon_g_per_kwh is not null), 0)
             end as carbon_g_per_kwh,
             round(sum(minutes))::integer as coverage_minutes,
             max(issued_at) as issued_at, min(message_id) as message_id, max(ingested_at) as ingested_at
      from parts
      group by zone, market, partner_id, hour_start`;
    await q.query(`create view prices as ${hourlyOf(intervalsOf(''), '')}`);
    await q.query(`
      create function prices_between(p_zones text[], p_from timestamptz, p_to timestamptz)
      returns setof prices language sql stable as $$
        ${hourlyOf(
          intervalsOf(
            `i.zone = any(p_zones) and i.block_start > date_bin('1 hour', p_from, timestamptz 'epoch') - interval '1 day'
             and i.block_start < p_to and`,
          ),
          `where hour_start >= date_bin('1 hour', p_from, timestamptz 'epoch') and hour_start < p_to`,
        )}
        order by zone, market, interval_start, partner_id
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to resolution per stored slot (migration 18): every interval is a slot of its own length again.
    await q.query(`drop function prices_between(text[], timestamptz, timestamptz)`);
    await q.query(`drop view prices`);
    await q.query(`drop view price_intervals`);
    await q.query(`drop view price_issue_intervals`);
    await q.query(`alter table price_issues rename constraint price_issues_interval_minutes_check
                   to price_issues_slot_minutes_check`);
    await q.query(`alter table price_issues rename column interval_minutes to slot_minutes`);
    const slotsOf = (where: string) => `
      select i.zone, i.market, i.block_start + (s.n - 1) * make_interval(mins => i.slot_minutes) as interval_start,
             i.partner_id, i.slot_minutes, i.price_per_mwh[s.n] as price_per_mwh,
             i.price_original[s.n] as price_original, i.currency_original,
             i.carbon_g_per_kwh[s.n] as carbon_g_per_kwh,
             coalesce(i.coverage_minutes[s.n], i.slot_minutes) as coverage_minutes,
             i.issued_at, i.message_id, i.ingested_at
      from price_issues i cross join lateral generate_series(1, cardinality(i.price_per_mwh)) as s(n)
      where ${where} i.price_per_mwh[s.n] is not null`;
    await q.query(`create view price_issue_slots as ${slotsOf('')}`);
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
  }
}
