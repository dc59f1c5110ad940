import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { PriceRepository, UsageRepository, type PriceRow, type UsageRow } from '#gridshift/persistence';
import { freshSchema } from '../support/harness.js';
import { generateJobs, seedJobs } from './planner-fixtures.js';

// Realized usage storage (binary COPY for intervals with nothing stored, the staging merge for the rest and for keys
// repeated in a call) and the hourly prices the measured-savings report reads, on a real PostgreSQL.

const HOUR = 3_600_000;
const D0 = Date.parse('2023-03-02T00:00:00Z');

let db: DataSource;
let drop: () => Promise<void>;
let usage: UsageRepository;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  usage = new UsageRepository(db);
});
afterAll(async () => drop());
beforeEach(async () => {
  await db.query('truncate usage_reports, price_issues, price_freshness');
});

function use(job: string, hour: number, gpuHours: number, observedHour: number, messageId = 'm'): UsageRow {
  return {
    clusterId: 'fra-1',
    jobId: job,
    slotStart: new Date(D0 + hour * HOUR).toISOString(),
    minutes: 60,
    gpuHours,
    energyKwh: gpuHours * 0.8,
    observedAt: new Date(D0 + observedHour * HOUR).toISOString(),
    messageId,
  };
}

const stored = () =>
  db.query<{ job_id: string; gpu_hours: number; energy_kwh: number; message_id: string }[]>(
    `select job_id, gpu_hours, energy_kwh, message_id from usage_reports order by job_id, slot_start`,
  );

describe('usage storage', () => {
  it('stores new rows, a replay changes nothing, a later report wins and an older or equal one does not', async () => {
    expect(await usage.store([use('a', 0, 4, 1, 'm1'), use('b', 0, 2, 1, 'm1')])).toBe(2);
    // Replay (same rows): their interval holds stored rows, so they are staged; the merge finds nothing newer.
    expect(await usage.store([use('a', 0, 4, 1, 'm1'), use('b', 0, 2, 1, 'm1')])).toBe(0);
    // a: a later report (observed at 02:00) wins; b: an older one (00:30 → hour 0) and an equal one do not.
    const older = { ...use('b', 0, 9, 1, 'old'), observedAt: new Date(D0 + HOUR / 2).toISOString() };
    expect(await usage.store([use('a', 0, 5, 2, 'm2'), older, use('b', 0, 7, 1, 'equal')])).toBe(1);
    expect(await stored()).toEqual([
      { job_id: 'a', gpu_hours: 5, energy_kwh: 4, message_id: 'm2' },
      { job_id: 'b', gpu_hours: 2, energy_kwh: 1.6, message_id: 'm1' },
    ]);
  });

  it('of several reports of one key in a call, the latest is stored (the first of equal ones)', async () => {
    expect(
      await usage.store([use('a', 0, 1, 2, 'x'), use('a', 0, 3, 3, 'latest'), use('a', 0, 2, 1, 'y')]),
    ).toBe(1);
    expect(await usage.store([use('b', 0, 1, 2, 'first'), use('b', 0, 3, 2, 'second')])).toBe(1);
    expect((await stored()).map((r) => [r.job_id, r.gpu_hours, r.message_id])).toEqual([
      ['a', 3, 'latest'],
      ['b', 1, 'first'],
    ]);
  });

  it('a call mixing new intervals with stored ones writes every new or later row once', async () => {
    expect(await usage.store([use('a', 0, 4, 1, 'm1'), use('b', 0, 2, 1, 'm1')])).toBe(2);
    // Hour 1 is new (straight COPY); hour 0 holds stored rows (staged): a's replay changes nothing, b's later
    // report wins, c is a new job in that stored hour. 1 + 1 + 1 rows written.
    expect(
      await usage.store([
        use('a', 1, 6, 2, 'm2'),
        use('a', 0, 4, 1, 'm1'),
        use('b', 0, 3, 2, 'm2'),
        use('c', 0, 1, 2, 'm2'),
      ]),
    ).toBe(3);
    expect((await stored()).map((r) => [r.job_id, r.gpu_hours, r.message_id])).toEqual([
      ['a', 4, 'm1'],
      ['a', 6, 'm2'],
      ['b', 3, 'm2'],
      ['c', 1, 'm2'],
    ]);
  });

  it('stores rows of one call atomically inside the caller’s transaction', async () => {
    await expect(
      db.transaction(async (tx) => {
        await usage.store([use('a', 0, 1, 1)], tx);
        throw new Error('caller fails');
      }),
    ).rejects.toThrow('caller fails');
    expect(await stored()).toEqual([]);
  });
});

describe('realized usage as columns (what the measured-savings report reads)', () => {
  it('reads a range in key order (interval, cluster, job), ids numbered by first appearance, doubles exact', async () => {
    const at = (row: UsageRow, clusterId: string, gpuHours: number): UsageRow => ({
      ...row,
      clusterId,
      gpuHours,
      energyKwh: gpuHours * 0.7,
    });
    await usage.store([
      at(use('b', 1, 0, 2), 'par-1', 2),
      at(use('a', 1, 0, 2), 'zürich-1', 1 / 3),
      at(use('c', 0, 0, 1), 'par-1', 0.1 + 0.2),
      at(use('a', 0, 0, 1), 'par-1', 4),
      at(use('a', 2, 0, 3), 'zürich-1', 9), // at the range's end: left out
      at(use('z', -1, 0, 0), 'fra-1', 9), // before it: left out
    ]);
    const columns = await usage.realized(new Date(D0), new Date(D0 + 2 * HOUR));
    // Rows: (00:00 par-1 a), (00:00 par-1 c), (01:00 par-1 b), (01:00 zürich-1 a).
    expect(columns.clusterIds).toEqual(['par-1', 'zürich-1']); // ids in UTF-8, decoded as such
    expect(columns.jobIds).toEqual(['a', 'c', 'b']);
    expect([...columns.clusterIndex]).toEqual([0, 0, 0, 1]);
    expect([...columns.jobIndex]).toEqual([0, 1, 2, 0]);
    expect([...columns.slotStartMs]).toEqual([D0, D0, D0 + HOUR, D0 + HOUR]);
    expect([...columns.minutes]).toEqual([60, 60, 60, 60]);
    // Doubles come back bit for bit (1/3 and 0.1 + 0.2 have no short decimal form).
    expect([...columns.gpuHours]).toEqual([4, 0.1 + 0.2, 2, 1 / 3]);
    expect([...columns.energyKwh]).toEqual([4 * 0.7, (0.1 + 0.2) * 0.7, 2 * 0.7, (1 / 3) * 0.7]);
  });

  it('an empty range gives empty columns', async () => {
    const columns = await usage.realized(new Date(D0), new Date(D0 + HOUR));
    expect(columns.clusterIds).toEqual([]);
    expect(columns.slotStartMs.length).toBe(0);
  });
});

describe('the month read when the table does not follow the interval order', () => {
  // 200,000 rows of other intervals stored in random order, then 36,000 of the range (15 %): PostgreSQL's own
  // choice for the range in key order is then a scan of the whole table and a sort (in the bench, a parallel scan
  // with an on-disk sort); the report's read must stay the primary key's index scan of the range.
  const FROM = D0 + 1000 * HOUR;
  const TO = FROM + 240 * HOUR;
  const sql = `select cluster_id, job_id, slot_start, minutes, gpu_hours, energy_kwh from usage_reports
               where slot_start >= $1 and slot_start < $2 order by slot_start, cluster_id, job_id`;
  beforeEach(async () => {
    await db.query(
      `insert into usage_reports
       select 'c-' || (i % 20), 'job-' || (i / 20 % 50), $1::timestamptz + (i / 1000) * interval '1 hour',
              60, 1, 0.8, now(), null
       from generate_series(0, 199999) i order by random()`,
      [new Date(D0).toISOString()],
    );
    await db.query(
      `insert into usage_reports
       select 'c-' || (i % 20), 'job-' || (i / 20 % 150), $1::timestamptz + (i / 150) * interval '1 hour',
              60, 2, 1.6, now(), null
       from generate_series(0, 35999) i order by i / 150, i % 20, i / 20 % 150`,
      [new Date(FROM).toISOString()],
    );
    await db.query('analyze usage_reports');
  });

  it('stays the index scan of the range (no sort, no parallel workers) and returns it in key order', async () => {
    const plain = (
      await db.query<{ 'QUERY PLAN': string }[]>(`explain ${sql}`, [new Date(FROM), new Date(TO)])
    )
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plain, 'the fixture makes PostgreSQL itself choose a sort').toMatch(/Sort/);
    const plan = (await usage.explainRealized(new Date(FROM), new Date(TO))).join('\n');
    expect(plan).toMatch(/^Index Scan using usage_reports_pkey/);
    expect(plan).not.toMatch(/Sort|Gather|Seq Scan/);
    const columns = await usage.realized(new Date(FROM), new Date(TO));
    expect(columns.slotStartMs.length).toBe(36_000);
    const key = (i: number) =>
      [
        columns.slotStartMs[i]!,
        columns.clusterIds[columns.clusterIndex[i]!]!,
        columns.jobIds[columns.jobIndex[i]!]!,
      ] as const;
    for (let i = 1; i < 36_000; i++) {
      const [a, b] = [key(i - 1), key(i)];
      expect(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))).toBe(true);
    }
  });

  it('leaves the planner settings as they were: in the caller’s transaction and on a connection outside one', async () => {
    await db.transaction(async (tx) => {
      await tx.query(`set local max_parallel_workers_per_gather = 1`);
      await new UsageRepository(tx).realized(new Date(FROM), new Date(FROM + HOUR));
      const rows = await tx.query<{ sort: string; workers: string }[]>(
        `select current_setting('enable_sort') as sort, current_setting('max_parallel_workers_per_gather') as workers`,
      );
      expect(rows[0]).toEqual({ sort: 'on', workers: '1' });
    });
    const runner = db.createQueryRunner();
    try {
      await runner.connect();
      const columns = await new UsageRepository(runner.manager).realized(
        new Date(FROM),
        new Date(FROM + HOUR),
      );
      expect(columns.slotStartMs.length).toBe(150);
      expect(runner.isTransactionActive).toBe(false);
      const rows = (await runner.query(`select current_setting('enable_sort') as sort`)) as {
        sort: string;
      }[];
      expect(rows[0]!.sort).toBe('on');
    } finally {
      await runner.release();
    }
  });
});

describe('the jobs the measured-savings report reads', () => {
  it('reads the jobs of the usage by id (unknown ids left out), ordered by id', async () => {
    const seeds = generateJobs(3, D0);
    await seedJobs(db, seeds);
    const jobs = await usage.jobsForMeasurement([seeds[2]!.id, 'no-such-job', seeds[0]!.id]);
    expect(jobs.map((j) => [j.id, j.kind, j.maxGpus])).toEqual(
      [seeds[0]!, seeds[2]!].map((j) => [j.id, j.kind, j.maxGpus]),
    );
    expect(await usage.jobsForMeasurement([])).toEqual([]);
    await db.query(`delete from jobs where id = any($1)`, [seeds.map((j) => j.id)]);
  });
});

describe('prices paid (the hourly prices the measured-savings report reads)', () => {
  function price(
    zone: string,
    market: string,
    partnerId: string,
    startMs: number,
    minutes: number,
    p: number,
    issuedHour: number,
  ): PriceRow {
    return {
      zone,
      market,
      partnerId,
      intervalStartUtc: new Date(startMs).toISOString(),
      intervalMinutes: minutes,
      pricePerMwhBase: p,
      priceOriginal: null,
      currencyOriginal: 'USD',
      carbonGPerKwh: null,
      coverageMinutes: minutes,
      issuedAt: new Date(D0 - 24 * HOUR + issuedHour * HOUR).toISOString(),
      messageId: null,
    };
  }

  it('equals the prices_between view resolved across partners (newest issue, then the lower partner id)', async () => {
    const rows: PriceRow[] = [];
    for (let h = 0; h < 6; h++) {
      rows.push(price('DE-LU', 'day_ahead', 'p1', D0 + h * HOUR, 60, 80 + h, 1));
      rows.push(price('DE-LU', 'day_ahead', 'p2', D0 + h * HOUR, 60, 70 + h, h % 2 === 0 ? 1 : 2));
      rows.push(price('FR', 'day_ahead', 'p1', D0 + h * HOUR, 60, 50 + h, 1));
      rows.push(price('FR', 'forecast', 'p1', D0 + h * HOUR, 60, 99, 3));
    }
    // Quarter-hours: intraday in DE-LU hour 2, a later 15-minute correction of FR hour 3's day-ahead price,
    // and a real-time quarter-hour covering only part of FR hour 4.
    for (let q = 0; q < 4; q++)
      rows.push(price('DE-LU', 'intraday', 'p1', D0 + 2 * HOUR + q * 900_000, 15, 60 + q, 4));
    rows.push(price('FR', 'day_ahead', 'p1', D0 + 3 * HOUR + 900_000, 15, 200, 5));
    rows.push(price('FR', 'real_time', 'p3', D0 + 4 * HOUR, 15, 30, 6));
    await new PriceRepository(db).upsert(rows);
    const from = new Date(D0 + HOUR);
    const to = new Date(D0 + 5 * HOUR);
    const viaView = await db.query<{ zone: string; market: string; ms: number; price_per_mwh: number }[]>(
      `select distinct on (zone, market, interval_start)
              zone, market, (extract(epoch from interval_start) * 1000)::float8 as ms, price_per_mwh
       from prices_between($1, $2, $3) where market <> 'forecast'
       order by zone, market, interval_start, issued_at desc, partner_id`,
      [['DE-LU', 'FR'], from, to],
    );
    const paid = await usage.pricesPaid(['DE-LU', 'FR'], from, to);
    expect(paid).toHaveLength(viaView.length);
    expect(paid).toEqual(
      viaView.map((v) => ({
        zone: v.zone,
        market: v.market,
        intervalStartMs: v.ms,
        minutes: 60,
        pricePerMwh: expect.closeTo(v.price_per_mwh, 9) as number,
      })),
    );
    // Spot checks: DE-LU day-ahead hour 2: p1 and p2 issued alike → p1 (82); hour 3: p2 issued later (73).
    const at = (zone: string, market: string, hour: number) =>
      paid.find((p) => p.zone === zone && p.market === market && p.intervalStartMs === D0 + hour * HOUR)
        ?.pricePerMwh;
    expect(at('DE-LU', 'day_ahead', 2)).toBe(82);
    expect(at('DE-LU', 'day_ahead', 3)).toBe(73);
    // FR hour 3: 45 minutes at 53 and the corrected quarter at 200 → (45 × 53 + 15 × 200) / 60 = 89.75.
    expect(at('FR', 'day_ahead', 3)).toBeCloseTo(89.75, 10);
    expect(at('FR', 'real_time', 4)).toBe(30);
    expect(paid.some((p) => p.market === 'forecast')).toBe(false);
  });
});
