import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { DeliveryRepository, type AckRow } from '#gridshift/persistence';
import { freshSchema } from '../support/harness.js';
import { seedApprovedSchedules } from '../support/outbox-fixtures.js';

// An acknowledgement that overtakes the relay: Kafka took the order and the data center answered before the
// relay's transaction (which holds the order's outbox row and marks it sent) committed. The ack's transaction
// waits for that commit on the row lock and then stores the ack — no "not sent yet" retry.

const H0 = Date.parse('2023-03-02T00:00:00Z');

let db: DataSource;
let drop: () => Promise<void>;
let deliveries: DeliveryRepository;
let order: { id: string; schedule_id: string; schedule_version: number; message_id: string };

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  deliveries = new DeliveryRepository(db);
});
afterAll(async () => drop());
beforeEach(async () => {
  await db.query('truncate schedules, outbox, deliveries, delivery_acks cascade');
  await seedApprovedSchedules(db, { versions: 1, clusters: 1, startMs: H0 });
  order = (
    await db.query<(typeof order)[]>(
      `select id::text as id, schedule_id::text as schedule_id, schedule_version, message_id from outbox`,
    )
  )[0]!;
});

const ackOf = (): AckRow => ({
  ackMessageId: `ack:${order.message_id}`,
  scheduleId: order.schedule_id,
  version: order.schedule_version,
  clusterId: 'c00',
  orderMessageId: order.message_id,
  status: 'applied',
  at: new Date().toISOString(),
  reasons: [],
  applied: null,
});

const record = () => db.transaction((m) => deliveries.recordAcks([ackOf()], m));

describe('acks of orders the relay is still marking sent', () => {
  it('waits for the relay transaction’s commit, then settles the delivery', async () => {
    const relay = db.createQueryRunner();
    await relay.connect();
    await relay.startTransaction();
    try {
      // What the relay does: claim the pending row, (send to Kafka,) mark it sent — not committed yet.
      await relay.query(`select id from outbox where status = 'pending' order by id for update`);
      await relay.query(`update outbox set status = 'sent', sent_at = now() where id = $1`, [order.id]);
      const stored = record();
      // The ack's transaction is now waiting on the outbox row's lock.
      for (;;) {
        const waiting = await db.query<{ n: number }[]>(
          `select count(*)::int as n from pg_stat_activity
           where wait_event_type = 'Lock' and query like '%for share of o%'`,
        );
        if (waiting[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await relay.commitTransaction();
      const outcome = await stored;
      expect(outcome).toMatchObject({ unknown: [], notYetSent: [], stored: 1, advanced: 1 });
    } finally {
      if (relay.isTransactionActive) await relay.rollbackTransaction();
      await relay.release();
    }
    const rows = await db.query<{ status: string; settled: boolean }[]>(
      `select status, settled_at is not null as settled from deliveries`,
    );
    expect(rows).toEqual([{ status: 'applied', settled: true }]);
  });

  it('an order still pending that no relay holds is reported not sent yet (retried), without waiting', async () => {
    const outcome = await record();
    expect(outcome).toMatchObject({ notYetSent: [0], stored: 0 });
    expect(await db.query(`select 1 from delivery_acks`)).toEqual([]);
  });

  it('an ack of an order whose sending was rolled back is not stored', async () => {
    const relay = db.createQueryRunner();
    await relay.connect();
    await relay.startTransaction();
    await relay.query(`select id from outbox where status = 'pending' order by id for update`);
    await relay.query(`update outbox set status = 'sent', sent_at = now() where id = $1`, [order.id]);
    const stored = record();
    for (;;) {
      const waiting = await db.query<{ n: number }[]>(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%for share of o%'`,
      );
      if (waiting[0]!.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await relay.rollbackTransaction();
    await relay.release();
    expect(await stored).toMatchObject({ notYetSent: [0], stored: 0 });
  });
});
