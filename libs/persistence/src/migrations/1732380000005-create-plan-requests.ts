import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Plan requests: manual and override re-plans asked for by operators, picked up by the active planner. */
export class CreatePlanRequests1732380000005 implements MigrationInterface {
  name = 'CreatePlanRequests1732380000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table plan_requests (
        id uuid primary key,
        trigger text not null check (trigger in ('manual','override')),
        requested_by text not null,
        reason text,
        status text not null default 'pending' check (status in ('pending','running','done','failed')),
        schedule_id uuid references schedules(id) on delete set null,
        claimed_epoch bigint,
        error text,
        created_at timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(
      `create index plan_requests_open_idx on plan_requests (created_at) where status in ('pending','running')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table plan_requests`);
  }
}
