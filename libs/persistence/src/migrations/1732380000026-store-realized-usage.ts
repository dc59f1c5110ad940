import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Realized usage reported by the data centers (`gridshift.usage.v1`): one row per (cluster, job, interval start),
 * the report with the latest `observedAt` wins. Read by the drift check (per schedule in force) and the measured
 * savings report (per period), hence the index on the interval start. Storing usage wakes the planner (`usage`).
 */
export class StoreRealizedUsage1732380000026 implements MigrationInterface {
  name = 'StoreRealizedUsage1732380000026';

  async up(q: QueryRunner): Promise<void> {
    const { quoted, raw } = await currentSchema(q);
    const channel = `gridshift_${raw}`.replace(/'/g, "''");
    await q.query(`
      create table usage_reports (
        cluster_id text not null,
        job_id text not null,
        slot_start timestamptz not null,
        minutes integer not null check (minutes > 0 and minutes <= 60),
        gpu_hours double precision not null check (gpu_hours >= 0),
        energy_kwh double precision not null check (energy_kwh >= 0),
        observed_at timestamptz not null,
        message_id text,
        primary key (cluster_id, job_id, slot_start)
      )`);
    await q.query(`create index usage_reports_slot_idx on usage_reports (slot_start)`);
    await q.query(`
      create function ${quoted}.gridshift_notify_usage() returns trigger
      language plpgsql as $fn$
      begin
        perform pg_notify('${channel}', 'usage');
        return null;
      end
      $fn$`);
    await q.query(`
      create trigger usage_reports_notify_planner after insert or update on ${quoted}.usage_reports
      for each statement execute function ${quoted}.gridshift_notify_usage()`);
  }

  async down(q: QueryRunner): Promise<void> {
    const { quoted } = await currentSchema(q);
    await q.query(`drop table usage_reports`);
    await q.query(`drop function if exists ${quoted}.gridshift_notify_usage()`);
  }
}

async function currentSchema(q: QueryRunner): Promise<{ quoted: string; raw: string }> {
  const rows = (await q.query(`select quote_ident(current_schema()) as quoted, current_schema() as raw`)) as {
    quoted: string;
    raw: string;
  }[];
  return rows[0]!;
}
