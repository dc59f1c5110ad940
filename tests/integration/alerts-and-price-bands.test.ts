/**
 * What the console's alerts and price bands read, against real PostgreSQL: dead letters recorded once per source
 * record (a re-delivery after a restart is not a second one), counted per topic and code over a window and paged
 * newest first; and a schedule's zone prices with the forecast bands stored with it (GET /schedules/{id}/prices),
 * validated against the route's schema. The HTTP layer and its roles are covered by tests/e2e/admin-access.test.ts.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadLetterRepository,
  type DeadLetterWrite,
  DeliveryRepository,
  OutboxRepository,
} from '#gridshift/persistence';
import { ScheduleFactsCache } from '../../apps/admin-api/src/schedules/schedule-facts.cache.js';
import { ScheduleViews } from '../../apps/admin-api/src/schedules/schedule-views.js';
import { SchedulePricesSchema } from '../../apps/admin-api/src/schedules/schedules.schemas.js';
import { buildSchedule, insertSchedule } from '../../apps/admin-api/test-support/schedule-fixtures.js';
import { freshSchema } from '../support/harness.js';

let db: DataSource;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
});
afterAll(async () => {
  await drop();
});

const letter = (offset: number, over: Partial<DeadLetterWrite> = {}): DeadLetterWrite => ({
  sourceTopic: 'gridshift.prices.v1',
  sourcePartition: 0,
  sourceOffset: String(offset),
  dlqTopic: 'gridshift.prices.v1.dlq',
  code: 'MALFORMED_JSON',
  reason: 'not parseable JSON',
  key: Buffer.from('DE-LU'),
  value: Buffer.from('{"zone": "DE-LU", not json'),
  messageId: `m-${offset}`,
  ...over,
});

describe('DeadLetterRepository', () => {
  it('records each source record once, counts per topic and code, and pages newest first', async () => {
    const repo = new DeadLetterRepository(db);
    const since = new Date(Date.now() - 60_000);
    expect(
      await repo.record([
        letter(1),
        letter(2),
        letter(3, { sourceTopic: 'gridshift.cluster-load.v1', code: 'SCHEMA_VIOLATION' }),
        // A value PostgreSQL text cannot hold as is (NUL bytes) and one far beyond the excerpt length.
        letter(4, { value: Buffer.from('a\u0000b') }),
        letter(5, { value: Buffer.alloc(10_000, 'x'), key: null, messageId: null }),
      ]),
    ).toBe(5);
    // The same records again (the consumer restarted before committing): nothing new.
    expect(await repo.record([letter(1), letter(2)])).toBe(0);

    const counts = await repo.countsSince(since);
    expect(counts.map((c) => [c.sourceTopic, c.code, c.count])).toEqual([
      ['gridshift.prices.v1', 'MALFORMED_JSON', 4],
      ['gridshift.cluster-load.v1', 'SCHEMA_VIOLATION', 1],
    ]);
    expect(counts.every((c) => c.lastAt.getTime() >= since.getTime())).toBe(true);
    expect(await repo.countsSince(new Date(Date.now() + 60_000))).toEqual([]);

    const first = await repo.latest({ since, limit: 2 });
    expect(first.map((r) => r.sourceOffset)).toEqual(['5', '4']);
    expect(first[0]!.valueBytes).toBe(10_000);
    expect(first[0]!.valueExcerpt).toHaveLength(512);
    expect(first[0]!.key).toBeNull();
    expect(first[1]!.valueExcerpt).toBe('a\uFFFDb');
    const next = await repo.latest({ since, limit: 10, beforeId: first[1]!.id });
    expect(next.map((r) => r.sourceOffset)).toEqual(['3', '2', '1']);
    const filtered = await repo.latest({ since, limit: 10, code: 'SCHEMA_VIOLATION' });
    expect(filtered.map((r) => [r.sourceTopic, r.sourceOffset])).toEqual([
      ['gridshift.cluster-load.v1', '3'],
    ]);
    expect(filtered[0]).toMatchObject({
      key: 'DE-LU',
      messageId: 'm-3',
      dlqTopic: 'gridshift.prices.v1.dlq',
    });

    expect(await repo.deleteOlderThan(new Date(Date.now() + 60_000))).toBe(5);
    expect(await repo.countsSince(since)).toEqual([]);
  });
});

describe('schedule prices with forecast bands', () => {
  it('serves the stored prices per zone and slot, with p10/p50/p90 on the forecast slots only', async () => {
    const fixture = buildSchedule({
      seed: 3,
      jobs: 5,
      clusters: 4,
      slots: 6,
      horizonStart: '2024-03-02T00:00:00.000Z',
      forecastFromSlot: 4,
    });
    await insertSchedule(db, fixture);
    const views = new ScheduleViews(db, new ScheduleFactsCache(db, { SCHEDULE_CACHE_ENTRIES: 4 }));
    const prices = SchedulePricesSchema.parse(await views.prices(fixture.id));
    expect(prices.slotStarts).toEqual(fixture.slotStartsUtc);
    // Clusters c00..c03 in zones Z0..Z3 (one each).
    expect(prices.zones.map((z) => [z.zone, z.clusterIds])).toEqual([
      ['Z0', ['c00']],
      ['Z1', ['c01']],
      ['Z2', ['c02']],
      ['Z3', ['c03']],
    ]);
    for (const z of prices.zones) {
      const cluster = fixture.clusters.find((c) => c.zone === z.zone)!;
      expect(z.pricePerMwh).toEqual(cluster.pricePerMwh);
      expect(z.source).toEqual([
        'day_ahead',
        'day_ahead',
        'day_ahead',
        'day_ahead',
        'gridshift-forecast',
        'gridshift-forecast',
      ]);
      expect(z.p10.slice(0, 4)).toEqual([null, null, null, null]);
      // The fixture's band: p10 = p50 × 0.85, p90 = p50 × 1.2 (cents), p50 = the price used.
      for (const t of [4, 5]) {
        expect(z.p50[t]).toBeCloseTo(cluster.pricePerMwh[t]!, 2);
        expect(z.p10[t]).toBeCloseTo(z.p50[t]! * 0.85, 1);
        expect(z.p90[t]).toBeCloseTo(z.p50[t]! * 1.2, 1);
      }
      expect(z.forecast).toEqual({
        method: 'seasonal-naive',
        historyHours: 672,
        firstSlot: fixture.slotStartsUtc[4],
      });
    }
    await expect(views.prices('00000000-0000-0000-0000-000000000001')).rejects.toThrow(/schedule/);
  });
});

describe('unacknowledged orders, fleet-wide', () => {
  it('lists the newest order of each cluster still sent after the timeout, paged by cluster', async () => {
    const v1 = buildSchedule({
      seed: 7,
      jobs: 2,
      clusters: 2,
      slots: 2,
      horizonStart: '2024-03-03T00:00:00.000Z',
      status: 'superseded',
      version: 11,
    });
    const v2 = buildSchedule({
      seed: 8,
      jobs: 2,
      clusters: 2,
      slots: 2,
      horizonStart: '2024-03-03T00:00:00.000Z',
      status: 'published',
      version: 12,
    });
    await insertSchedule(db, v1);
    await insertSchedule(db, v2);
    const outbox = new OutboxRepository(db);
    // v11 went to ua-a and ua-b, then v12 to ua-a only: ua-a's newest order is v12, ua-b's is v11.
    const order = (s: typeof v1, clusterId: string) => ({
      messageId: `${s.id}:${clusterId}`,
      clusterId,
      scheduleId: s.id,
      scheduleVersion: s.version!,
      payload: '{}',
    });
    await outbox.enqueue('t', 0, [order(v1, 'ua-a'), order(v1, 'ua-b'), order(v2, 'ua-a')]);
    const pending = await outbox.claimPending(10);
    await outbox.markSent(pending.map((p) => p.id));
    await new Promise((resolve) => setTimeout(resolve, 20)); // sent strictly before the next statement's now()

    const deliveries = new DeliveryRepository(db);
    const first = await deliveries.unacknowledgedOrders(0, { limit: 1 });
    expect(first.map((d) => [d.clusterId, d.version])).toEqual([['ua-a', 12]]);
    const rest = await deliveries.unacknowledgedOrders(0, { limit: 10, afterClusterId: 'ua-a' });
    expect(rest.map((d) => [d.clusterId, d.version, d.status])).toEqual([['ua-b', 11, 'sent']]);
    expect((await deliveries.unacknowledged(0)).count).toBe(2);
    // Within the timeout nothing is overdue.
    expect(await deliveries.unacknowledgedOrders(3600, { limit: 10 })).toEqual([]);
    expect((await deliveries.unacknowledged(3600)).count).toBe(0);
  });
});
