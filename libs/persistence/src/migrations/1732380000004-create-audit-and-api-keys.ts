import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys (stored hashed) and the operator audit log. */
export class CreateAuditAndApiKeys1732380000004 implements MigrationInterface {
  name = 'CreateAuditAndApiKeys1732380000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table api_keys (
        id uuid primary key,
        name text not null,
        role text not null check (role in ('viewer','operator','admin')),
        key_prefix text not null,
        key_hash text not null unique,
        created_at timestamptz not null default now(),
        created_by text,
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    await q.query(`
      create table audit_log (
        id bigserial primary key,
        at timestamptz not null default now(),
        actor text not null,
        action text not null,
        target_type text not null,
        target_id text not null,
        before jsonb,
        after jsonb,
        reason text
      )`);
    await q.query(`create index audit_log_at_idx on audit_log (at desc)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table audit_log`);
    await q.query(`drop table api_keys`);
  }
}
