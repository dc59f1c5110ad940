import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Zones, exchange rates, registered clusters and inference jobs. */
export class CreateFleetAndJobs1732380000002 implements MigrationInterface {
  name = 'CreateFleetAndJobs1732380000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table zones (
        id text primary key,
        name text not null,
        currency text not null,
        time_zone text not null default 'UTC',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await q.query(`
      create table exchange_rates (
        currency text primary key,
        per_base double precision not null check (per_base > 0),
        updated_at timestamptz not null default now()
      )`);
    await q.query(`
      create table clusters (
        id text primary key,
        name text not null,
        region text not null,
        zone text not null,
        gpu_model text not null,
        gpu_total integer not null check (gpu_total >= 0),
        kw_per_gpu double precision not null check (kw_per_gpu > 0),
        pue double precision not null check (pue >= 1),
        power_cap_kw double precision,
        latency_ms_by_origin jsonb not null default '{}'::jsonb,
        active boolean not null default true,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await q.query(`
      create table jobs (
        id text primary key,
        name text not null,
        model text not null,
        kind text not null check (kind in ('interactive','batch')),
        tokens_per_second_per_gpu jsonb not null,
        tokens_per_hour double precision,
        demand_profile jsonb,
        total_tokens double precision,
        window_start timestamptz,
        deadline timestamptz,
        origin text not null,
        latency_sla_ms double precision,
        residency jsonb not null default '[]'::jsonb,
        tier text not null,
        max_gpus integer not null check (max_gpus > 0),
        pins jsonb not null default '{}'::jsonb,
        status text not null default 'active' check (status in ('active','paused')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table jobs`);
    await q.query(`drop table clusters`);
    await q.query(`drop table exchange_rates`);
    await q.query(`drop table zones`);
  }
}
