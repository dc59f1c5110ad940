// Every SQL statement about realized usage in one repository: the binary COPY ingest with its staging merge, drift
// checks, the rows and prices paid the measured-savings report reads, and the metered energy grid events are proven by.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { priceSlots, slotGridCovering, type SlotPrice } from '#gridshift/contracts';
import { CopyWriter } from './copy-binary.js';
import { PriceRepository, toPriceInterval } from './price.repository.js';

type Db = DataSource | EntityManager;

const HOUR_MS = 3_600_000;
const USAGE_COLUMNS =
  'cluster_id, job_id, slot_start, minutes, gpu_hours, energy_kwh, observed_at, message_id';

/** One validated usage row (UTC ISO instants). */
export interface UsageRow {
  clusterId: string;
  jobId: string;
  slotStart: string;
  minutes: number;
  gpuHours: number;
  energyKwh: number;
  observedAt: string;
  messageId: string | null;
}

/**
 * Realized usage of jobs in clusters and intervals, as stored, in columns: row i is (clusterIds[clusterIndex[i]],
 * jobIds[jobIndex[i]], slotStartMs[i], minutes[i], gpuHours[i], energyKwh[i]).
 */
export interface RealizedUsageColumns {
  clusterIds: string[];
  jobIds: string[];
  clusterIndex: Int32Array;
  jobIndex: Int32Array;
  slotStartMs: Float64Array;
  minutes: Float64Array;
  gpuHours: Float64Array;
  energyKwh: Float64Array;
}

/** One stored price interval (newest issue per zone, market and interval across partners). */
export interface PricePaidCandidate {
  zone: string;
  market: string;
  intervalStartMs: number;
  minutes: number;
  pricePerMwh: number;
}

/** Planned GPU-hours of the schedule in force for a slot (the newest one published before the slot ended). */
export interface PlannedUsageRow {
  clusterId: string;
  jobId: string;
  slotStartMs: number;
  minutes: number;
  gpuHours: number;
}

/** Planned against realized GPU-hours of one (cluster, slot) of a schedule. */
export interface UsageComparisonCell {
  clusterId: string;
  slotStartUtc: string;
  plannedGpuHours: number;
  realizedGpuHours: number;
}

/** What the measured-savings report reads about the fleet. */
export interface MeasuredFleetRows {
  clusters: {
    id: string;
    zone: string;
    region: string;
    gpuTotal: number;
    kwPerGpu: number;
    pue: number;
    latencyMsByOrigin: Record<string, number>;
  }[];
  jobs: {
    id: string;
    kind: 'interactive' | 'batch';
    maxGpus: number;
    origin: string;
    latencySlaMs: number | null;
    residency: string[];
    tier: string;
    pins: { mustRunIn?: string[]; mustNotRunIn?: string[] };
    homeClusterId: string | null;
  }[];
  /** Lowest schedulable GPUs reported per cluster and UTC hour. */
  capacity: { clusterId: string; hourStartMs: number; gpuSchedulable: number }[];
}

/** Realized usage from the data centers (`usage_reports`) and what reports built on it read. */
export class UsageRepository {
  constructor(private readonly db: Db) {}

  /**
   * Upserts usage rows per (cluster, job, interval start): a row with a later `observedAt` replaces the stored one,
   * an older or equal one changes nothing (replays are no-ops; of equal ones in a call the first counts). Returns
   * the rows written. One probe asks which of the call's (cluster, interval) pairs hold stored rows (a handful per
   * message, on the primary key's prefix); rows of the other pairs, unless their key repeats in the call,
   * cannot conflict and are streamed with binary COPY straight into the table; the rest go through a staging table
   * and one insert that keeps the latest observation. Nothing is written twice (until 2026-12-07 a COPY of the whole
   * call was tried first and rolled back on the first stored key: docs/benchmarks.md#closed-loop). In the caller's
   * transaction, or a new one.
   */
  async store(rows: readonly UsageRow[], manager: Db = this.db): Promise<number> {
    if (rows.length === 0) return 0;
    const runner = 'queryRunner' in manager ? manager.queryRunner : undefined;
    if (runner === undefined || !runner.isTransactionActive) {
      const source = 'queryRunner' in manager ? manager.connection : manager;
      return source.transaction((tx) => this.store(rows, tx));
    }
    const client = (await runner.connect()) as pg.PoolClient;
    // Rows by (cluster, interval); a pair is staged when a key in it repeats in the call or it holds stored rows.
    const pairs = new Map<string, { clusterId: string; slotStartMs: number; staged: boolean }>();
    const pairOfRow: string[] = [];
    const keys = new Set<string>();
    for (const r of rows) {
      const slotStartMs = Date.parse(r.slotStart);
      const pair = `${r.clusterId}\u0000${slotStartMs}`;
      pairOfRow.push(pair);
      let p = pairs.get(pair);
      if (p === undefined) pairs.set(pair, (p = { clusterId: r.clusterId, slotStartMs, staged: false }));
      const key = `${pair}\u0000${r.jobId}`;
      if (keys.has(key)) p.staged = true;
      else keys.add(key);
    }
    const probe = [...pairs.values()];
    const stored = await client.query<{ i: number }>(
      `select k.i from unnest($1::text[], $2::timestamptz[]) with ordinality as k(cluster_id, slot_start, i)
       where exists (select 1 from usage_reports u
                    where u.slot_start = k.slot_start and u.cluster_id = k.cluster_id)`,
      [probe.map((p) => p.clusterId), probe.map((p) => new Date(p.slotStartMs).toISOString())],
    );
    for (const { i } of stored.rows) probe[Number(i) - 1]!.staged = true;
    const direct: UsageRow[] = [];
    const staged: UsageRow[] = [];
    rows.forEach((r, i) => (pairs.get(pairOfRow[i]!)!.staged ? staged : direct).push(r));
    if (direct.length > 0) await copyUsage(client, 'usage_reports', encodeUsageRows(direct));
    if (staged.length === 0) return direct.length;
    await client.query(
      `create temp table if not exists usage_staging (like usage_reports including defaults, ord integer)
       on commit delete rows`,
    );
    await client.query('truncate pg_temp.usage_staging');
    await copyUsage(client, 'pg_temp.usage_staging', encodeUsageRows(staged, true), true);
    // One row per key (ON CONFLICT cannot touch a row twice): the latest observation, the first of equal ones.
    const result = await client.query(
      `insert into usage_reports as u (${USAGE_COLUMNS})
       select distinct on (cluster_id, job_id, slot_start) ${USAGE_COLUMNS} from pg_temp.usage_staging
       order by cluster_id, job_id, slot_start, observed_at desc, ord
       on conflict (cluster_id, job_id, slot_start) do update
         set minutes = excluded.minutes, gpu_hours = excluded.gpu_hours, energy_kwh = excluded.energy_kwh,
             observed_at = excluded.observed_at, message_id = excluded.message_id
         where u.observed_at < excluded.observed_at`,
    );
    return direct.length + (result.rowCount ?? 0);
  }

  /**
   * Realized usage with an interval start in [from, to), as columns in the primary key's order (interval, cluster,
   * job), ids numbered in order of first appearance. Read with binary COPY: PostgreSQL sends the numbers as they are
   * stored (no text to format or parse), and they go straight into typed arrays — neither side builds anything per
   * row but the ids (a month is ~100,000 rows: docs/benchmarks.md#closed-loop). Always the primary key's index
   * scan (`inKeyOrder`).
   */
  async realized(from: Date, to: Date): Promise<RealizedUsageColumns> {
    const chunks: Buffer[] = [];
    await this.inKeyOrder(async (client) => {
      const stream = client.query(copyTo(`copy (${realizedQuery(from, to)}) to stdout (format binary)`));
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    });
    return decodeUsageColumns(Buffer.concat(chunks));
  }

  /** PostgreSQL's plan of `realized`'s read, executed, with its buffer counts (EXPLAIN ANALYZE; diagnostics). */
  async explainRealized(from: Date, to: Date): Promise<string[]> {
    const result = await this.inKeyOrder((client) =>
      client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${realizedQuery(from, to)}`),
    );
    return result.rows.map((r) => r['QUERY PLAN']);
  }

  /**
   * Runs `read` on one connection with the planner held to a range read in the primary key's order: no sort and no
   * parallel workers, so the index scan of the range is the plan whatever the table holds. Left to its costs,
   * PostgreSQL switched to a parallel scan of the whole table with an on-disk sort of the range when the table's
   * physical order stopped following `slot_start` (usage stored out of order, e.g. a backlog of clusters replayed
   * through several partitions at once): the read then grew with the table, not the period, and took three
   * processes (docs/benchmarks.md#closed-loop). The settings are transaction-local: in the caller's transaction
   * they are put back after the read, else the read runs in a transaction of its own.
   */
  private async inKeyOrder<T>(read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const given: QueryRunner | undefined = 'queryRunner' in this.db ? this.db.queryRunner : undefined;
    const source: DataSource = 'manager' in this.db ? this.db : this.db.connection;
    const runner = given ?? source.createQueryRunner();
    const callerTransaction = runner.isTransactionActive;
    try {
      const client = (await runner.connect()) as pg.PoolClient;
      const saved = callerTransaction
        ? (
            await client.query<{ sort: string; workers: string }>(
              `select current_setting('enable_sort') as sort,
                      current_setting('max_parallel_workers_per_gather') as workers`,
            )
          ).rows[0]!
        : undefined;
      if (!callerTransaction) await client.query('begin');
      try {
        await client.query(
          `select set_config('enable_sort', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`,
        );
        const result = await read(client);
        if (saved === undefined) await client.query('commit');
        else
          await client.query(
            `select set_config('enable_sort', $1, true), set_config('max_parallel_workers_per_gather', $2, true)`,
            [saved.sort, saved.workers],
          );
        return result;
      } catch (error) {
        if (!callerTransaction) await client.query('rollback').catch(() => undefined);
        throw error;
      }
    } finally {
      if (given === undefined) await runner.release();
    }
  }

  /**
   * Metered facility energy per (cluster, interval) of `clusterIds` — summed over jobs — for the intervals that
   * overlap [from, to) (an interval is at most 60 minutes long, so it starts after from − 1 h).
   */
  async clusterEnergy(
    clusterIds: readonly string[],
    from: Date,
    to: Date,
  ): Promise<{ clusterId: string; slotStartMs: number; minutes: number; energyKwh: number }[]> {
    if (clusterIds.length === 0) return [];
    const rows = await this.db.query<
      { cluster_id: string; ms: number; minutes: number; energy_kwh: number }[]
    >(
      `select cluster_id, (extract(epoch from slot_start) * 1000)::float8 as ms, minutes,
              sum(energy_kwh)::float8 as energy_kwh
       from usage_reports
       where cluster_id = any($1) and slot_start < $3 and slot_start > $2::timestamptz - interval '1 hour'
         and slot_start + minutes * interval '1 minute' > $2
       group by cluster_id, slot_start, minutes
       order by slot_start, cluster_id`,
      [clusterIds, from, to],
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      slotStartMs: r.ms,
      minutes: r.minutes,
      energyKwh: r.energy_kwh,
    }));
  }

  /**
   * Hourly prices of `zones` for the hours starting in [from, to), per zone and market (forecasts left out): each
   * partner's stored intervals resolved onto the hour by `priceSlots` (as the `prices_between` view does, partly
   * covered hours included), then across partners the hour with the newest issue (ties: the lower partner id).
   * Ordered by zone, market, hour. Reads the intervals (`PriceRepository.intervalsBetween`) rather than the view:
   * the view expands every interval into pieces in SQL and took seconds for a month of 8 zones.
   */
  async pricesPaid(zones: string[], from: Date, to: Date): Promise<PricePaidCandidate[]> {
    if (zones.length === 0 || to <= from) return [];
    const grid = slotGridCovering(from.getTime(), to.getTime(), 60);
    const intervals = await new PriceRepository(this.db).intervalsBetween(
      zones,
      new Date(grid.startMs),
      new Date(grid.startMs + grid.count * HOUR_MS),
    );
    // intervalsBetween orders by zone, market, partner: one series per run of equal keys.
    const best = new Map<string, { slot: SlotPrice; partnerId: string }[]>(); // zone\0market → per hour
    for (let i = 0; i < intervals.length;) {
      const { zone, market, partnerId } = intervals[i]!;
      let j = i;
      while (
        j < intervals.length &&
        intervals[j]!.zone === zone &&
        intervals[j]!.market === market &&
        intervals[j]!.partnerId === partnerId
      )
        j++;
      if (market !== 'forecast') {
        const key = `${zone}\u0000${market}`;
        let hours = best.get(key);
        if (hours === undefined) best.set(key, (hours = []));
        priceSlots(intervals.slice(i, j).map(toPriceInterval), grid).forEach((slot, t) => {
          if (slot === null) return;
          const held = hours[t];
          if (
            held === undefined ||
            slot.newestIssuedMs > held.slot.newestIssuedMs ||
            (slot.newestIssuedMs === held.slot.newestIssuedMs && partnerId < held.partnerId)
          )
            hours[t] = { slot, partnerId };
        });
      }
      i = j;
    }
    const out: PricePaidCandidate[] = [];
    for (const key of [...best.keys()].sort()) {
      const [zone, market] = key.split('\u0000') as [string, string];
      for (const held of best.get(key)!)
        if (held !== undefined)
          out.push({
            zone,
            market,
            intervalStartMs: held.slot.startMs,
            minutes: 60,
            pricePerMwh: held.slot.pricePerMwh,
          });
    }
    return out;
  }

  /**
   * Planned GPU-hours per (cluster, job, slot) in [from, to) of the schedule in force for each slot: the newest
   * plan published before the slot ended whose horizon covers it (for a slot planned only after it ended, as in a
   * replay of past days, the newest plan covering it).
   */
  async plannedInForce(from: Date, to: Date): Promise<PlannedUsageRow[]> {
    const rows = await this.db.query<
      { cluster_id: string; job_id: string; ms: number; minutes: number; gpu_hours: number }[]
    >(
      `with candidates as (
         select id, version, horizon_start, horizon_end, slot_minutes, published_at from schedules
         where kind = 'plan' and published_at is not null and horizon_end > $1 and horizon_start < $2),
       slots as (
         select distinct on (g.slot_start) g.slot_start, s.id, s.slot_minutes
         from candidates s
         cross join lateral generate_series(greatest(s.horizon_start, date_bin(make_interval(mins => s.slot_minutes),
                                            $1::timestamptz, s.horizon_start)),
                                            least(s.horizon_end, $2::timestamptz) - interval '1 microsecond',
                                            make_interval(mins => s.slot_minutes)) as g(slot_start)
         where g.slot_start >= $1 and g.slot_start < $2
         -- in force: the newest published before the slot ended; a slot planned only afterwards (a replay of
         -- past days) takes the newest plan that covers it
         order by g.slot_start, (s.published_at < g.slot_start + make_interval(mins => s.slot_minutes)) desc,
                  s.version desc)
       select c.cluster_id, u.job_id, (extract(epoch from c.slot_start) * 1000)::float8 as ms,
              slots.slot_minutes as minutes, u.gpu_hours
       from slots
       join placement_cells c on c.schedule_id = slots.id and c.slot_start = slots.slot_start
       cross join lateral unnest(c.job_ids, c.gpu_hours) as u(job_id, gpu_hours)`,
      [from, to],
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      jobId: r.job_id,
      slotStartMs: r.ms,
      minutes: r.minutes,
      gpuHours: r.gpu_hours,
    }));
  }

  /** The currency of the newest plan's figures (stored prices are in it), or null before the first plan. */
  async planCurrency(): Promise<string | null> {
    const rows = await this.db.query<{ currency: string | null }[]>(
      `select totals->>'currency' as currency from schedules where kind = 'plan' order by version desc limit 1`,
    );
    return rows[0]?.currency ?? null;
  }

  /**
   * Clusters and hourly reported capacity (load reports observed in [from, to)) the counterfactual baselines are
   * built from; the jobs are read by `jobsForMeasurement`.
   */
  async clustersForMeasurement(from: Date, to: Date): Promise<Omit<MeasuredFleetRows, 'jobs'>> {
    const [clusters, capacity] = await Promise.all([
      this.db.query<
        {
          id: string;
          zone: string;
          region: string;
          gpu_total: number;
          kw_per_gpu: number;
          pue: number;
          latency_ms_by_origin: Record<string, number> | null;
        }[]
      >(
        `select id, zone, region, gpu_total, kw_per_gpu, pue, latency_ms_by_origin from clusters order by id`,
      ),
      this.db.query<{ cluster_id: string; ms: number; gpus: number }[]>(
        `select cluster_id, (extract(epoch from date_bin('1 hour', observed_at, timestamptz 'epoch')) * 1000)::float8 as ms,
                min(gpu_schedulable)::int as gpus
         from load_reports where observed_at >= $1 and observed_at < $2 group by 1, 2`,
        [from, to],
      ),
    ]);
    return {
      clusters: clusters.map((c) => ({
        id: c.id,
        zone: c.zone,
        region: c.region,
        gpuTotal: c.gpu_total,
        kwPerGpu: c.kw_per_gpu,
        pue: c.pue,
        latencyMsByOrigin: c.latency_ms_by_origin ?? {},
      })),
      capacity: capacity.map((c) => ({ clusterId: c.cluster_id, hourStartMs: c.ms, gpuSchedulable: c.gpus })),
    };
  }

  /**
   * The registered jobs among `jobIds` (the ids of the usage `realized` read), ordered by id. By id rather than by a
   * second scan of the period's usage: until 2026-12-08 this was `id in (select distinct job_id from usage_reports
   * …)`, which read the month's usage a second time (docs/benchmarks.md#closed-loop).
   */
  async jobsForMeasurement(jobIds: readonly string[]): Promise<MeasuredFleetRows['jobs']> {
    if (jobIds.length === 0) return [];
    const jobs = await this.db.query<
      {
        id: string;
        kind: 'interactive' | 'batch';
        max_gpus: number;
        origin: string;
        latency_sla_ms: number | null;
        residency: string[] | null;
        tier: string;
        pins: { mustRunIn?: string[]; mustNotRunIn?: string[] } | null;
        home_cluster_id: string | null;
      }[]
    >(
      `select id, kind, max_gpus, origin, latency_sla_ms, residency, tier, pins, home_cluster_id
       from jobs where id = any($1::text[]) order by id`,
      [jobIds],
    );
    return jobs.map((j) => ({
      id: j.id,
      kind: j.kind,
      maxGpus: j.max_gpus,
      origin: j.origin,
      latencySlaMs: j.latency_sla_ms,
      residency: j.residency ?? [],
      tier: j.tier,
      pins: j.pins ?? {},
      homeClusterId: j.home_cluster_id,
    }));
  }

  /**
   * Planned against realized GPU-hours per (cluster, slot) of schedule `scheduleId`, over the slots before `before`
   * in which the cluster reported usage of complete intervals (usage finer than the schedule's slots is summed into
   * them).
   */
  async compareWithSchedule(scheduleId: string, before: Date): Promise<UsageComparisonCell[]> {
    const rows = await this.db.query<
      { cluster_id: string; slot_start: Date; planned: number; realized: number }[]
    >(
      `with s as (select id, horizon_start, horizon_end, slot_minutes, published_at from schedules where id = $1),
       realized as (
         select u.cluster_id, date_bin(make_interval(mins => s.slot_minutes), u.slot_start, s.horizon_start) as slot_start,
                sum(u.gpu_hours) as gpu_hours
         from s join usage_reports u on u.slot_start >= s.horizon_start and u.slot_start < least(s.horizon_end, $2)
           -- only complete intervals (a slot in progress would look like drift)
           and u.slot_start + make_interval(mins => u.minutes) <= u.observed_at
         group by 1, 2),
       planned as (
         select c.cluster_id, c.slot_start, (select sum(x) from unnest(c.gpu_hours) x) as gpu_hours
         from s join placement_cells c on c.schedule_id = s.id)
       select r.cluster_id, r.slot_start, coalesce(p.gpu_hours, 0)::float8 as planned, r.gpu_hours::float8 as realized
       from realized r left join planned p on p.cluster_id = r.cluster_id and p.slot_start = r.slot_start
       order by r.slot_start, r.cluster_id`,
      [scheduleId, before],
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      slotStartUtc: r.slot_start.toISOString(),
      plannedGpuHours: r.planned,
      realizedGpuHours: r.realized,
    }));
  }

  /**
   * Records the drift finding of a schedule; false when this schedule's drift, or drift on the same realized usage
   * (`evidence`: a digest of the compared cells' realized GPU-hours), was recorded before — it was acted on then.
   */
  async recordDrift(
    finding: {
      scheduleId: string;
      version: number;
      plannedGpuHours: number;
      realizedGpuHours: number;
      cells: UsageComparisonCell[];
      evidence: string;
    },
    manager: Db = this.db,
  ): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `insert into usage_drift (schedule_id, schedule_version, planned_gpu_hours, realized_gpu_hours, cells, evidence)
       values ($1, $2, $3, $4, $5::jsonb, $6) on conflict do nothing returning 1`,
      [
        finding.scheduleId,
        finding.version,
        finding.plannedGpuHours,
        finding.realizedGpuHours,
        JSON.stringify(finding.cells),
        finding.evidence,
      ],
    );
    return rows.length > 0;
  }

  /** The drift recorded against a schedule, if any. */
  async driftOf(scheduleId: string): Promise<{
    version: number;
    plannedGpuHours: number;
    realizedGpuHours: number;
    cells: UsageComparisonCell[];
  } | null> {
    const rows = await this.db.query<
      {
        schedule_version: number;
        planned_gpu_hours: number;
        realized_gpu_hours: number;
        cells: UsageComparisonCell[];
      }[]
    >(
      `select schedule_version, planned_gpu_hours, realized_gpu_hours, cells from usage_drift where schedule_id = $1`,
      [scheduleId],
    );
    const r = rows[0];
    return r === undefined
      ? null
      : {
          version: r.schedule_version,
          plannedGpuHours: r.planned_gpu_hours,
          realizedGpuHours: r.realized_gpu_hours,
          cells: r.cells,
        };
  }
}

/** The binary COPY stream of usage rows (USAGE_COLUMNS order; `numbered`: each row's index after them). */
function encodeUsageRows(rows: readonly UsageRow[], numbered = false): Buffer {
  const writer = new CopyWriter(rows.length * 112 + 64);
  const fields = numbered ? 9 : 8;
  rows.forEach((r, i) => {
    writer
      .row(fields)
      .text(r.clusterId)
      .text(r.jobId)
      .timestamptz(Date.parse(r.slotStart))
      .int4(r.minutes)
      .float8(r.gpuHours)
      .float8(r.energyKwh)
      .timestamptz(Date.parse(r.observedAt))
      .text(r.messageId);
    if (numbered) writer.int4(i);
  });
  return writer.finish();
}

async function copyUsage(
  client: pg.PoolClient,
  table: string,
  encoded: Buffer,
  numbered = false,
): Promise<void> {
  await pipeline(
    Readable.from([encoded]),
    client.query(
      copyFrom(`copy ${table} (${USAGE_COLUMNS}${numbered ? ', ord' : ''}) from stdin (format binary)`),
    ),
  );
}

/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix ms. */
const PG_EPOCH_MS = 946_684_800_000;
/** Signature, flags and header extension length of a binary COPY stream. */
const COPY_HEADER_BYTES = 19;

/**
 * Decodes `realized`'s binary COPY (text cluster_id, text job_id, timestamptz slot_start, int4 minutes, float8
 * gpu_hours, float8 energy_kwh; none null) into columns. Rows come ordered by interval and cluster, so a row's
 * cluster is usually the previous row's: its bytes are compared before a string is made.
 */
function decodeUsageColumns(bytes: Buffer): RealizedUsageColumns {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Every tuple is at least 2 + 6 × 4 + 8 + 4 + 8 + 8 bytes: an upper bound on the rows, trimmed at the end.
  const most = Math.max(0, Math.floor((bytes.length - COPY_HEADER_BYTES) / 54));
  const clusterIndex = new Int32Array(most);
  const jobIndex = new Int32Array(most);
  const slotStartMs = new Float64Array(most);
  const minutes = new Float64Array(most);
  const gpuHours = new Float64Array(most);
  const energyKwh = new Float64Array(most);
  const clusterIds: string[] = [];
  const jobIds: string[] = [];
  const clusterNumber = new Map<string, number>();
  const jobNumber = new Map<string, number>();
  let o = bytes.length === 0 ? 0 : COPY_HEADER_BYTES + view.getInt32(15);
  let n = 0;
  let lastClusterStart = -1;
  let lastClusterEnd = -1;
  let lastCluster = -1;
  while (o < bytes.length) {
    const fields = view.getInt16(o);
    if (fields === -1) break; // trailer
    if (fields !== 6) throw new Error(`usage COPY: a tuple of ${fields} fields`);
    o += 2;
    const clusterLength = view.getInt32(o);
    const clusterStart = o + 4;
    o = clusterStart + clusterLength;
    if (
      lastCluster < 0 ||
      clusterLength !== lastClusterEnd - lastClusterStart ||
      bytes.compare(bytes, lastClusterStart, lastClusterEnd, clusterStart, o) !== 0
    ) {
      const id = bytes.toString('utf8', clusterStart, o);
      let c = clusterNumber.get(id);
      if (c === undefined) clusterNumber.set(id, (c = clusterIds.push(id) - 1));
      lastCluster = c;
    }
    lastClusterStart = clusterStart;
    lastClusterEnd = o;
    clusterIndex[n] = lastCluster;
    const jobLength = view.getInt32(o);
    const jobId = bytes.toString('utf8', o + 4, o + 4 + jobLength);
    o += 4 + jobLength;
    let j = jobNumber.get(jobId);
    if (j === undefined) jobNumber.set(jobId, (j = jobIds.push(jobId) - 1));
    jobIndex[n] = j;
    // timestamptz: microseconds since 2000-01-01 as int64 (high and low halves; exact below 2^53).
    const micros = view.getInt32(o + 4) * 4_294_967_296 + view.getUint32(o + 8);
    slotStartMs[n] = PG_EPOCH_MS + micros / 1000;
    minutes[n] = view.getInt32(o + 16);
    gpuHours[n] = view.getFloat64(o + 24);
    energyKwh[n] = view.getFloat64(o + 36);
    o += 44;
    n++;
  }
  return {
    clusterIds,
    jobIds,
    clusterIndex: clusterIndex.slice(0, n),
    jobIndex: jobIndex.slice(0, n),
    slotStartMs: slotStartMs.slice(0, n),
    minutes: minutes.slice(0, n),
    gpuHours: gpuHours.slice(0, n),
    energyKwh: energyKwh.slice(0, n),
  };
}

/**
 * The month read of `realized` in the primary key's order. COPY takes no parameters: the bounds are ISO instants
 * formatted here, never caller text.
 */
function realizedQuery(from: Date, to: Date): string {
  return `select cluster_id, job_id, slot_start, minutes, gpu_hours, energy_kwh from usage_reports
          where slot_start >= '${from.toISOString()}'::timestamptz and slot_start < '${to.toISOString()}'::timestamptz
          order by slot_start, cluster_id, job_id`;
}
