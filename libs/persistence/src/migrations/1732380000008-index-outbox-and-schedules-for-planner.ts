import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes for the planner's hot paths: the relay's pending scan, per-schedule completion, latest plans. */
export class IndexOutboxAndSchedulesForPlanner1732380000008 implements MigrationInterface {
  name = 'IndexOutboxAndSchedulesForPlanner1732380000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`create index outbox_pending_id_idx on outbox (id) where status = 'pending'`);
    await q.query(`create index outbox_schedule_idx on outbox (schedule_id, status)`);
    await q.query(`create index outbox_cluster_version_idx on outbox (cluster_id, schedule_version desc)`);
    await q.query(`create index schedules_kind_version_idx on schedules (kind, version desc)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index schedules_kind_version_idx`);
    await q.query(`drop index outbox_cluster_version_idx`);
    await q.query(`drop index outbox_schedule_idx`);
    await q.query(`drop index outbox_pending_id_idx`);
  }
}
