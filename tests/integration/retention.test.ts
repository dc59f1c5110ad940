import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScheduleRepository } from '#gridshift/persistence';
import { Retention } from '../../apps/planner/src/retention.js';
import { freshSchema } from '../support/harness.js';
import { seedApprovedSchedules } from '../support/outbox-fixtures.js';

// The planner's retention job against real PostgreSQL: what it deletes from the outbox and schedule_input_parts,
// and everything it must keep (pending, unacknowledged or merely accepted orders, each cluster's newest order,
// rows younger than the retention, job sets a stored schedule references or a store transaction is reusing).

const NOW = new Date('2026-12-01T00:00:00Z');
const DAYS = 30; // retention
const OLD = new Date(NOW.getTime() - 40 * 86_400_000); // past the retention
const RECENT = new Date(NOW.getTime() - 10 * 86_400_000); // within it

let db: DataSource;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
});
afterAll(async () => drop());
beforeEach(async () => {
  await db.query('truncate schedules, outbox, deliveries, delivery_acks, schedule_input_parts cascade');
});

/** Marks the order of (cluster, version) sent at `sentAt` (the trigger creates its delivery) and sets that status. */
async function sent(clusterId: string, version: number, sentAt: Date, delivery: string): Promise<void> {
  await db.query(
    `update outbox set status = 'sent', sent_at = $3 where cluster_id = $1 and schedule_version = $2`,
    [clusterId, version, sentAt],
  );
  await db.query(`update deliveries set status = $3 where cluster_id = $1 and schedule_version = $2`, [
    clusterId,
    version,
    delivery,
  ]);
}

const remainingOrders = async () =>
  (
    await db.query<{ o: string }[]>(
      `select cluster_id || ':v' || schedule_version as o from outbox order by cluster_id, schedule_version`,
    )
  ).map((r) => r.o);

const prunedMetric = async (registry: Registry, table: string) =>
  (await registry.getSingleMetric('gridshift_retention_pruned_rows_total')!.get()).values.find(
    (v) => v.labels.table === table,
  )?.value;

async function storePart(label: string, createdAt: Date): Promise<string> {
  const json = JSON.stringify([{ id: label }]);
  const hash = createHash('sha256').update(json).digest('hex');
  await new ScheduleRepository(db).storeInputPart(hash, json);
  await db.query(`update schedule_input_parts set created_at = $2 where hash = $1`, [hash, createdAt]);
  return hash;
}

describe('retention of the outbox', () => {
  it('deletes only settled, old orders that a newer order of their cluster follows', async () => {
    // 3 versions × 3 clusters (c00, c01, c02): one order per cluster and version.
    await seedApprovedSchedules(db, {
      versions: 3,
      clusters: 3,
      startMs: Date.parse('2026-10-01T00:00:00Z'),
    });
    await sent('c00', 1, OLD, 'applied'); // deleted: settled, old, v2 follows
    await sent('c00', 2, OLD, 'accepted'); // kept: acknowledged but not settled (an `applied` ack may follow)
    await sent('c00', 3, OLD, 'applied'); // kept: c00's newest order
    await sent('c01', 1, OLD, 'rejected'); // deleted: settled (rejected), old, v2 follows
    await sent('c01', 2, RECENT, 'applied'); // kept: within the retention
    // c01 v3: still pending — kept
    await sent('c02', 1, OLD, 'sent'); // kept: never acknowledged (a resend may set it pending again)
    await sent('c02', 2, OLD, 'partially-applied'); // deleted: settled, old, v3 follows
    await sent('c02', 3, OLD, 'rejected'); // kept: c02's newest order

    const registry = new Registry();
    // Windows of 2 old sent orders, each after the previous window's last, until a window is empty.
    const retention = new Retention(db, registry, { retentionDays: DAYS, batchSize: 2 });
    expect(await retention.run(NOW)).toEqual({ outbox: 3, inputParts: 0 });
    expect(await remainingOrders()).toEqual(['c00:v2', 'c00:v3', 'c01:v2', 'c01:v3', 'c02:v1', 'c02:v3']);
    expect(await prunedMetric(registry, 'outbox')).toBe(3);

    // A second pass finds nothing; delivery state (deliveries) is not touched.
    expect(await retention.run(NOW)).toEqual({ outbox: 0, inputParts: 0 });
    expect((await db.query<{ n: number }[]>(`select count(*)::int as n from deliveries`))[0]!.n).toBe(8);
  });

  it('a window of orders that are all kept does not end the pass', async () => {
    await seedApprovedSchedules(db, {
      versions: 3,
      clusters: 1,
      startMs: Date.parse('2026-10-01T00:00:00Z'),
    });
    await sent('c00', 1, OLD, 'sent'); // kept (never acknowledged): the first window deletes nothing
    await sent('c00', 2, OLD, 'applied'); // deleted, in the second window
    await sent('c00', 3, OLD, 'applied'); // kept: the newest
    const retention = new Retention(db, new Registry(), { retentionDays: DAYS, batchSize: 1 });
    expect(await retention.run(NOW)).toEqual({ outbox: 1, inputParts: 0 });
    expect(await remainingOrders()).toEqual(['c00:v1', 'c00:v3']);
  });

  it('a pass ends on orders sent at sub-millisecond times (the cursor keeps microseconds)', async () => {
    await seedApprovedSchedules(db, {
      versions: 2,
      clusters: 1,
      startMs: Date.parse('2026-10-01T00:00:00Z'),
    });
    // now() carries microseconds: a cursor rounded to milliseconds would read the kept newest order again for ever.
    await db.query(`update outbox set status = 'sent', sent_at = now() - interval '40 days'`);
    await db.query(`update deliveries set status = 'applied'`);
    const retention = new Retention(db, new Registry(), { retentionDays: DAYS, batchSize: 100 });
    expect(await retention.run(new Date())).toEqual({ outbox: 1, inputParts: 0 });
    expect(await remainingOrders()).toEqual(['c00:v2']);
  }, 20_000);

  it('retentionDays 0 deletes nothing', async () => {
    await seedApprovedSchedules(db, {
      versions: 2,
      clusters: 1,
      startMs: Date.parse('2026-10-01T00:00:00Z'),
    });
    await sent('c00', 1, OLD, 'applied');
    await sent('c00', 2, OLD, 'applied');
    const retention = new Retention(db, new Registry(), { retentionDays: 0, batchSize: 100 });
    expect(retention.enabled).toBe(false);
    expect(await retention.run(NOW)).toEqual({ outbox: 0, inputParts: 0 });
    expect(await remainingOrders()).toEqual(['c00:v1', 'c00:v2']);
  });
});

describe('retention of schedule_input_parts', () => {
  it('deletes old job sets no stored schedule references; keeps referenced and recent ones', async () => {
    await seedApprovedSchedules(db, {
      versions: 1,
      clusters: 1,
      startMs: Date.parse('2026-10-01T00:00:00Z'),
    });
    const referenced = await storePart('referenced', OLD);
    await db.query(`update schedules set input_jobs_hash = $1`, [referenced]);
    const orphan = await storePart('orphan', OLD);
    const recentOrphan = await storePart('recent', RECENT);

    const registry = new Registry();
    const retention = new Retention(db, registry, { retentionDays: DAYS, batchSize: 100 });
    expect(await retention.run(NOW)).toEqual({ outbox: 0, inputParts: 1 });
    const left = (await db.query<{ hash: string }[]>(`select hash from schedule_input_parts`)).map(
      (r) => r.hash,
    );
    expect(left.sort()).toEqual([referenced, recentOrphan].sort());
    expect(left).not.toContain(orphan);
    expect(await prunedMetric(registry, 'schedule_input_parts')).toBe(1);
  });

  it('skips a job set a store transaction is reusing, which then references it', async () => {
    await seedApprovedSchedules(db, {
      versions: 1,
      clusters: 1,
      startMs: Date.parse('2026-10-01T00:00:00Z'),
    });
    const reused = await storePart('reused', OLD); // unreferenced and old: deletable but for the store below
    const store = db.createQueryRunner();
    await store.connect();
    await store.startTransaction();
    try {
      // What the store transaction does: find the part (not written again), then store a schedule referencing it.
      expect(await new ScheduleRepository(store.manager).storeInputPart(reused, '[]')).toBe(false);
      const retention = new Retention(db, new Registry(), { retentionDays: DAYS, batchSize: 100 });
      expect(await retention.run(NOW)).toEqual({ outbox: 0, inputParts: 0 }); // skipped, without waiting
      await store.query(`update schedules set input_jobs_hash = $1`, [reused]);
      await store.commitTransaction();
    } finally {
      if (store.isTransactionActive) await store.rollbackTransaction();
      await store.release();
    }
    const left = (await db.query<{ hash: string }[]>(`select hash from schedule_input_parts`)).map(
      (r) => r.hash,
    );
    expect(left).toEqual([reused]);
  });
});
