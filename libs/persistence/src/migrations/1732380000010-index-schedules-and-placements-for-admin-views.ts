import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the admin API's reads: the schedule list (newest first, keyset on created_at + id), placements
 * of one slot (savings report, diff windows) and of one job (job drill-down), and the audit log by target.
 */
export class IndexSchedulesAndPlacementsForAdminViews1732380000010 implements MigrationInterface {
  name = 'IndexSchedulesAndPlacementsForAdminViews1732380000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`create index schedules_created_id_idx on schedules (created_at desc, id desc)`);
    await q.query(`create index placements_schedule_slot_idx on placements (schedule_id, slot_start)`);
    await q.query(`create index placements_schedule_job_idx on placements (schedule_id, job_id)`);
    await q.query(`create index audit_log_target_idx on audit_log (target_type, target_id, id desc)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index audit_log_target_idx`);
    await q.query(`drop index placements_schedule_job_idx`);
    await q.query(`drop index placements_schedule_slot_idx`);
    await q.query(`drop index schedules_created_id_idx`);
  }
}
