import { afterAll, describe, expect, it } from 'vitest';
import {
  createDataSource,
  migrate,
  migrations,
  OutboxRepository,
  revert,
  ScheduleRepository,
} from '#gridshift/persistence';
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

describe('migration 18 (prices as issue rows) with data', () => {
  it('carries the per-slot rows over and back, unchanged as read through `prices`', async () => {
    const other = uniqueSchema(import.meta.filename);
    const ds = createDataSource({ url: services().databaseUrl, schema: other, poolMax: 2 });
    await ds.initialize();
    const columns = `zone, market, interval_start, partner_id, slot_minutes, price_per_mwh, price_original,
                     currency_original, carbon_g_per_kwh, coverage_minutes, issued_at`;
    const read = () =>
      ds.query<Record<string, unknown>[]>(
        `select ${columns} from prices order by zone, market, interval_start, partner_id`,
      );
    try {
      await migrate(ds);
      const after18 = migrations.findIndex((m) => m.name.endsWith('1732380000018'));
      await revert(ds, migrations.length - after18); // back to the per-slot table of migration 1
      // Hourly DE-LU across midnight UTC (two issues), 15-minute FR with a partial slot, no carbon, JPY, a
      // second partner on the same slot.
      await ds.query(`
        insert into prices (${columns}, message_id, ingested_at)
        select 'DE-LU', 'day_ahead', timestamptz '2023-03-01 20:00Z' + h * interval '1 hour', 'p1', 60,
               40 + h, (40 + h) * 0.925, 'EUR', case when h % 2 = 0 then 300 + h end, 60,
               case when h < 6 then timestamptz '2023-02-28 11:00Z' else timestamptz '2023-03-01 11:00Z' end,
               'm', timestamptz '2023-03-01 12:00Z'
        from generate_series(0, 9) h
        union all
        select 'FR', 'intraday', timestamptz '2023-03-02 10:00Z' + q * interval '15 minutes', 'p2', 15,
               -5.5 + q, null, 'JPY', null, case when q = 2 then 10 else 15 end, timestamptz '2023-03-02 09:00Z',
               'm', timestamptz '2023-03-01 12:00Z'
        from generate_series(0, 3) q
        union all
        select 'DE-LU', 'day_ahead', timestamptz '2023-03-01 20:00Z', 'p3', 60, 99, 99, 'USD', null, 60,
               timestamptz '2023-02-28 12:00Z', 'm', timestamptz '2023-03-01 12:00Z'`);
      const before = await read();
      expect(before).toHaveLength(15);
      // Up to migration 20 only: from 21 on, `prices` aggregates stored intervals to hourly slots (tested below).
      const through20 = migrations.findIndex((m) => m.name.endsWith('1732380000020')) + 1;
      await migrate(ds);
      await revert(ds, migrations.length - through20);
      expect(await read()).toEqual(before);
      const issues = await ds.query<{ n: string }[]>(`select count(*)::text n from price_issues`);
      expect(Number(issues[0]!.n)).toBe(5); // DE-LU p1: 2 days × 2 issues → 3 rows with slots, FR, p3
      await revert(ds, through20 - after18);
      expect(await read()).toEqual(before);
    } finally {
      await ds.query(`drop schema if exists "${other}" cascade`);
      await ds.destroy();
    }
  });
});

describe('migration 21 (prices per interval as sent) with data', () => {
  it('keeps stored slots as intervals, aggregates them to hourly slots on read, and reverts', async () => {
    const other = uniqueSchema(import.meta.filename);
    const ds = createDataSource({ url: services().databaseUrl, schema: other, poolMax: 2 });
    await ds.initialize();
    const hourly = () =>
      ds.query<
        { zone: string; h: string; price_per_mwh: number; coverage_minutes: number; slot_minutes: number }[]
      >(
        `select zone, to_char(interval_start at time zone 'UTC', 'HH24:MI') h, price_per_mwh, coverage_minutes,
                slot_minutes
         from prices order by zone, interval_start`,
      );
    try {
      await migrate(ds);
      // Back to slot blocks (migration 20): migration 21 and every later one reverted.
      const through20 = migrations.findIndex((m) => m.name.endsWith('1732380000020')) + 1;
      await revert(ds, migrations.length - through20);
      // DE-LU: three hourly slots; FR: one hourly slot only 45 minutes covered; NL: four 15-minute slots (an
      // ingest configured with 15-minute slots).
      const nulls = (n: number, type = 'float8') => `array_fill(null::${type}, array[${n}])`;
      await ds.query(`
        insert into price_issues (zone, market, block_start, partner_id, slot_minutes, issued_at, currency_original,
                                  price_per_mwh, price_original, carbon_g_per_kwh, coverage_minutes, points)
        values
          ('DE-LU', 'day_ahead', '2023-03-02Z', 'p1', 60, '2023-03-01 11:00Z', 'EUR',
           array[40, 41, 42]::float8[] || ${nulls(21)}, array[37, 38, 39]::float8[] || ${nulls(21)}, null, null, 3),
          ('FR', 'intraday', '2023-03-02Z', 'p2', 60, '2023-03-02 09:00Z', 'EUR',
           ${nulls(10)} || array[70]::float8[] || ${nulls(13)}, ${nulls(10)} || array[65]::float8[] || ${nulls(13)},
           null, ${nulls(10, 'int')} || array[45] || ${nulls(13, 'int')}, 1),
          ('NL', 'day_ahead', '2023-03-02Z', 'p3', 15, '2023-03-01 12:00Z', 'EUR',
           ${nulls(40)} || array[40, 60, 80, 100]::float8[] || ${nulls(52)},
           ${nulls(40)} || array[40, 60, 80, 100]::float8[] || ${nulls(52)}, null, null, 4)`);
      const perSlot = await ds.query<Record<string, unknown>[]>(
        `select zone, market, interval_start, partner_id, slot_minutes as minutes, price_per_mwh, coverage_minutes,
                issued_at from prices order by zone, market, partner_id, interval_start`,
      );
      expect(perSlot).toHaveLength(8);
      await migrate(ds);
      // Every stored slot is now an interval of its length, unchanged.
      expect(
        await ds.query(
          `select zone, market, interval_start, partner_id, interval_minutes as minutes, price_per_mwh,
                  coverage_minutes, issued_at from price_intervals order by zone, market, partner_id, interval_start`,
        ),
      ).toEqual(perSlot);
      // Read as hourly slots: DE-LU as it was; FR keeps its 45 covered minutes; NL's quarters average to
      // (40 + 60 + 80 + 100) / 4 = 70.
      expect(await hourly()).toEqual([
        { zone: 'DE-LU', h: '00:00', price_per_mwh: 40, coverage_minutes: 60, slot_minutes: 60 },
        { zone: 'DE-LU', h: '01:00', price_per_mwh: 41, coverage_minutes: 60, slot_minutes: 60 },
        { zone: 'DE-LU', h: '02:00', price_per_mwh: 42, coverage_minutes: 60, slot_minutes: 60 },
        { zone: 'FR', h: '10:00', price_per_mwh: 70, coverage_minutes: 45, slot_minutes: 60 },
        { zone: 'NL', h: '10:00', price_per_mwh: 70, coverage_minutes: 60, slot_minutes: 60 },
      ]);
      await revert(ds, migrations.length - through20);
      expect(
        await ds.query(
          `select zone, market, interval_start, partner_id, slot_minutes as minutes, price_per_mwh, coverage_minutes,
                  issued_at from prices order by zone, market, partner_id, interval_start`,
        ),
      ).toEqual(perSlot);
    } finally {
      await ds.query(`drop schema if exists "${other}" cascade`);
      await ds.destroy();
    }
  });
});

describe('migration 38 (job sets stored once) with data', () => {
  it('reads a snapshot whole whether its job set is apart or inline, puts job sets back on revert', async () => {
    const other = uniqueSchema(import.meta.filename);
    const ds = createDataSource({ url: services().databaseUrl, schema: other, poolMax: 2 });
    await ds.initialize();
    const jobs = [{ id: 'j1', kind: 'batch', totalGpuHours: 4, maxGpus: 2 }];
    const whole = { formatVersion: 1, nowUtc: 'n', problem: { currency: 'EUR', jobs, slotStartsUtc: ['s'] } };
    const apart = { formatVersion: 1, nowUtc: 'n', problem: { currency: 'EUR', slotStartsUtc: ['s'] } };
    const hash = 'a'.repeat(64);
    const row = (id: string, version: number, snapshot: unknown, inputJobsHash: string | null) => ({
      id,
      version,
      kind: 'plan' as const,
      trigger: 'test',
      leaderEpoch: 0,
      horizonStartUtc: '2026-01-01T00:00:00Z',
      horizonEndUtc: '2026-01-01T01:00:00Z',
      slotMinutes: 60,
      inputSnapshotJson: JSON.stringify(snapshot),
      inputJobsHash,
      inputHash: `h${version}`,
      solverStats: {},
      totals: {},
      baselines: {},
      savings: {},
      assumptions: [],
      shortfalls: [],
      objective: 0,
      approval: null,
    });
    const ids = ['00000000-0000-0000-0000-000000000031', '00000000-0000-0000-0000-000000000032'];
    const snapshots = async () => {
      const rows = await ds.query<{ s: unknown }[]>(
        `select input_snapshot as s from schedules where id = any($1) order by id`,
        [ids],
      );
      return rows.map((r) => r.s);
    };
    try {
      await migrate(ds);
      const schedules = new ScheduleRepository(ds);
      expect(await schedules.storeInputPart(hash, JSON.stringify(jobs))).toBe(true);
      expect(await schedules.storeInputPart(hash, JSON.stringify(jobs))).toBe(false); // stored once
      await schedules.insert(row(ids[0]!, 1, whole, null));
      await schedules.insert(row(ids[1]!, 2, apart, hash));
      for (const id of ids)
        expect((await schedules.find(id, { snapshot: true }))?.inputSnapshot).toEqual(whole);
      // A reference to a job set that is not stored is refused.
      await expect(
        schedules.insert(row('00000000-0000-0000-0000-000000000033', 3, apart, 'b'.repeat(64))),
      ).rejects.toMatchObject({ code: '23503' });
      expect(await snapshots()).toEqual([whole, apart]);

      const at38 = migrations.findIndex((m) => m.name.endsWith('1732380000038'));
      await revert(ds, migrations.length - at38);
      expect(await snapshots()).toEqual([whole, whole]);
      await migrate(ds);
      expect(await snapshots()).toEqual([whole, whole]);
    } finally {
      await ds.query(`drop schema if exists "${other}" cascade`);
      await ds.destroy();
    }
  });
});

describe('migration 39 (whether orders assign work) with data', () => {
  it('fills the flag from stored payloads, reads it (or the payload when absent), and reverts', async () => {
    const other = uniqueSchema(import.meta.filename);
    const ds = createDataSource({ url: services().databaseUrl, schema: other, poolMax: 2 });
    await ds.initialize();
    const flags = async () =>
      (
        await ds.query<{ cluster_id: string; has_assignments: boolean | null }[]>(
          `select cluster_id, has_assignments from outbox order by cluster_id`,
        )
      ).map((r) => [r.cluster_id, r.has_assignments]);
    const insertOrder = (cluster: string, slots: unknown[], withFlag: boolean) =>
      ds.query(
        `insert into outbox (message_id, topic, message_key, payload, schedule_id, schedule_version, cluster_id,
                             leader_epoch${withFlag ? ', has_assignments' : ''})
         values ($1, 't', $2, $3::json, $4, 1, $2, 0${withFlag ? ', $5' : ''})`,
        [`m-${cluster}`, cluster, JSON.stringify({ slots }), id, ...(withFlag ? [slots.length > 0] : [])],
      );
    const id = '00000000-0000-0000-0000-000000000041';
    try {
      await migrate(ds);
      const at39 = migrations.findIndex((m) => m.name.endsWith('1732380000039'));
      await revert(ds, migrations.length - at39);
      await ds.query(
        `insert into schedules (id, version, status, trigger, leader_epoch, horizon_start, horizon_end, slot_minutes,
           input_snapshot, input_hash, solver_stats, totals, baselines, savings, objective)
         values ($1, 1, 'approved', 'test', 0, now(), now() + interval '1 hour', 60, '{}', 'h', '{}', '{}', '{}', '{}', 0)`,
        [id],
      );
      await insertOrder('a', [{ start: 's', minutes: 60, assignments: [] }], false);
      await insertOrder('b', [], false);
      await migrate(ds);
      expect(await flags()).toEqual([
        ['a', true],
        ['b', false],
      ]);
      // Written without the flag (NULL): the payload says.
      await insertOrder('c', [{ start: 's', minutes: 60, assignments: [] }], false);
      await insertOrder('d', [], true);
      const latest = await new OutboxRepository(ds).latestOrdersBefore(2);
      expect(latest.sort((x, y) => x.clusterId.localeCompare(y.clusterId))).toEqual([
        { clusterId: 'a', version: 1, hadAssignments: true },
        { clusterId: 'b', version: 1, hadAssignments: false },
        { clusterId: 'c', version: 1, hadAssignments: true },
        { clusterId: 'd', version: 1, hadAssignments: false },
      ]);
      await revert(ds, migrations.length - at39);
      const columns = await ds.query<unknown[]>(
        `select 1 from information_schema.columns where table_schema = $1 and table_name = 'outbox'
           and column_name = 'has_assignments'`,
        [other],
      );
      expect(columns).toHaveLength(0);
    } finally {
      await ds.query(`drop schema if exists "${other}" cascade`);
      await ds.destroy();
    }
  });
});
