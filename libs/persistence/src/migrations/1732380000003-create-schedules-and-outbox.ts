import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Versioned schedules with their placements, the planner lease (epoch fencing) and the placement outbox. */
export class CreateSchedulesAndOutbox1732380000003 implements MigrationInterface {
  name = 'CreateSchedulesAndOutbox1732380000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table planner_leases (
        name text primary key,
        holder text not null,
        epoch bigint not null,
        lease_until timestamptz not null,
        updated_at timestamptz not null default now()
      )`);
    await q.query(`
      create table schedules (
        id uuid primary key,
        version integer,
        kind text not null default 'plan' check (kind in ('plan','what-if')),
        status text not null check (status in ('draft','approved','published','superseded','rejected','what-if')),
        trigger text not null,
        leader_epoch bigint not null,
        horizon_start timestamptz not null,
        horizon_end timestamptz not null,
        slot_minutes integer not null,
        input_snapshot jsonb not null,
        input_hash text not null,
        solver_stats jsonb not null,
        totals jsonb not null,
        baselines jsonb not null,
        savings jsonb not null,
        assumptions jsonb not null default '[]'::jsonb,
        shortfalls jsonb not null default '[]'::jsonb,
        explanations jsonb not null default '[]'::jsonb,
        objective double precision not null,
        supersedes_version integer,
        approval jsonb,
        approved_at timestamptz,
        approved_by text,
        published_at timestamptz,
        rejected_at timestamptz,
        rejected_by text,
        rejected_reason text,
        created_at timestamptz not null default now(),
        unique (version)
      )`);
    await q.query(`create index schedules_status_created_idx on schedules (status, created_at desc)`);
    await q.query(`
      create table placements (
        schedule_id uuid not null references schedules(id) on delete cascade,
        job_id text not null,
        cluster_id text not null,
        slot_start timestamptz not null,
        gpus integer not null check (gpus >= 0),
        gpu_hours double precision not null,
        primary key (schedule_id, cluster_id, slot_start, job_id)
      )`);
    await q.query(`
      create table outbox (
        id bigserial primary key,
        message_id text not null unique,
        topic text not null,
        message_key text not null,
        payload jsonb not null,
        headers jsonb not null default '{}'::jsonb,
        schedule_id uuid not null references schedules(id),
        schedule_version integer not null,
        cluster_id text not null,
        leader_epoch bigint not null,
        status text not null default 'pending' check (status in ('pending','sent')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_error text,
        created_at timestamptz not null default now(),
        sent_at timestamptz
      )`);
    await q.query(`create index outbox_pending_idx on outbox (status, cluster_id, schedule_version, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table outbox`);
    await q.query(`drop table placements`);
    await q.query(`drop table schedules`);
    await q.query(`drop table planner_leases`);
  }
}
