import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage keyed by interval first: the primary key becomes (slot_start, cluster_id, job_id) — the same key, in the
 * order the measured-savings report reads a month in — and the separate `slot_start` index goes. With the key
 * led by cluster and job, the report's read took an incremental sort of every interval's rows by two text columns,
 * most of its time in PostgreSQL for a month (108,000 rows); now it is an index scan. The usage store's
 * probe of stored (cluster, interval) pairs and every other usage query filter on `slot_start` first, and the
 * ingest maintains one index instead of two (docs/benchmarks.md#closed-loop). ON CONFLICT infers the key by its
 * columns in any order. The key is rebuilt under an exclusive lock: usage writes and reads wait for it.
 */
export class KeyUsageBySlotClusterJob1732380000036 implements MigrationInterface {
  name = 'KeyUsageBySlotClusterJob1732380000036';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table usage_reports drop constraint usage_reports_pkey,
                   add constraint usage_reports_pkey primary key (slot_start, cluster_id, job_id)`);
    await q.query(`drop index usage_reports_slot_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`create index usage_reports_slot_idx on usage_reports (slot_start)`);
    await q.query(`alter table usage_reports drop constraint usage_reports_pkey,
                   add constraint usage_reports_pkey primary key (cluster_id, job_id, slot_start)`);
  }
}
