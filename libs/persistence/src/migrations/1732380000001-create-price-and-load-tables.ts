import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Prices (latest issue wins per zone/market/interval/partner), load reports (append) and latest cluster state. */
export class CreatePriceAndLoadTables1732380000001 implements MigrationInterface {
  name = 'CreatePriceAndLoadTables1732380000001';

  async up(q: QueryRunner): Promise<void> {
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
    await q.query(`
      create table price_freshness (
        zone text not null,
        market text not null,
        latest_interval_start timestamptz not null,
        latest_issued_at timestamptz not null,
        updated_at timestamptz not null default now(),
        primary key (zone, market)
      )`);
    await q.query(`
      create table load_reports (
        id bigserial primary key,
        cluster_id text not null,
        region text not null,
        zone text not null,
        observed_at timestamptz not null,
        gpu_model text not null,
        gpu_total integer not null check (gpu_total >= 0),
        gpu_busy integer not null check (gpu_busy >= 0),
        gpu_schedulable integer not null check (gpu_schedulable >= 0),
        power_kw double precision not null,
        power_cap_kw double precision,
        pue double precision not null,
        message_id text,
        ingested_at timestamptz not null default now(),
        unique (cluster_id, observed_at)
      )`);
    await q.query(`
      create table cluster_state (
        cluster_id text primary key,
        region text not null,
        zone text not null,
        observed_at timestamptz not null,
        gpu_model text not null,
        gpu_total integer not null,
        gpu_busy integer not null,
        gpu_schedulable integer not null,
        power_kw double precision not null,
        power_cap_kw double precision,
        pue double precision not null,
        updated_at timestamptz not null default now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table cluster_state`);
    await q.query(`drop table load_reports`);
    await q.query(`drop table price_freshness`);
    await q.query(`drop table prices`);
  }
}
