import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A schedule's input snapshot stores its job set (`problem.jobs`, ≈ 99 % of the snapshot's bytes at fleet scale:
 * 3.7 MB at 5,000 jobs) once per distinct content: `schedule_input_parts` holds each job set under the SHA-256
 * of its canonical JSON, `schedules.input_jobs_hash` references it, and the schedule's `input_snapshot` keeps
 * the rest. A re-plan on new prices or capacity references the unchanged job set instead of rewriting it in the
 * store transaction. Rows stored whole before (input_jobs_hash null) stay as they are. Down puts every job set
 * back into its snapshots.
 */
export class StoreScheduleJobSetsOnce1732380000038 implements MigrationInterface {
  name = 'StoreScheduleJobSetsOnce1732380000038';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table schedule_input_parts (
        hash text primary key check (hash ~ '^[0-9a-f]{64}$'),
        document json not null,
        created_at timestamptz not null default now()
      )`);
    // As the schedules' other large documents (migration 9): lz4 when the server has it.
    const lz4 = (await q.query(
      `select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)`,
    )) as unknown[];
    if (lz4.length > 0)
      await q.query(`alter table schedule_input_parts alter column document set compression lz4`);
    await q.query(
      `alter table schedules add column input_jobs_hash text references schedule_input_parts (hash)`,
    );
    await q.query(`create index schedules_input_jobs_hash_idx on schedules (input_jobs_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      update schedules s
         set input_snapshot = jsonb_set(s.input_snapshot::jsonb, '{problem,jobs}', p.document::jsonb)::json
        from schedule_input_parts p
       where p.hash = s.input_jobs_hash`);
    await q.query(`alter table schedules drop column input_jobs_hash`);
    await q.query(`drop table schedule_input_parts`);
  }
}
