// Every SQL statement about prices in one repository (issue blocks, interval reads, curves, history, freshness,
// day-ahead issues): the write path (binary COPY of issue blocks) and the read paths share the block layout.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, EntityManager } from 'typeorm';
import { priceSlots, slotGridCovering, type PriceInterval } from '#gridshift/contracts';
import { CopyWriter } from './copy-binary.js';

/** One normalised price interval ready to store, as the partner sent it (base currency per MWh, UTC start). */
export interface PriceRow {
  zone: string;
  market: string;
  partnerId: string;
  intervalStartUtc: string;
  intervalMinutes: number;
  pricePerMwhBase: number;
  priceOriginal: number | null;
  currencyOriginal: string;
  carbonGPerKwh: number | null;
  coverageMinutes: number;
  issuedAt: string;
  messageId: string | null;
}

export interface PriceCurvePoint {
  intervalStart: Date;
  market: string;
  partnerId: string;
  pricePerMwh: number;
  carbonGPerKwh: number | null;
  /** Newest issue the slot's price is made of. */
  issuedAt: Date;
  coverageMinutes: number;
  /** The slot is fully covered (only such a slot counts as priced). */
  complete: boolean;
}

/** One zone's price in one market for one UTC hour, as known at a given time (`PriceRepository.hourlyHistory`). */
export interface HourlyPricePoint {
  zone: string;
  market: string;
  hourStart: Date;
  /** The hour's price by `priceSlots` (fully covered hours only), base currency per MWh. */
  pricePerMwh: number;
}

const DAY_MS = 86_400_000;

/**
 * One issue of one UTC day of one (zone, market, partner) series at one interval length: a `price_issues`
 * row. Arrays are indexed by interval of the day (0 = the interval at 00:00 UTC) and hold NaN where there is
 * no value (stored as NULL).
 */
export interface PriceIssueBlock {
  zone: string;
  market: string;
  partnerId: string;
  blockStartMs: number;
  intervalMinutes: number;
  issuedMs: number;
  /** Currency the partner quoted this issue in (`priceOriginal` is in it). */
  currencyOriginal: string;
  /** NaN = the issue has no price for the slot. */
  pricePerMwh: number[];
  priceOriginal: number[];
  /** null when the issue carries no carbon intensity at all. */
  carbonGPerKwh: number[] | null;
  /** Minutes covered per slot (0 where no price); null when every priced slot is fully covered. */
  coverageMinutes: number[] | null;
  points: number;
  messageId: string | null;
}

type IssueKeyParts = Pick<
  PriceIssueBlock,
  'zone' | 'market' | 'partnerId' | 'blockStartMs' | 'intervalMinutes' | 'issuedMs' | 'currencyOriginal'
>;

const ISSUE_KEY = (b: IssueKeyParts) =>
  `${b.zone}\u0000${b.market}\u0000${b.partnerId}\u0000${b.blockStartMs}\u0000${b.intervalMinutes}\u0000${b.issuedMs}\u0000${b.currencyOriginal}`;

const empty = (n: number): number[] => new Array<number>(n).fill(NaN);

/** Prices the empty slot `i` of `block` (NaN original/carbon = none); keeps coverage per slot once one is partial. */
function fillSlot(
  block: PriceIssueBlock,
  i: number,
  price: number,
  original: number,
  carbon: number,
  coverage: number,
): void {
  const n = block.pricePerMwh.length;
  block.pricePerMwh[i] = price;
  block.priceOriginal[i] = original;
  if (!Number.isNaN(carbon)) (block.carbonGPerKwh ??= empty(n))[i] = carbon;
  if (coverage !== block.intervalMinutes && block.coverageMinutes === null) {
    block.coverageMinutes = new Array<number>(n).fill(0);
    block.pricePerMwh.forEach((p, k) => {
      if (!Number.isNaN(p) && k !== i) block.coverageMinutes![k] = block.intervalMinutes;
    });
  }
  if (block.coverageMinutes !== null) block.coverageMinutes[i] = coverage;
  block.points += 1;
}

/**
 * Groups slot rows into day blocks per (zone, market, partner, UTC day, slot length, issuedAt, currency). Two
 * rows for the same slot of the same issue keep the first one seen, so a replayed duplicate changes nothing.
 */
export function toIssueBlocks(rows: readonly PriceRow[]): PriceIssueBlock[] {
  const blocks = new Map<string, PriceIssueBlock>();
  for (const row of rows) {
    const startMs = Date.parse(row.intervalStartUtc);
    const issuedMs = Date.parse(row.issuedAt);
    const slotMs = row.intervalMinutes * 60_000;
    if (
      !Number.isFinite(startMs) ||
      !Number.isFinite(issuedMs) ||
      startMs % slotMs !== 0 ||
      DAY_MS % slotMs !== 0
    )
      throw new RangeError(
        `price row ${row.zone}/${row.market}/${row.intervalStartUtc} is not on the ${row.intervalMinutes}-minute grid`,
      );
    const parts: IssueKeyParts = {
      zone: row.zone,
      market: row.market,
      partnerId: row.partnerId,
      blockStartMs: Math.floor(startMs / DAY_MS) * DAY_MS,
      intervalMinutes: row.intervalMinutes,
      issuedMs,
      currencyOriginal: row.currencyOriginal,
    };
    const key = ISSUE_KEY(parts);
    let block = blocks.get(key);
    if (block === undefined) {
      const n = DAY_MS / slotMs;
      block = {
        ...parts,
        pricePerMwh: empty(n),
        priceOriginal: empty(n),
        carbonGPerKwh: null,
        coverageMinutes: null,
        points: 0,
        messageId: row.messageId,
      };
      blocks.set(key, block);
    }
    const i = (startMs - block.blockStartMs) / slotMs;
    if (!Number.isNaN(block.pricePerMwh[i])) continue;
    fillSlot(
      block,
      i,
      row.pricePerMwhBase,
      row.priceOriginal ?? NaN,
      row.carbonGPerKwh ?? NaN,
      row.coverageMinutes,
    );
  }
  return [...blocks.values()];
}

/**
 * Merges blocks of the same issue row into one — a statement may touch a row once. The first price of a slot
 * stays, so a duplicate changes nothing. Inputs are not modified.
 */
export function mergeIssueBlocks(blocks: readonly PriceIssueBlock[]): PriceIssueBlock[] {
  const byKey = new Map<string, PriceIssueBlock>();
  for (const block of blocks) {
    const key = ISSUE_KEY(block);
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, block);
      continue;
    }
    const merged: PriceIssueBlock = {
      ...seen,
      pricePerMwh: seen.pricePerMwh.slice(),
      priceOriginal: seen.priceOriginal.slice(),
      carbonGPerKwh: seen.carbonGPerKwh && seen.carbonGPerKwh.slice(),
      coverageMinutes: seen.coverageMinutes && seen.coverageMinutes.slice(),
    };
    for (let i = 0; i < merged.pricePerMwh.length; i++) {
      if (!Number.isNaN(merged.pricePerMwh[i]) || Number.isNaN(block.pricePerMwh[i])) continue;
      fillSlot(
        merged,
        i,
        block.pricePerMwh[i]!,
        block.priceOriginal[i]!,
        block.carbonGPerKwh?.[i] ?? NaN,
        block.coverageMinutes?.[i] ?? merged.intervalMinutes,
      );
    }
    byKey.set(key, merged);
  }
  return [...byKey.values()];
}

/** The binary COPY stream of issue rows, columns in ISSUE_COLUMNS order. */
function encodeIssueRows(blocks: readonly PriceIssueBlock[]): Buffer {
  const writer = new CopyWriter(blocks.length * 1024 + 64);
  for (const b of blocks) {
    writer
      .row(13)
      .text(b.zone)
      .text(b.market)
      .timestamptz(b.blockStartMs)
      .text(b.partnerId)
      .int4(b.intervalMinutes)
      .timestamptz(b.issuedMs)
      .text(b.currencyOriginal)
      .float8Array(b.pricePerMwh)
      .float8Array(b.priceOriginal)
      .float8Array(b.carbonGPerKwh)
      .int4Array(b.coverageMinutes, 0)
      .int4(b.points)
      .text(b.messageId);
  }
  return writer.finish();
}

const UNIQUE_VIOLATION = '23505';

const ISSUE_COLUMNS =
  'zone, market, block_start, partner_id, interval_minutes, issued_at, currency_original, price_per_mwh, ' +
  'price_original, carbon_g_per_kwh, coverage_minutes, points, message_id';

/**
 * Price storage: each message's intervals are written as sent, as issue rows (one per UTC day and interval
 * length it touches). Reads return the newest issue per interval (`intervalsBetween`) and slots come from
 * `priceSlots` (contracts), so a newer `issuedAt` supersedes only the minutes it covers, a late older one never
 * wins, and a duplicate is a no-op. Rows are streamed with binary COPY; when some are already stored
 * (a replay, or a second message of the same issue) they go through a staging table and one insert that
 * merges them into the stored row (the first price of a slot stays) or skips them.
 */
export class PriceRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Stores slot rows (grouped into issue rows); returns the slots held by the rows written: 0 for a replay. */
  async upsert(rows: PriceRow[], manager: DataSource | EntityManager = this.db): Promise<number> {
    return this.upsertBlocks(toIssueBlocks(rows), manager);
  }

  /** Stores issue rows in one transaction (the caller's, or a new one); returns the slots written: 0 for a replay. */
  async upsertBlocks(
    blocks: readonly PriceIssueBlock[],
    manager: DataSource | EntityManager = this.db,
  ): Promise<number> {
    return (await this.store([blocks], manager, false)).written;
  }

  /**
   * Stores the issue rows of several messages (in message order) in one transaction, like upsertBlocks, but
   * refuses a message that contradicts a stored issue or an earlier message of the call: a slot of the same issue
   * row (zone, UTC day, market, partner, slot length, issuedAt, currency) with a different price, carbon or
   * coverage. Nothing of a refused message is stored; an identical re-send is still a no-op. Conflicts are only
   * looked for when the fast COPY meets a stored row, so new issues cost nothing extra.
   */
  async storeMessages(
    messages: readonly (readonly PriceIssueBlock[])[],
    manager: DataSource | EntityManager = this.db,
  ): Promise<{ written: number; conflicts: IssueConflict[] }> {
    return this.store(messages, manager, true);
  }

  private async store(
    messages: readonly (readonly PriceIssueBlock[])[],
    manager: DataSource | EntityManager,
    refuseConflicts: boolean,
  ): Promise<{ written: number; conflicts: IssueConflict[] }> {
    const blocks = messages.flat();
    if (blocks.length === 0) return { written: 0, conflicts: [] };
    const runner = 'queryRunner' in manager ? manager.queryRunner : undefined;
    if (runner === undefined || !runner.isTransactionActive) {
      const source = 'queryRunner' in manager ? manager.connection : manager;
      return source.transaction((tx) => this.store(messages, tx, refuseConflicts));
    }
    const client = (await runner.connect()) as pg.PoolClient;
    // The common case — new issues, each once — streams straight into the table. A row already stored, or
    // twice in this call, makes the COPY fail on the primary key; then conflicts are looked for (if asked), the
    // rows are merged per issue and go through the staging table and the merging insert.
    await client.query('savepoint price_issues_copy');
    let written: number;
    let conflicts: IssueConflict[] = [];
    let stored = blocks;
    try {
      await copyInto(client, 'price_issues', encodeIssueRows(blocks));
      await client.query('release savepoint price_issues_copy');
      written = blocks.reduce((sum, b) => sum + b.points, 0);
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      await client.query('rollback to savepoint price_issues_copy');
      if (refuseConflicts) {
        conflicts = await findConflicts(client, messages);
        const refused = new Set(conflicts.map((c) => c.message));
        stored = messages.filter((_, i) => !refused.has(i)).flat();
      }
      written =
        stored.length === 0
          ? 0
          : await mergeThroughStaging(client, encodeIssueRows(mergeIssueBlocks(stored)));
    }
    if (stored.length > 0) await this.refreshFreshness(stored, manager);
    return { written, conflicts };
  }

  private async refreshFreshness(
    blocks: readonly PriceIssueBlock[],
    manager: DataSource | EntityManager,
  ): Promise<void> {
    type Latest = { zone: string; market: string; startMs: number; issuedMs: number };
    const latest = new Map<string, Latest>(); // zone\0market → newest slot and issue
    let current: Latest | undefined; // blocks come grouped by message (one zone and market), so usually the last
    for (const b of blocks) {
      if (current?.zone !== b.zone || current.market !== b.market) {
        const key = `${b.zone}\u0000${b.market}`;
        current = latest.get(key);
        if (current === undefined) {
          current = { zone: b.zone, market: b.market, startMs: -Infinity, issuedMs: -Infinity };
          latest.set(key, current);
        }
      }
      if (b.issuedMs > current.issuedMs) current.issuedMs = b.issuedMs;
      const slotMs = b.intervalMinutes * 60_000;
      if (b.blockStartMs + (b.pricePerMwh.length - 1) * slotMs <= current.startMs) continue;
      let last = b.pricePerMwh.length - 1;
      while (last > 0 && Number.isNaN(b.pricePerMwh[last])) last--;
      current.startMs = Math.max(current.startMs, b.blockStartMs + last * slotMs);
    }
    if (latest.size === 0) return;
    const items = [...latest.values()].sort((a, b) => (a.zone + a.market).localeCompare(b.zone + b.market));
    await manager.query(
      `insert into price_freshness (zone, market, latest_interval_start, latest_issued_at, updated_at)
       select z, m, s, i, now() from unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) as t(z, m, s, i)
       on conflict (zone, market) do update set
         latest_interval_start = greatest(price_freshness.latest_interval_start, excluded.latest_interval_start),
         latest_issued_at = greatest(price_freshness.latest_issued_at, excluded.latest_issued_at),
         updated_at = now()`,
      [
        items.map((i) => i.zone),
        items.map((i) => i.market),
        items.map((i) => new Date(i.startMs).toISOString()),
        items.map((i) => new Date(i.issuedMs).toISOString()),
      ],
    );
  }

  /**
   * The newest issue of every stored interval of `zones` that overlaps [from, to) (all markets and partners;
   * with `knownAt`, only issues with issuedAt ≤ knownAt), ordered by zone, market, partner, start. Overlaps
   * between intervals of different lengths are left to `priceSlots`.
   */
  async intervalsBetween(
    zones: readonly string[],
    from: Date,
    to: Date,
    knownAt?: Date,
  ): Promise<PriceIntervalRow[]> {
    if (zones.length === 0 || to <= from) return [];
    const rows = await this.db.query<IntervalRowDb[]>(
      `select distinct on (i.zone, i.market, i.partner_id, t.interval_start, i.interval_minutes)
              i.zone, i.market, i.partner_id, t.interval_start, i.interval_minutes,
              i.price_per_mwh[s.n] as price_per_mwh, i.carbon_g_per_kwh[s.n] as carbon_g_per_kwh,
              i.coverage_minutes[s.n] as coverage_minutes, i.issued_at
       from price_issues i
       cross join lateral generate_series(1, cardinality(i.price_per_mwh)) as s(n)
       cross join lateral (select i.block_start + (s.n - 1) * make_interval(mins => i.interval_minutes)
                           as interval_start) t
       where i.zone = any($1::text[]) and i.block_start > $2::timestamptz - interval '1 day'
         and i.block_start < $3 and ($4::timestamptz is null or i.issued_at <= $4)
         and i.price_per_mwh[s.n] is not null
         and t.interval_start < $3 and t.interval_start + make_interval(mins => i.interval_minutes) > $2
       order by i.zone, i.market, i.partner_id, t.interval_start, i.interval_minutes,
                i.issued_at desc, i.ingested_at, i.currency_original`,
      [zones, from, to, knownAt ?? null],
    );
    return rows.map(toIntervalRow);
  }

  /**
   * Per zone, the newest issue of the latest stored interval starting before `before` (any market or
   * partner): the price a planner carries forward when nothing newer is known. Zones without one are left out.
   */
  async lastIntervalsBefore(zones: readonly string[], before: Date): Promise<PriceIntervalRow[]> {
    if (zones.length === 0) return [];
    const rows = await this.db.query<IntervalRowDb[]>(
      `select z.zone, p.market, p.partner_id, p.interval_start, p.interval_minutes, p.price_per_mwh,
              p.carbon_g_per_kwh, p.coverage_minutes, p.issued_at
       from unnest($1::text[]) as z(zone)
       cross join lateral (
         select i.market, i.partner_id,
                i.block_start + (s.n - 1) * make_interval(mins => i.interval_minutes) as interval_start,
                i.interval_minutes, i.price_per_mwh[s.n] as price_per_mwh, i.carbon_g_per_kwh[s.n] as carbon_g_per_kwh,
                i.coverage_minutes[s.n] as coverage_minutes, i.issued_at
         from price_issues i cross join lateral generate_series(1, cardinality(i.price_per_mwh)) as s(n)
         where i.zone = z.zone and i.block_start < $2 and i.price_per_mwh[s.n] is not null
           and i.block_start + (s.n - 1) * make_interval(mins => i.interval_minutes) < $2
         -- newest day first (the primary key's order), so only the last days' issues are expanded
         order by i.block_start desc, interval_start desc, i.issued_at desc limit 1) p`,
      [zones, before],
    );
    return rows.map(toIntervalRow);
  }

  /**
   * Slot prices of `zone` per market and partner for the slots starting in [from, to) (`priceSlots`, slots of
   * `slotMinutes`, partly covered slots included with their coverage), ordered by slot, market, newest issue.
   */
  async curve(zone: string, from: Date, to: Date, slotMinutes = 60): Promise<PriceCurvePoint[]> {
    const grid = slotGridCovering(from.getTime(), to.getTime(), slotMinutes);
    const gridEnd = new Date(grid.startMs + grid.count * slotMinutes * 60_000);
    const intervals = await this.intervalsBetween([zone], new Date(grid.startMs), gridEnd);
    const points: PriceCurvePoint[] = [];
    for (const [key, series] of groupBy(intervals, (r) => `${r.market}\u0000${r.partnerId}`)) {
      const [market, partnerId] = key.split('\u0000') as [string, string];
      for (const slot of priceSlots(series.map(toPriceInterval), grid)) {
        if (slot === null || slot.startMs < from.getTime() || slot.startMs >= to.getTime()) continue;
        points.push({
          intervalStart: new Date(slot.startMs),
          market,
          partnerId,
          pricePerMwh: slot.pricePerMwh,
          carbonGPerKwh: slot.carbonGPerKwh,
          issuedAt: new Date(slot.newestIssuedMs),
          coverageMinutes: slot.coverageMinutes,
          complete: slot.complete,
        });
      }
    }
    return points.sort(
      (a, b) =>
        a.intervalStart.getTime() - b.intervalStart.getTime() ||
        (a.market < b.market ? -1 : a.market > b.market ? 1 : 0) ||
        b.issuedAt.getTime() - a.issuedAt.getTime(),
    );
  }

  /**
   * Hourly prices per zone and market for the `hours` hours before each zone's `beforeMs` (exclusive), from
   * the issues stored with `issued_at <= knownAt` only, resolved across partners by `priceSlots` (a partner's
   * tie goes to the lowest partner id); only fully covered hours. Nothing at or after `beforeMs` is read, and
   * nothing issued after `knownAt` — what a planner at `knownAt` could have seen. Ordered by zone, market, hour.
   */
  async hourlyHistory(
    cutoffs: readonly { zone: string; beforeMs: number }[],
    hours: number,
    knownAt: Date,
  ): Promise<HourlyPricePoint[]> {
    if (cutoffs.length === 0) return [];
    const windows = cutoffs.map((cut) => {
      const endMs = Math.floor(cut.beforeMs / HOUR_MS) * HOUR_MS;
      return { ...cut, grid: { startMs: endMs - hours * HOUR_MS, slotMinutes: 60, count: hours } };
    });
    // One read for every zone (the union of their windows), then each zone's own window.
    const intervals = await this.intervalsBetween(
      windows.map((w) => w.zone),
      new Date(Math.min(...windows.map((w) => w.grid.startMs))),
      new Date(Math.max(...windows.map((w) => w.beforeMs))),
      knownAt,
    );
    const byZone = groupBy(intervals, (r) => r.zone);
    const points: HourlyPricePoint[] = [];
    for (const w of windows.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0))) {
      const byMarket = [...groupBy(byZone.get(w.zone) ?? [], (r) => r.market)].sort(([a], [b]) =>
        a < b ? -1 : 1,
      );
      for (const [market, series] of byMarket) {
        // Nothing at or after beforeMs counts: an interval starting there or later is left out.
        const known = series.filter((r) => r.intervalStart.getTime() < w.beforeMs).map(toPriceInterval);
        for (const slot of priceSlots(known, w.grid)) {
          if (slot === null || !slot.complete) continue;
          points.push({
            zone: w.zone,
            market,
            hourStart: new Date(slot.startMs),
            pricePerMwh: slot.pricePerMwh,
          });
        }
      }
    }
    return points;
  }

  /**
   * Freshness per zone and market (`price_freshness`), with the length of the latest stored interval (null
   * when unknown); one zone or all, ordered by zone and market.
   */
  async freshness(zone?: string): Promise<PriceFreshnessRow[]> {
    const rows = await this.db.query<
      {
        zone: string;
        market: string;
        latest_interval_start: Date;
        latest_issued_at: Date;
        interval_minutes: number | null;
      }[]
    >(
      `select f.zone, f.market, f.latest_interval_start, f.latest_issued_at,
              (select max(i.interval_minutes) from price_issues i
               cross join lateral (select extract(epoch from f.latest_interval_start - i.block_start)::bigint
                                          as offset_s) o
               where i.zone = f.zone and i.market = f.market
                 and i.block_start = date_bin('1 day', f.latest_interval_start, timestamptz 'epoch')
                 and o.offset_s % (i.interval_minutes * 60) = 0
                 and i.price_per_mwh[(o.offset_s / (i.interval_minutes * 60))::int + 1] is not null) as interval_minutes
       from price_freshness f ${zone === undefined ? '' : 'where f.zone = $1'} order by f.zone, f.market`,
      zone === undefined ? [] : [zone],
    );
    return rows.map((r) => ({
      zone: r.zone,
      market: r.market,
      latestIntervalStart: r.latest_interval_start,
      latestIssuedAt: r.latest_issued_at,
      latestIntervalMinutes: r.interval_minutes,
    }));
  }

  /** Newest day-ahead issue time per zone, for "a new day-ahead curve arrived". */
  async latestDayAheadIssues(): Promise<{ zone: string; issuedAt: Date }[]> {
    const rows = await this.db.query<{ zone: string; latest_issued_at: Date }[]>(
      `select zone, latest_issued_at from price_freshness where market = 'day_ahead' order by zone`,
    );
    return rows.map((r) => ({ zone: r.zone, issuedAt: r.latest_issued_at }));
  }

  /**
   * For every zone with a registered cluster: seconds since its newest day-ahead issue and from now to the start
   * of its latest day-ahead interval (null when it never had one), by the database clock.
   */
  async dayAheadFreshnessOfClusterZones(): Promise<
    { zone: string; issuedAgeSeconds: number | null; aheadSeconds: number | null }[]
  > {
    const rows = await this.db.query<{ zone: string; issued_age: number | null; ahead: number | null }[]>(
      `select z.zone,
              extract(epoch from now() - f.latest_issued_at)::float8 as issued_age,
              extract(epoch from f.latest_interval_start - now())::float8 as ahead
       from (select distinct zone from clusters) z
       left join price_freshness f on f.zone = z.zone and f.market = 'day_ahead'
       order by z.zone`,
    );
    return rows.map((r) => ({ zone: r.zone, issuedAgeSeconds: r.issued_age, aheadSeconds: r.ahead }));
  }
}

/** One stored interval (its newest issue) as `PriceRepository` reads it: base currency per MWh, UTC start. */
export interface PriceIntervalRow {
  zone: string;
  market: string;
  partnerId: string;
  intervalStart: Date;
  intervalMinutes: number;
  pricePerMwh: number;
  carbonGPerKwh: number | null;
  /** Minutes covered when less than the interval (slots aggregated before migration 21); else null. */
  coverageMinutes: number | null;
  issuedAt: Date;
}

/** `price_freshness` of one zone and market, with the length of its latest interval. */
export interface PriceFreshnessRow {
  zone: string;
  market: string;
  latestIntervalStart: Date;
  latestIssuedAt: Date;
  latestIntervalMinutes: number | null;
}

interface IntervalRowDb {
  zone: string;
  market: string;
  partner_id: string;
  interval_start: Date;
  interval_minutes: number;
  price_per_mwh: number;
  carbon_g_per_kwh: number | null;
  coverage_minutes: number | null;
  issued_at: Date;
}

const HOUR_MS = 3_600_000;

function toIntervalRow(r: IntervalRowDb): PriceIntervalRow {
  return {
    zone: r.zone,
    market: r.market,
    partnerId: r.partner_id,
    intervalStart: r.interval_start,
    intervalMinutes: r.interval_minutes,
    pricePerMwh: r.price_per_mwh,
    carbonGPerKwh: r.carbon_g_per_kwh,
    coverageMinutes: r.coverage_minutes === r.interval_minutes ? null : r.coverage_minutes,
    issuedAt: r.issued_at,
  };
}

/** A stored interval as `priceSlots` reads it; the partner breaks ties between issues of the same time. */
export function toPriceInterval(r: PriceIntervalRow): PriceInterval {
  return {
    startMs: r.intervalStart.getTime(),
    minutes: r.intervalMinutes,
    pricePerMwh: r.pricePerMwh,
    carbonGPerKwh: r.carbonGPerKwh,
    issuedMs: r.issuedAt.getTime(),
    coverageMinutes: r.coverageMinutes,
    tieBreak: r.partnerId,
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** A message refused because it contradicts a stored issue (or an earlier message of the same call). */
export interface IssueConflict {
  /** Index of the message in the call. */
  message: number;
  /** What differs, for the dead letter's error-message. */
  detail: string;
}

const sameNumber = (a: number | null | undefined, b: number | null | undefined): boolean =>
  (a === null || a === undefined || Number.isNaN(a)) === (b === null || b === undefined || Number.isNaN(b)) &&
  (a === null || a === undefined || Number.isNaN(a) || a === b);

interface SlotValues {
  price: (i: number) => number | null;
  original: (i: number) => number | null;
  carbon: (i: number) => number | null;
  coverage: (i: number) => number | null;
}

function slotValuesOf(block: PriceIssueBlock): SlotValues {
  return {
    price: (i) => block.pricePerMwh[i]!,
    original: (i) => block.priceOriginal[i]!,
    carbon: (i) => block.carbonGPerKwh?.[i] ?? null,
    coverage: (i) =>
      Number.isNaN(block.pricePerMwh[i]) ? null : (block.coverageMinutes?.[i] ?? block.intervalMinutes),
  };
}

/** The first slot both hold with a different value, described; undefined when they agree wherever both are priced. */
function firstDifference(block: PriceIssueBlock, held: SlotValues, heldBy: string): string | undefined {
  const mine = slotValuesOf(block);
  const checks = [
    ['price', mine.original, held.original],
    ['carbonGPerKwh', mine.carbon, held.carbon],
    ['coverage minutes', mine.coverage, held.coverage],
  ] as const;
  for (let i = 0; i < block.pricePerMwh.length; i++) {
    const theirs = held.price(i);
    if (Number.isNaN(block.pricePerMwh[i]) || theirs === null || Number.isNaN(theirs)) continue;
    for (const [name, own, other] of checks) {
      if (sameNumber(own(i), other(i))) continue;
      const slot = new Date(block.blockStartMs + i * block.intervalMinutes * 60_000).toISOString();
      return (
        `slot ${slot} of issue ${new Date(block.issuedMs).toISOString()} (partner ${block.partnerId}, ` +
        `${block.market}, ${block.currencyOriginal}): ${name} ${String(other(i))} ${heldBy}, this message has ${String(own(i))}`
      );
    }
  }
  return undefined;
}

/** Messages that contradict a stored issue row, or an earlier accepted message of the call (see storeMessages). */
async function findConflicts(
  client: pg.PoolClient,
  messages: readonly (readonly PriceIssueBlock[])[],
): Promise<IssueConflict[]> {
  const conflicts = new Map<number, string>();
  const candidates = messages.flatMap((blocks, m) => blocks.map((b) => ({ m, b })));
  const { rows } = await client.query<{
    n: string;
    price_per_mwh: (number | null)[];
    price_original: (number | null)[];
    carbon_g_per_kwh: (number | null)[] | null;
    coverage_minutes: (number | null)[] | null;
    interval_minutes: number;
  }>(
    `select k.n, i.price_per_mwh, i.price_original, i.carbon_g_per_kwh, i.coverage_minutes, i.interval_minutes
     from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::text[])
            with ordinality as k(zone, block_start, market, partner_id, interval_minutes, issued_at, currency_original, n)
     join price_issues i on i.zone = k.zone collate "C" and i.block_start = k.block_start
       and i.market = k.market collate "C" and i.partner_id = k.partner_id collate "C"
       and i.interval_minutes = k.interval_minutes and i.issued_at = k.issued_at
       and i.currency_original = k.currency_original collate "C"`,
    [
      candidates.map((c) => c.b.zone),
      candidates.map((c) => new Date(c.b.blockStartMs)),
      candidates.map((c) => c.b.market),
      candidates.map((c) => c.b.partnerId),
      candidates.map((c) => c.b.intervalMinutes),
      candidates.map((c) => new Date(c.b.issuedMs)),
      candidates.map((c) => c.b.currencyOriginal),
    ],
  );
  const missing = (v: number | null | undefined) => v === null || v === undefined;
  for (const row of rows) {
    const { m, b } = candidates[Number(row.n) - 1]!;
    if (conflicts.has(m)) continue;
    const held: SlotValues = {
      price: (i) => row.price_per_mwh[i] ?? null,
      original: (i) => row.price_original[i] ?? null,
      carbon: (i) => row.carbon_g_per_kwh?.[i] ?? null,
      coverage: (i) =>
        missing(row.price_per_mwh[i]) ? null : (row.coverage_minutes?.[i] ?? row.interval_minutes),
    };
    const detail = firstDifference(b, held, 'is stored');
    if (detail !== undefined) conflicts.set(m, detail);
  }
  // Then against the earlier messages of this call that are not refused (the first one of an issue wins).
  const heldByKey = new Map<string, PriceIssueBlock>();
  messages.forEach((blocks, m) => {
    if (conflicts.has(m)) return;
    for (const block of blocks) {
      const earlier = heldByKey.get(ISSUE_KEY(block));
      const detail = earlier && firstDifference(block, slotValuesOf(earlier), 'in an earlier message');
      if (detail !== undefined) {
        conflicts.set(m, detail);
        return;
      }
    }
    for (const block of blocks) {
      // What the call holds for the issue so far: the first price of each slot (as mergeIssueBlocks keeps it).
      const key = ISSUE_KEY(block);
      const earlier = heldByKey.get(key);
      heldByKey.set(key, earlier === undefined ? block : mergeIssueBlocks([earlier, block])[0]!);
    }
  });
  return [...conflicts]
    .map(([message, detail]) => ({ message, detail }))
    .sort((a, b) => a.message - b.message);
}

async function copyInto(client: pg.PoolClient, table: string, rows: Buffer): Promise<void> {
  await pipeline(
    Readable.from([rows]),
    client.query(copyFrom(`copy ${table} (${ISSUE_COLUMNS}) from stdin (format binary)`)),
  );
}

/** Inserts new issue rows, fills slots missing from stored ones, skips the rest; returns the slots written. */
async function mergeThroughStaging(client: pg.PoolClient, rows: Buffer): Promise<number> {
  await client.query(
    `create temp table if not exists price_intervals_staging (
       zone text, market text, block_start timestamptz, partner_id text, interval_minutes integer,
       issued_at timestamptz, currency_original text, price_per_mwh float8[], price_original float8[],
       carbon_g_per_kwh float8[], coverage_minutes integer[], points integer, message_id text
     ) on commit delete rows`,
  );
  await client.query('truncate pg_temp.price_intervals_staging');
  await copyInto(client, 'pg_temp.price_intervals_staging', rows);
  // Multi-argument unnest pads a NULL (or shorter) array with NULLs, so the "no carbon" and "fully covered"
  // NULL arrays merge like arrays of NULLs; the view reads a NULL coverage as the slot length.
  const result = await client.query<{ points: number }>(
    `insert into price_issues (${ISSUE_COLUMNS})
     select ${ISSUE_COLUMNS} from pg_temp.price_intervals_staging
     on conflict (zone, block_start, market, partner_id, interval_minutes, issued_at, currency_original) do update set
       (price_per_mwh, price_original, carbon_g_per_kwh, coverage_minutes, points, ingested_at) = (
         select array_agg(case when o then np else op end order by k),
                array_agg(case when o then no else oo end order by k),
                case when price_issues.carbon_g_per_kwh is null and excluded.carbon_g_per_kwh is null then null
                     else array_agg(case when o then nc else oc end order by k) end,
                case when price_issues.coverage_minutes is null and excluded.coverage_minutes is null then null
                     else array_agg(coalesce(case when o then nv else ov end,
                                             case when (case when o then np else op end) is not null
                                                  then price_issues.interval_minutes end) order by k) end,
                count(*) filter (where op is not null or np is not null), now()
         from (select *, op is null and np is not null as o
               from unnest(price_issues.price_per_mwh, excluded.price_per_mwh,
                           price_issues.price_original, excluded.price_original,
                           price_issues.carbon_g_per_kwh, excluded.carbon_g_per_kwh,
                           price_issues.coverage_minutes, excluded.coverage_minutes)
                    with ordinality as u(op, np, oo, no, oc, nc, ov, nv, k)) merged)
     where exists (select 1 from unnest(price_issues.price_per_mwh, excluded.price_per_mwh) as u(op, np)
                   where op is null and np is not null)
     returning points`,
  );
  return result.rows.reduce((sum, r) => sum + r.points, 0);
}
