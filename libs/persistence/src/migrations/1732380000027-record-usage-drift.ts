import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drift findings: realized usage departing from the schedule in force beyond the configured threshold. One row per
 * schedule and one per piece of evidence (a digest of the realized usage compared): the first finding triggers the
 * `drift` re-plan; the same schedule or the same usage never triggers again (a re-plan over the same past slots
 * would otherwise find the same drift), and a new leader does not re-plan for a drift already acted on.
 */
export class RecordUsageDrift1732380000027 implements MigrationInterface {
  name = 'RecordUsageDrift1732380000027';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table usage_drift (
        schedule_id uuid primary key references schedules(id) on delete cascade,
        schedule_version integer not null,
        found_at timestamptz not null default now(),
        planned_gpu_hours double precision not null,
        realized_gpu_hours double precision not null,
        cells jsonb not null,
        evidence text not null unique
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table usage_drift`);
  }
}
