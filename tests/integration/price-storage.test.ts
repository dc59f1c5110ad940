import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { PriceRepository, toIssueBlocks, type PriceIssueBlock, type PriceRow } from '#gridshift/persistence';
import { freshSchema } from '../support/harness.js';

// Price storage on a real PostgreSQL: issue rows written with binary COPY (or merged through staging), read
// back through the `prices` view and `prices_between` with the per-slot rules of the ingest issue.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D0 = Date.parse('2023-03-02T00:00:00Z');

let db: DataSource;
let drop: () => Promise<void>;
let repo: PriceRepository;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  repo = new PriceRepository(db);
});
afterAll(async () => drop());
beforeEach(async () => {
  await db.query('truncate price_issues, price_freshness');
});

function row(hour: number, price: number, patch: Partial<PriceRow> = {}): PriceRow {
  return {
    zone: 'DE-LU',
    market: 'day_ahead',
    partnerId: 'p1',
    intervalStartUtc: new Date(D0 + hour * HOUR).toISOString(),
    intervalMinutes: 60,
    pricePerMwhBase: price,
    priceOriginal: price * 0.925,
    currencyOriginal: 'EUR',
    carbonGPerKwh: null,
    coverageMinutes: 60,
    issuedAt: '2023-03-01T11:00:00.000Z',
    messageId: 'm1',
    ...patch,
  };
}

interface Stored {
  interval_start: Date;
  price_per_mwh: number;
  price_original: number | null;
  currency_original: string;
  carbon_g_per_kwh: number | null;
  coverage_minutes: number;
  issued_at: Date;
}

const resolved = () =>
  db.query<Stored[]>(
    `select interval_start, price_per_mwh, price_original, currency_original, carbon_g_per_kwh, coverage_minutes,
            issued_at from prices order by zone, market, interval_start, partner_id`,
  );

describe('price storage (issue rows, resolved per slot)', () => {
  it('round-trips every value exactly through binary COPY, across a UTC day boundary', async () => {
    const values = [0, -0.000001, 123.456789, -500.25, 99_999.999999, 1e-6, 3000.5];
    const rows = values.map((price, i) =>
      row(20 + i, price, { carbonGPerKwh: i % 2 ? null : 100.5 + i, coverageMinutes: i === 3 ? 45 : 60 }),
    );
    expect(await repo.upsert(rows)).toBe(values.length);
    const issues = await db.query<{ block_start: Date; points: number }[]>(
      'select block_start, points from price_issues order by block_start',
    );
    expect(issues.map((i) => [i.block_start.getTime(), i.points])).toEqual([
      [D0, 4],
      [D0 + DAY, 3],
    ]);
    const stored = await resolved();
    expect(stored.map((s) => s.interval_start.getTime())).toEqual(
      rows.map((r) => Date.parse(r.intervalStartUtc)),
    );
    expect(stored.map((s) => s.price_per_mwh)).toEqual(values);
    expect(stored.map((s) => s.price_original)).toEqual(values.map((v) => v * 0.925));
    expect(stored.map((s) => s.carbon_g_per_kwh)).toEqual(rows.map((r) => r.carbonGPerKwh));
    expect(stored.map((s) => s.coverage_minutes)).toEqual(rows.map((r) => r.coverageMinutes));
    expect(new Set(stored.map((s) => s.currency_original))).toEqual(new Set(['EUR']));
  });

  it('a newer issue supersedes per slot, a late older one never wins, a duplicate changes nothing', async () => {
    await repo.upsert([row(0, 10), row(1, 11), row(2, 12)]);
    const newer = '2023-03-01T15:00:00.000Z';
    expect(await repo.upsert([row(1, 21, { issuedAt: newer })])).toBe(1);
    expect(await repo.upsert([row(2, 2, { issuedAt: '2023-03-01T09:00:00.000Z' })])).toBe(1);
    expect(await repo.upsert([row(0, 10), row(1, 11), row(2, 12)])).toBe(0); // replay
    const stored = await resolved();
    expect(stored.map((s) => s.price_per_mwh)).toEqual([10, 21, 12]);
    expect(stored[1]!.issued_at.toISOString()).toBe(newer);
    const count = await db.query<{ n: string }[]>('select count(*) n from price_issues');
    expect(Number(count[0]!.n)).toBe(3); // history kept: the original, the newer and the late issue
  });

  it('merges a second message of the same issue into its row; the first price of a slot stays', async () => {
    await repo.upsert([row(0, 10), row(1, 11)]);
    // Same issuedAt, one new slot and one conflicting slot: goes through the staging merge.
    expect(await repo.upsert([row(1, 99), row(5, 15, { carbonGPerKwh: 250, coverageMinutes: 30 })])).toBe(3);
    const issues = await db.query<
      { points: number; carbon_g_per_kwh: (number | null)[]; coverage_minutes: (number | null)[] }[]
    >('select points, carbon_g_per_kwh, coverage_minutes from price_issues');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.points).toBe(3);
    expect(issues[0]!.carbon_g_per_kwh[5]).toBe(250);
    expect(issues[0]!.coverage_minutes.slice(0, 6)).toEqual([60, 60, null, null, null, 30]);
    const stored = await resolved();
    expect(stored.map((s) => [s.price_per_mwh, s.coverage_minutes, s.carbon_g_per_kwh])).toEqual([
      [10, 60, null],
      [11, 60, null],
      [15, 30, 250],
    ]);
  });

  it('merges duplicates inside one call (one statement may touch a row once)', async () => {
    const block = (hour: number, price: number): PriceIssueBlock => {
      const pricePerMwh = new Array<number>(24).fill(NaN);
      pricePerMwh[hour] = price;
      return {
        zone: 'FR',
        market: 'intraday',
        partnerId: 'p2',
        blockStartMs: D0,
        intervalMinutes: 60,
        issuedMs: D0 - HOUR,
        currencyOriginal: 'USD',
        pricePerMwh,
        priceOriginal: pricePerMwh.slice(),
        carbonGPerKwh: null,
        coverageMinutes: null,
        points: 1,
        messageId: null,
      };
    };
    expect(await repo.upsertBlocks([block(3, 30), block(4, 40), block(3, 33)])).toBe(2);
    const stored = await resolved();
    expect(stored.map((s) => s.price_per_mwh)).toEqual([30, 40]);
  });

  it('prices_between prunes by day and agrees with the view; freshness tracks the newest slot and issue', async () => {
    const rows = Array.from({ length: 72 }, (_, h) => row(h, h));
    await repo.upsert(rows);
    await repo.upsert([row(30, 1000, { issuedAt: '2023-03-02T12:00:00.000Z' })]);
    const from = new Date(D0 + 20 * HOUR);
    const to = new Date(D0 + 40 * HOUR);
    const between = await db.query<{ interval_start: Date; price_per_mwh: number }[]>(
      `select interval_start, price_per_mwh from prices_between(array['DE-LU'], $1, $2) order by interval_start`,
      [from, to],
    );
    const view = await db.query<{ interval_start: Date; price_per_mwh: number }[]>(
      `select interval_start, price_per_mwh from prices where zone = 'DE-LU' and interval_start >= $1
       and interval_start < $2 order by interval_start`,
      [from, to],
    );
    expect(between).toHaveLength(20);
    expect(between).toEqual(view);
    expect(between.find((r) => r.interval_start.getTime() === D0 + 30 * HOUR)?.price_per_mwh).toBe(1000);
    const curve = await repo.curve('DE-LU', from, to);
    expect(curve.map((p) => p.pricePerMwh)).toEqual(between.map((r) => r.price_per_mwh));
    const fresh = await db.query<{ latest_interval_start: Date; latest_issued_at: Date }[]>(
      `select latest_interval_start, latest_issued_at from price_freshness where zone = 'DE-LU'`,
    );
    expect(fresh[0]!.latest_interval_start.getTime()).toBe(D0 + 71 * HOUR);
    expect(fresh[0]!.latest_issued_at.toISOString()).toBe('2023-03-02T12:00:00.000Z');
  });

  it('rolls back with the caller’s transaction (COPY and staging both)', async () => {
    await expect(
      db.transaction(async (tx) => {
        await repo.upsert([row(0, 1)], tx);
        await repo.upsert([row(0, 2), row(1, 2)], tx); // staging path inside the same transaction
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await resolved()).toEqual([]);
  });

  it('storeMessages refuses a message that contradicts a stored issue or an earlier one of the call; identical is a no-op', async () => {
    const message = (rows: PriceRow[]) => toIssueBlocks(rows);
    // Call 1: all new → the fast COPY, no conflict looked for.
    expect(await repo.storeMessages([message([row(0, 10), row(1, 11)])])).toEqual({
      written: 2,
      conflicts: [],
    });
    // Call 2: [identical replay, new slot of the stored issue, contradicts stored slot 1, contradicts message 1 of this call]
    const result = await repo.storeMessages([
      message([row(0, 10), row(1, 11)]),
      message([row(2, 12)]),
      message([row(1, 99)]),
      message([row(2, 13), row(3, 14)]),
    ]);
    // Slots held by the rows written (as upsertBlocks counts): the stored issue row now holds slots 0, 1 and 2.
    expect(result.written).toBe(3);
    expect(result.conflicts.map((c) => c.message)).toEqual([2, 3]);
    // 99 × 0.925 = 91.575 (the original price), stored 11 × 0.925 = 10.175
    expect(result.conflicts[0]!.detail).toContain('slot 2023-03-02T01:00:00.000Z');
    expect(result.conflicts[0]!.detail).toContain('is stored, this message has 91.575');
    expect(result.conflicts[1]!.detail).toContain('in an earlier message');
    // Carbon counts as a value too.
    const carbon = await repo.storeMessages([message([row(0, 10, { carbonGPerKwh: 300 })])]);
    expect(carbon.conflicts.map((c) => c.message)).toEqual([0]);
    expect((await resolved()).map((s) => s.price_per_mwh)).toEqual([10, 11, 12]);
  });

  it('the `prices` view and PriceRepository.curve (priceSlots) give the same hourly slots on random interval mixes', async () => {
    // Seeded: issues of two partners with 15/30/60-minute intervals at random starts, some overlapping.
    let seed = 20261207;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: PriceRow[] = [];
    for (let issue = 0; issue < 40; issue++) {
      const minutes = [15, 30, 60][Math.floor(rand() * 3)]!;
      const partnerId = rand() < 0.5 ? 'p1' : 'p2';
      const issuedAt = new Date(D0 - DAY + issue * 60_000).toISOString(); // one issue time each: no merges
      const first = Math.floor((rand() * 24 * 60) / minutes);
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
        const start = (first + k) * minutes;
        if (start >= 24 * 60) break;
        rows.push({
          ...row(0, Math.round(rand() * 20_000) / 100 - 50, { partnerId, issuedAt, messageId: `r${issue}` }),
          zone: 'RND',
          intervalStartUtc: new Date(D0 + start * 60_000).toISOString(),
          intervalMinutes: minutes,
          coverageMinutes: minutes,
          carbonGPerKwh: rand() < 0.5 ? Math.round(rand() * 500) : null,
        });
      }
    }
    await repo.upsert(rows);
    const view = await db.query<
      {
        interval_start: Date;
        partner_id: string;
        price_per_mwh: number;
        carbon_g_per_kwh: number | null;
        coverage_minutes: number;
      }[]
    >(
      `select interval_start, partner_id, price_per_mwh, carbon_g_per_kwh, coverage_minutes from prices
       where zone = 'RND' order by interval_start, partner_id`,
    );
    const curve = (await repo.curve('RND', new Date(D0), new Date(D0 + DAY))).sort(
      (a, b) =>
        a.intervalStart.getTime() - b.intervalStart.getTime() || a.partnerId.localeCompare(b.partnerId),
    );
    expect(view.length).toBeGreaterThan(10);
    expect(curve.map((p) => [p.intervalStart.getTime(), p.partnerId, p.coverageMinutes])).toEqual(
      view.map((v) => [v.interval_start.getTime(), v.partner_id, v.coverage_minutes]),
    );
    expect(curve.map((p) => p.pricePerMwh)).toEqual(
      view.map((v) => expect.closeTo(v.price_per_mwh, 9) as number),
    );
    expect(curve.map((p) => p.carbonGPerKwh)).toEqual(
      view.map((v) =>
        v.carbon_g_per_kwh === null ? null : (expect.closeTo(v.carbon_g_per_kwh, 9) as number),
      ),
    );
    expect(curve.map((p) => p.complete)).toEqual(view.map((v) => v.coverage_minutes === 60));
  });
});
