import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stores a schedule's placements as one row per (schedule, cluster, slot) — a *cell* — with the jobs of that
 * cell in parallel arrays (`job_ids[i]` runs `gpus[i]` GPUs for `gpu_hours[i]`), instead of one row per
 * (schedule, cluster, slot, job). At 5,000 jobs × 20 clusters × 24 slots a plan has ~90,000 placements but
 * only ≤ 480 cells: writing them in the store transaction on the price-change → placement-order path took
 * ≈ 1 s as rows (primary key + two admin indexes), and a few tens of ms as cells.
 *
 * - Integrity stays in the database: a real foreign key to `schedules` with `on delete cascade` (≤ 480 probes
 *   per plan), one cell per (schedule, cluster, slot) (primary key), a job at most once per cell, equal array
 *   lengths, no negative GPU counts.
 * - `placements` becomes a view with the old columns (schedule_id, job_id, cluster_id, slot_start, gpus,
 *   gpu_hours), so existing readers and ad-hoc queries keep working; filters on schedule_id, cluster_id and
 *   slot_start reach the cells' primary key. Inserting a row into the view adds the job to its cell (row by
 *   row, for small writers such as fixtures; bulk writers insert cells).
 * - Replaces the statement-level placements → schedules check of migration 1732380000016 (the FK is cheap now)
 *   and the admin indexes of 1732380000010 on placements (a cell is found by its primary key).
 */
export class StorePlacementsPerCell1732380000020 implements MigrationInterface {
  name = 'StorePlacementsPerCell1732380000020';

  async up(q: QueryRunner): Promise<void> {
    const schema = await currentSchema(q);
    await q.query(`
      create function ${schema}.placement_job_ids_distinct(ids text[]) returns boolean
      language sql immutable parallel safe as
      $fn$ select count(distinct x) = cardinality(ids) from unnest(ids) x $fn$`);
    await q.query(`
      create table placement_cells (
        schedule_id uuid not null references schedules(id) on delete cascade,
        cluster_id text not null,
        slot_start timestamptz not null,
        job_ids text[] not null,
        gpus integer[] not null,
        gpu_hours double precision[] not null,
        primary key (schedule_id, cluster_id, slot_start),
        constraint placement_cells_arrays_check check (
          array_ndims(job_ids) = 1 and cardinality(job_ids) > 0 and cardinality(job_ids) = cardinality(gpus)
          and cardinality(job_ids) = cardinality(gpu_hours) and array_position(gpu_hours, null) is null),
        constraint placement_cells_gpus_check check (0 <= all(gpus) and array_position(gpus, null) is null),
        constraint placement_cells_jobs_check check (
          array_position(job_ids, null) is null and ${schema}.placement_job_ids_distinct(job_ids))
      )`);
    if (await lz4Available(q)) {
      // A cell's arrays are TOASTed from ~150 jobs on; lz4 compresses them several times faster than pglz.
      await q.query(`alter table placement_cells alter column job_ids set compression lz4,
        alter column gpus set compression lz4, alter column gpu_hours set compression lz4`);
    }
    await q.query(`
      insert into placement_cells (schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours)
      select schedule_id, cluster_id, slot_start, array_agg(job_id order by job_id),
             array_agg(gpus order by job_id), array_agg(gpu_hours order by job_id)
      from placements group by schedule_id, cluster_id, slot_start`);
    await q.query(`drop trigger schedules_delete_placements on schedules`);
    await q.query(`drop function schedules_delete_placements()`);
    await q.query(`drop table placements`);
    await q.query(`drop function placements_check_schedule()`);
    await q.query(`
      create view placements as
      select c.schedule_id, u.job_id, c.cluster_id, c.slot_start, u.gpus, u.gpu_hours
      from placement_cells c
      cross join lateral unnest(c.job_ids, c.gpus, c.gpu_hours) as u(job_id, gpus, gpu_hours)`);
    await q.query(`
      create function ${schema}.placements_insert_row() returns trigger
      language plpgsql as $fn$
      begin
        insert into ${schema}.placement_cells as c (schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours)
        values (new.schedule_id, new.cluster_id, new.slot_start, array[new.job_id], array[new.gpus],
                array[new.gpu_hours])
        on conflict (schedule_id, cluster_id, slot_start) do update
          set job_ids = c.job_ids || excluded.job_ids, gpus = c.gpus || excluded.gpus,
              gpu_hours = c.gpu_hours || excluded.gpu_hours;
        return new;
      end
      $fn$`);
    await q.query(`
      create trigger placements_insert_row instead of insert on placements
      for each row execute function ${schema}.placements_insert_row()`);
  }

  async down(q: QueryRunner): Promise<void> {
    const schema = await currentSchema(q);
    await q.query(`drop view placements`);
    await q.query(`drop function ${schema}.placements_insert_row()`);
    await q.query(`
      create table placements (
        schedule_id uuid not null,
        job_id text not null,
        cluster_id text not null,
        slot_start timestamptz not null,
        gpus integer not null check (gpus >= 0),
        gpu_hours double precision not null,
        primary key (schedule_id, cluster_id, slot_start, job_id)
      )`);
    await q.query(`
      insert into placements (schedule_id, job_id, cluster_id, slot_start, gpus, gpu_hours)
      select c.schedule_id, u.job_id, c.cluster_id, c.slot_start, u.gpus, u.gpu_hours
      from placement_cells c cross join lateral unnest(c.job_ids, c.gpus, c.gpu_hours) as u(job_id, gpus, gpu_hours)`);
    await q.query(`drop table placement_cells`);
    await q.query(`drop function ${schema}.placement_job_ids_distinct(text[])`);
    await q.query(`create index placements_schedule_slot_idx on placements (schedule_id, slot_start)`);
    await q.query(`create index placements_schedule_job_idx on placements (schedule_id, job_id)`);
    // The statement-level placements → schedules check of migration 1732380000016.
    await q.query(`
      create function placements_check_schedule() returns trigger language plpgsql as $$
      declare missing uuid;
      begin
        select i.schedule_id into missing from (select distinct schedule_id from inserted) i
          left join schedules s on s.id = i.schedule_id where s.id is null limit 1;
        if missing is not null then
          raise exception 'insert or update on table "placements" violates foreign key: schedule % does not exist', missing
            using errcode = '23503';
        end if;
        return null;
      end $$`);
    await q.query(`
      create trigger placements_check_schedule_insert after insert on placements
      referencing new table as inserted for each statement execute function placements_check_schedule()`);
    await q.query(`
      create trigger placements_check_schedule_update after update on placements
      referencing new table as inserted for each statement execute function placements_check_schedule()`);
    await q.query(`
      create function schedules_delete_placements() returns trigger language plpgsql as $$
      begin
        delete from placements p using deleted d where p.schedule_id = d.id;
        return null;
      end $$`);
    await q.query(`
      create trigger schedules_delete_placements after delete on schedules
      referencing old table as deleted for each statement execute function schedules_delete_placements()`);
  }
}

async function currentSchema(q: QueryRunner): Promise<string> {
  const rows = (await q.query(`select quote_ident(current_schema()) as schema`)) as { schema: string }[];
  return rows[0]!.schema;
}

async function lz4Available(q: QueryRunner): Promise<boolean> {
  const rows = (await q.query(
    `select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)`,
  )) as unknown[];
  return rows.length > 0;
}
