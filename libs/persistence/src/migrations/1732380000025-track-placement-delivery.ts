import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Closes the loop with the data centers: what happened to each placement order after it was published.
 *
 * - `deliveries`: one row per (schedule, cluster) order, created by a trigger when the relay marks its outbox row
 *   `sent` (so the relay's fenced transaction needs no change), with the delivery state
 *   `sent → accepted → applied | partially-applied | rejected` and how often it was sent (a resend of an
 *   unacknowledged order sets its outbox row back to `pending`; the relay sends it again with the same
 *   message-id, and the trigger counts the send).
 * - `delivery_acks`: every acknowledgement received, deduplicated by its own message-id, flagged `superseded`
 *   when it names a version older than the newest order sent to its cluster.
 * - `delivery_exclusions`: a job a data center refused by its own rules (`policy`) stays out of that cluster until
 *   an operator clears it; inserting one wakes the planner (`rejection`), as does a rejected delivery.
 */
export class TrackPlacementDelivery1732380000025 implements MigrationInterface {
  name = 'TrackPlacementDelivery1732380000025';

  async up(q: QueryRunner): Promise<void> {
    const { quoted, raw } = await currentSchema(q);
    const channel = `gridshift_${raw}`.replace(/'/g, "''");
    await q.query(`
      create table deliveries (
        schedule_id uuid not null references schedules(id) on delete cascade,
        schedule_version integer not null,
        cluster_id text not null,
        message_id text not null,
        status text not null default 'sent'
          check (status in ('sent','accepted','applied','partially-applied','rejected')),
        first_sent_at timestamptz not null,
        last_sent_at timestamptz not null,
        sends integer not null default 1,
        resends integer not null default 0,
        acked_at timestamptz,
        status_at timestamptz,
        settled_at timestamptz,
        reasons jsonb not null default '[]'::jsonb,
        applied jsonb,
        primary key (schedule_id, cluster_id)
      )`);
    await q.query(
      `create index deliveries_cluster_version_idx on deliveries (cluster_id, schedule_version desc)`,
    );
    await q.query(`create index deliveries_unacked_idx on deliveries (last_sent_at) where status = 'sent'`);
    await q.query(`
      create table delivery_acks (
        id bigserial primary key,
        ack_message_id text not null unique,
        schedule_id uuid not null,
        schedule_version integer not null,
        cluster_id text not null,
        order_message_id text not null,
        status text not null,
        acked_at timestamptz not null,
        reasons jsonb not null,
        applied jsonb,
        superseded boolean not null,
        received_at timestamptz not null default now()
      )`);
    await q.query(`create index delivery_acks_order_idx on delivery_acks (schedule_id, cluster_id)`);
    await q.query(`
      create table delivery_exclusions (
        id bigserial primary key,
        job_id text not null,
        cluster_id text not null,
        reason text not null,
        schedule_id uuid not null,
        schedule_version integer not null,
        created_at timestamptz not null default now(),
        cleared_at timestamptz,
        cleared_by text
      )`);
    await q.query(`
      create unique index delivery_exclusions_active_idx on delivery_exclusions (job_id, cluster_id)
      where cleared_at is null`);
    // The relay marks rows sent in its fenced transaction; the delivery row follows in the same transaction.
    await q.query(`
      create function ${quoted}.gridshift_outbox_delivered() returns trigger
      language plpgsql as $fn$
      begin
        insert into ${quoted}.deliveries as d (schedule_id, schedule_version, cluster_id, message_id,
                                               first_sent_at, last_sent_at)
        values (new.schedule_id, new.schedule_version, new.cluster_id, new.message_id, new.sent_at, new.sent_at)
        on conflict (schedule_id, cluster_id) do update
          set last_sent_at = excluded.last_sent_at, sends = d.sends + 1;
        return null;
      end
      $fn$`);
    await q.query(`
      create trigger outbox_delivered after update of status on ${quoted}.outbox
      for each row when (new.status = 'sent' and old.status = 'pending')
      execute function ${quoted}.gridshift_outbox_delivered()`);
    await q.query(`
      create function ${quoted}.gridshift_notify_rejection() returns trigger
      language plpgsql as $fn$
      begin
        perform pg_notify('${channel}', 'rejection');
        return null;
      end
      $fn$`);
    await q.query(`
      create trigger delivery_exclusions_notify_planner after insert or update on ${quoted}.delivery_exclusions
      for each statement execute function ${quoted}.gridshift_notify_rejection()`);
    await q.query(`
      create trigger deliveries_rejected_notify_planner after update of status on ${quoted}.deliveries
      for each row when (new.status in ('rejected','partially-applied') and old.status is distinct from new.status)
      execute function ${quoted}.gridshift_notify_rejection()`);
  }

  async down(q: QueryRunner): Promise<void> {
    const { quoted } = await currentSchema(q);
    await q.query(`drop trigger if exists outbox_delivered on ${quoted}.outbox`);
    await q.query(`drop function if exists ${quoted}.gridshift_outbox_delivered()`);
    await q.query(`drop table delivery_exclusions`);
    await q.query(`drop table delivery_acks`);
    await q.query(`drop table deliveries`);
    await q.query(`drop function if exists ${quoted}.gridshift_notify_rejection()`);
  }
}

async function currentSchema(q: QueryRunner): Promise<{ quoted: string; raw: string }> {
  const rows = (await q.query(`select quote_ident(current_schema()) as quoted, current_schema() as raw`)) as {
    quoted: string;
    raw: string;
  }[];
  return rows[0]!;
}
