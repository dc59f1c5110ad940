import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyWriter } from './copy-binary.js';
import type { Queryable } from './query.js';

/** One placement as the planner makes it (slot as its UTC start). */
export interface NewPlacement {
  jobId: string;
  clusterId: string;
  slotStartUtc: string;
  gpus: number;
  gpuHours: number;
}

/** The cells of one schedule ready to insert: a binary COPY stream of `placement_cells` rows. */
export interface EncodedPlacementCells {
  scheduleId: string;
  cells: number;
  copy: Buffer;
}

/** GPUs, GPU-hours and jobs of one schedule in one cluster and slot (a stored cell's totals). */
export interface CellTotalsRow {
  clusterId: string;
  slotStartMs: number;
  gpus: number;
  gpuHours: number;
  jobs: number;
}

/** One (job, cluster, slot) whose GPU-hours differ between two schedules. */
export interface ChangedCellRow {
  jobId: string;
  clusterId: string;
  slotStartMs: number;
  beforeGpuHours: number;
  afterGpuHours: number;
}

/** A placement read back (slot as a Date). */
export interface StoredPlacementRow {
  jobId: string;
  clusterId: string;
  slotStart: Date;
  gpus: number;
  gpuHours: number;
}

/** A cell's totals: GPUs (bigint, as text), GPU-hours and jobs (all its placements, as rows did). */
const CELL_TOTALS = `(select sum(g) from unnest(gpus) g)::bigint as gpus,
  (select sum(h) from unnest(gpu_hours) h) as gpu_hours, cardinality(job_ids) as jobs`;

const CELL_COLUMNS = 'schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours';

interface CellBuilder {
  clusterId: string;
  slot: number;
  jobs: string[];
  gpus: number[];
  hours: number[];
}

/**
 * The placements of schedule `scheduleId` as cells — one `placement_cells` row per (cluster, slot) with its jobs
 * in parallel arrays (migration 1732380000020): ≤ clusters × slots rows instead of one row per placement —
 * encoded as a binary COPY stream (PostgreSQL reads the numbers and texts as they are, parsing nothing). Pure
 * (no IO), so the planner builds them while the server stores the schedule row.
 */
export function encodePlacementCells(
  scheduleId: string,
  placements: readonly NewPlacement[],
  horizonStartUtc: string,
  slotMinutes: number,
): EncodedPlacementCells {
  const startMs = Date.parse(horizonStartUtc);
  const slotMs = slotMinutes * 60_000;
  const slots = new Map<string, number>();
  // Per cluster, its cells by slot (the placements' slot texts repeat: each is parsed once), in the order seen.
  const byCluster = new Map<string, Map<number, CellBuilder>>();
  const cells: CellBuilder[] = [];
  for (const p of placements) {
    let slot = slots.get(p.slotStartUtc);
    if (slot === undefined) {
      slot = Math.round((Date.parse(p.slotStartUtc) - startMs) / slotMs);
      slots.set(p.slotStartUtc, slot);
    }
    let clusterCells = byCluster.get(p.clusterId);
    if (!clusterCells) byCluster.set(p.clusterId, (clusterCells = new Map<number, CellBuilder>()));
    let cell = clusterCells.get(slot);
    if (!cell) {
      cell = { clusterId: p.clusterId, slot, jobs: [], gpus: [], hours: [] };
      clusterCells.set(slot, cell);
      cells.push(cell);
    }
    cell.jobs.push(p.jobId);
    cell.gpus.push(p.gpus);
    cell.hours.push(p.gpuHours);
  }
  // ≈ 4 + id bytes per job, 8 per GPU count, 12 per GPU-hours, and each row's header and array headers.
  const writer = new CopyWriter(placements.length * 40 + cells.length * 160 + 64);
  for (const c of cells) {
    writer
      .row(6)
      .uuid(scheduleId)
      .text(c.clusterId)
      .timestamptz(startMs + c.slot * slotMs)
      .textArray(c.jobs)
      .int4Array(c.gpus)
      .float8Array(c.hours);
  }
  return { scheduleId, cells: cells.length, copy: writer.finish() };
}

/** The placements of schedules, stored per (cluster, slot) cell in `placement_cells`. */
export class PlacementCellRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Writes the cells (`encodePlacementCells`) with one binary COPY, on the connection of the caller's
   * transaction (the cells commit with their schedule) or, outside one, on a pooled connection. The table's
   * constraints and foreign key hold as for an insert.
   */
  async insert(encoded: EncodedPlacementCells): Promise<void> {
    if (encoded.cells === 0) return;
    const inTransaction = 'queryRunner' in this.db ? this.db.queryRunner : undefined;
    const runner =
      inTransaction ??
      ('createQueryRunner' in this.db ? this.db.createQueryRunner() : this.db.connection.createQueryRunner());
    const own = inTransaction === undefined;
    try {
      const client = (await runner.connect()) as pg.PoolClient;
      await pipeline(
        Readable.from([encoded.copy]),
        client.query(copyFrom(`copy placement_cells (${CELL_COLUMNS}) from stdin (format binary)`)),
      );
    } finally {
      if (own) await runner.release();
    }
  }

  /** Every placement of a schedule (the `placements` view over the cells), ordered by cluster, slot and job; only those with GPUs when asked. */
  async ofSchedule(id: string, options: { withGpusOnly?: boolean } = {}): Promise<StoredPlacementRow[]> {
    const rows = await this.db.query<
      { job_id: string; cluster_id: string; slot_start: Date; gpus: number; gpu_hours: number }[]
    >(
      `select job_id, cluster_id, slot_start, gpus, gpu_hours from placements
       where schedule_id = $1 ${options.withGpusOnly ? 'and gpus > 0' : ''}
       order by cluster_id, slot_start, job_id`,
      [id],
    );
    return rows.map((r) => ({
      jobId: r.job_id,
      clusterId: r.cluster_id,
      slotStart: r.slot_start,
      gpus: r.gpus,
      gpuHours: r.gpu_hours,
    }));
  }

  /** GPUs and GPU-hours per cluster and slot of one schedule, ordered by cluster and slot. */
  async totals(scheduleId: string): Promise<CellTotalsRow[]> {
    const rows = await this.db.query<
      { cluster_id: string; slot_start: Date; gpus: string; gpu_hours: number; jobs: number }[]
    >(
      `select cluster_id, slot_start, ${CELL_TOTALS} from placement_cells where schedule_id = $1
       order by cluster_id, slot_start`,
      [scheduleId],
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      slotStartMs: r.slot_start.getTime(),
      gpus: Number(r.gpus),
      gpuHours: r.gpu_hours,
      jobs: Number(r.jobs),
    }));
  }

  /** GPU-hours per cluster of the given (schedule, slot) pairs. */
  async totalsOfSlots(
    pairs: readonly { scheduleId: string; slotStartMs: number }[],
  ): Promise<(CellTotalsRow & { scheduleId: string })[]> {
    if (pairs.length === 0) return [];
    const rows = await this.db.query<
      {
        schedule_id: string;
        cluster_id: string;
        slot_start: Date;
        gpus: string;
        gpu_hours: number;
        jobs: number;
      }[]
    >(
      `select c.schedule_id, c.cluster_id, c.slot_start, ${CELL_TOTALS}
       from unnest($1::uuid[], $2::timestamptz[]) as e(schedule_id, slot_start)
       join placement_cells c on c.schedule_id = e.schedule_id and c.slot_start = e.slot_start`,
      [pairs.map((x) => x.scheduleId), pairs.map((x) => new Date(x.slotStartMs))],
    );
    return rows.map((r) => ({
      scheduleId: r.schedule_id,
      clusterId: r.cluster_id,
      slotStartMs: r.slot_start.getTime(),
      gpus: Number(r.gpus),
      gpuHours: r.gpu_hours,
      jobs: Number(r.jobs),
    }));
  }

  /** A page of placements in (cluster, slot, job) order, optionally filtered. */
  async page(
    scheduleId: string,
    filter: {
      clusterId?: string;
      slotStart?: Date;
      jobId?: string;
      after?: { clusterId: string; slotStart: Date; jobId: string };
      limit: number;
    },
  ): Promise<StoredPlacementRow[]> {
    // Cells are read in (cluster, slot) order and unnested; only the jobs within a cell are sorted
    // (incremental sort), and the limit stops after the page. `offset 0` keeps the cells' order.
    const params: unknown[] = [scheduleId];
    const cells = ['schedule_id = $1'];
    const jobs: string[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.clusterId) cells.push(`cluster_id = ${p(filter.clusterId)}`);
    if (filter.slotStart) cells.push(`slot_start = ${p(filter.slotStart)}`);
    if (filter.jobId) {
      const job = p(filter.jobId);
      cells.push(`${job} = any(job_ids)`);
      jobs.push(`u.job_id = ${job}`);
    }
    if (filter.after) {
      const [cluster, slot, job] = [
        p(filter.after.clusterId),
        p(filter.after.slotStart),
        p(filter.after.jobId),
      ];
      cells.push(`(cluster_id, slot_start) >= (${cluster}, ${slot}::timestamptz)`);
      jobs.push(`(c.cluster_id, c.slot_start, u.job_id) > (${cluster}, ${slot}::timestamptz, ${job})`);
    }
    const rows = await this.db.query<
      { job_id: string; cluster_id: string; slot_start: Date; gpus: number; gpu_hours: number }[]
    >(
      `select u.job_id, c.cluster_id, c.slot_start, u.gpus, u.gpu_hours
       from (select cluster_id, slot_start, job_ids, gpus, gpu_hours from placement_cells
             where ${cells.join(' and ')} order by cluster_id, slot_start offset 0) c
       cross join lateral unnest(c.job_ids, c.gpus, c.gpu_hours) as u(job_id, gpus, gpu_hours)
       ${jobs.length > 0 ? `where ${jobs.join(' and ')}` : ''}
       order by c.cluster_id, c.slot_start, u.job_id limit ${p(filter.limit)}`,
      params,
    );
    return rows.map((r) => ({
      jobId: r.job_id,
      clusterId: r.cluster_id,
      slotStart: r.slot_start,
      gpus: r.gpus,
      gpuHours: r.gpu_hours,
    }));
  }

  /** (job, cluster, slot) cells whose GPU-hours differ between two schedules, slots in [from, to). */
  async changedCells(baseId: string, candidateId: string, from: Date, to: Date): Promise<ChangedCellRow[]> {
    const rows = await this.db.query<
      { job_id: string; cluster_id: string; slot_start: Date; before: number | null; after: number | null }[]
    >(
      // Cells whose job and GPU-hour arrays are equal in both schedules cannot differ and are skipped; only
      // the other cells are unnested and compared job by job.
      `select coalesce(d.a_job, d.b_job) as job_id, c.cluster_id, c.slot_start, d.a_hours as before,
              d.b_hours as after
       from (select coalesce(a.cluster_id, b.cluster_id) as cluster_id, coalesce(a.slot_start, b.slot_start) as slot_start,
                    a.job_ids as a_jobs, a.gpu_hours as a_hours, b.job_ids as b_jobs, b.gpu_hours as b_hours
             from (select cluster_id, slot_start, job_ids, gpu_hours from placement_cells
                   where schedule_id = $1 and slot_start >= $3 and slot_start < $4) a
             full join (select cluster_id, slot_start, job_ids, gpu_hours from placement_cells
                        where schedule_id = $2 and slot_start >= $3 and slot_start < $4) b
               on a.cluster_id = b.cluster_id and a.slot_start = b.slot_start
             where a.job_ids is distinct from b.job_ids or a.gpu_hours is distinct from b.gpu_hours) c
       cross join lateral (
         select x.job_id as a_job, x.hours as a_hours, y.job_id as b_job, y.hours as b_hours
         from unnest(c.a_jobs, c.a_hours) as x(job_id, hours)
         full join unnest(c.b_jobs, c.b_hours) as y(job_id, hours) on x.job_id = y.job_id
         where x.hours is distinct from y.hours) d`,
      [baseId, candidateId, from, to],
    );
    return rows.map((r) => ({
      jobId: r.job_id,
      clusterId: r.cluster_id,
      slotStartMs: r.slot_start.getTime(),
      beforeGpuHours: r.before ?? 0,
      afterGpuHours: r.after ?? 0,
    }));
  }
}
