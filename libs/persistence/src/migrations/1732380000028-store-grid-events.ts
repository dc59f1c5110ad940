import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Demand-response events from energy partners (topic gridshift.grid-events.v1): one row per event id holding its
 * newest revision (highest `modification_number`); a cancel keeps the row with `cancelled`. `baseline_schedule_id`
 * is the plan in force when the event was first received — the counterfactual of its delivery report and the
 * reference of LOAD_REDUCTION payloads; it never changes with later revisions. A statement trigger wakes the planner
 * (`grid-events`), like prices and load.
 */
export class StoreGridEvents1732380000028 implements MigrationInterface {
  name = 'StoreGridEvents1732380000028';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`select quote_ident(current_schema()) as quoted`)) as { quoted: string }[];
    const schema = rows[0]!.quoted;
    await q.query(`
      create table grid_events (
        event_id text primary key,
        program_id text not null,
        modification_number integer not null check (modification_number >= 0),
        priority integer not null,
        zones text[] not null check (cardinality(zones) > 0),
        cluster_ids text[],
        compliance text not null check (compliance in ('mandatory', 'voluntary')),
        incentive_per_mwh double precision,
        cancelled boolean not null default false,
        intervals jsonb not null,
        starts_at timestamptz not null,
        ends_at timestamptz not null check (ends_at > starts_at),
        content_hash text not null,
        message_id text,
        baseline_schedule_id uuid,
        received_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await q.query(
      `create index grid_events_active_idx on grid_events (ends_at, starts_at) where not cancelled`,
    );
    await q.query(`
      create trigger grid_events_notify_planner after insert or update on ${schema}.grid_events
      for each statement execute function ${schema}.gridshift_notify_planner('grid-events')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table grid_events`);
  }
}
