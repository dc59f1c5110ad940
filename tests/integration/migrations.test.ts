import { afterAll, describe, expect, it } from 'vitest';
import { createDataSource, migrate, migrations, revert } from '#gridshift/persistence';
import { services, uniqueSchema } from '../support/harness.js';

const schema = uniqueSchema(import.meta.filename);
const dataSource = createDataSource({ url: services().databaseUrl, schema, poolMax: 3 });

async function tables(): Promise<string[]> {
  const rows = await dataSource.query<{ table_name: string }[]>(
    `select table_name from information_schema.tables where table_schema = $1 order by table_name`,
    [schema],
  );
  return rows.map((r) => r.table_name);
}

afterAll(async () => {
  await dataSource.query(`drop schema if exists "${schema}" cascade`);
  await dataSource.destroy();
});

describe('migrations', () => {
  it('apply to an empty schema, are idempotent, and roll back completely', async () => {
    await dataSource.initialize();
    const applied = await migrate(dataSource);
    expect(applied).toHaveLength(migrations.length);
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'prices',
        'load_reports',
        'cluster_state',
        'clusters',
        'jobs',
        'schedules',
        'outbox',
        'audit_log',
      ]),
    );
    expect(await migrate(dataSource)).toEqual([]);

    const reverted = await revert(dataSource);
    expect(reverted).toBe(migrations.length);
    expect(await tables()).toEqual(['typeorm_migrations']);

    expect(await migrate(dataSource)).toHaveLength(migrations.length);
  });

  it('serialise concurrent runs: only one process applies them', async () => {
    const other = uniqueSchema(import.meta.filename);
    const a = createDataSource({ url: services().databaseUrl, schema: other, poolMax: 2 });
    const b = createDataSource({ url: services().databaseUrl, schema: other, poolMax: 2 });
    await Promise.all([a.initialize(), b.initialize()]);
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect(ra.length + rb.length).toBe(migrations.length);
    } finally {
      await a.query(`drop schema if exists "${other}" cascade`);
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });
});

describe('placements → schedules integrity (statement-level check)', () => {
  it('rejects placements of an unknown schedule and deletes placements with their schedule', async () => {
    if (!dataSource.isInitialized) await dataSource.initialize();
    await migrate(dataSource);
    await expect(
      dataSource.query(
        `insert into placements (schedule_id, job_id, cluster_id, slot_start, gpus, gpu_hours)
         values ('00000000-0000-0000-0000-000000000009', 'j', 'c', now(), 1, 1)`,
      ),
    ).rejects.toMatchObject({ code: '23503' });
    const id = '00000000-0000-0000-0000-000000000001';
    await dataSource.query(
      `insert into schedules (id, version, status, trigger, leader_epoch, horizon_start, horizon_end, slot_minutes,
         input_snapshot, input_hash, solver_stats, totals, baselines, savings, objective)
       values ($1, null, 'what-if', 'test', 0, now(), now() + interval '1 hour', 60, '{}', 'h', '{}', '{}', '{}', '{}', 0)`,
      [id],
    );
    await dataSource.query(
      `insert into placements (schedule_id, job_id, cluster_id, slot_start, gpus, gpu_hours)
       select $1, 'job-' || i, 'c', now(), 1, 1 from generate_series(1, 50) i`,
      [id],
    );
    await dataSource.query(`delete from schedules where id = $1`, [id]);
    const [left] = await dataSource.query<{ n: string }[]>(
      `select count(*) n from placements where schedule_id = $1`,
      [id],
    );
    expect(Number(left!.n)).toBe(0);
  });
});
