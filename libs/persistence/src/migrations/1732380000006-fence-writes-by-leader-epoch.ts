import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Epoch fencing: a schedule or outbox write that carries a leader epoch older than the current planner
 * lease epoch is rejected by the database (SQLSTATE GSE01), so a planner that was paused past its lease
 * and then resumes cannot write anything.
 *
 * - INSERT: `new.leader_epoch` must be ≥ the epoch in planner_leases('planner').
 * - INSERT/UPDATE: a writer that declared its epoch for the transaction
 *   (`set_config('gridshift.leader_epoch', epoch, true)`, as the planner and its relay do) must hold
 *   the current epoch. Operator writes (the admin API) declare none and are serialised by row locks.
 * - The lease row is read `for share`, so a takeover (which bumps the epoch) waits for in-flight fenced
 *   transactions to end: a write cannot pass the check and then commit after a newer leader was elected.
 * - What-if schedules are never published and are not fenced.
 */
export class FenceWritesByLeaderEpoch1732380000006 implements MigrationInterface {
  name = 'FenceWritesByLeaderEpoch1732380000006';

  async up(q: QueryRunner): Promise<void> {
    const schema = await currentSchema(q);
    await q.query(`
      insert into planner_leases (name, holder, epoch, lease_until)
      values ('planner', 'nobody', 0, now()) on conflict (name) do nothing`);
    await q.query(`
      create function ${schema}.gridshift_fence_leader_epoch() returns trigger
      language plpgsql as $fn$
      declare
        current_epoch bigint;
        writer_epoch text;
      begin
        if tg_table_name = 'schedules' then
          -- Separate statement: plpgsql would evaluate new.kind on outbox rows too.
          if new.kind = 'what-if' then
            return new;
          end if;
        end if;
        select epoch into current_epoch from ${schema}.planner_leases where name = 'planner' for share;
        if current_epoch is null then
          return new;
        end if;
        writer_epoch := nullif(current_setting('gridshift.leader_epoch', true), '');
        if writer_epoch is not null and writer_epoch::bigint < current_epoch then
          raise exception 'stale leader epoch: % % by a writer with epoch % but the current planner epoch is %',
            lower(tg_op), tg_table_name, writer_epoch, current_epoch
            using errcode = 'GSE01';
        end if;
        if (tg_op = 'INSERT' or new.leader_epoch is distinct from old.leader_epoch)
           and new.leader_epoch < current_epoch then
          raise exception 'stale leader epoch: % % carries epoch % but the current planner epoch is %',
            lower(tg_op), tg_table_name, new.leader_epoch, current_epoch
            using errcode = 'GSE01';
        end if;
        return new;
      end
      $fn$`);
    for (const table of ['schedules', 'outbox']) {
      await q.query(`
        create trigger ${table}_fence_leader_epoch before insert or update on ${schema}.${table}
        for each row execute function ${schema}.gridshift_fence_leader_epoch()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const schema = await currentSchema(q);
    for (const table of ['schedules', 'outbox']) {
      await q.query(`drop trigger if exists ${table}_fence_leader_epoch on ${schema}.${table}`);
    }
    await q.query(`drop function if exists ${schema}.gridshift_fence_leader_epoch()`);
  }
}

async function currentSchema(q: QueryRunner): Promise<string> {
  const rows = (await q.query(`select quote_ident(current_schema()) as schema`)) as { schema: string }[];
  return rows[0]!.schema;
}
