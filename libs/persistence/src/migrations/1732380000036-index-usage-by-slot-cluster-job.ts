import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage by interval, then cluster, then job: the order the measured-savings report reads a month in. The index on
 * `slot_start` alone left PostgreSQL an incremental sort of every interval's rows by two text columns, most of the
 * query's time (≈ 200 of 240 ms for 108,000 rows, docs/benchmarks.md#closed-loop). It replaces that index: every
 * query that used it filters on `slot_start` first.
 */
export class IndexUsageBySlotClusterJob1732380000036 implements MigrationInterface {
  name = 'IndexUsageBySlotClusterJob1732380000036';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `create index usage_reports_slot_cluster_job_idx on usage_reports (slot_start, cluster_id, job_id)`,
    );
    await q.query(`drop index usage_reports_slot_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`create index usage_reports_slot_idx on usage_reports (slot_start)`);
    await q.query(`drop index usage_reports_slot_cluster_job_idx`);
  }
}
