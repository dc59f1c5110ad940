import type { DataSource, EntityManager } from 'typeorm';

/** The newest plan above a version with how many orders it has and how many of them settled. */
export interface PlanProgress {
  version: number;
  orders: number;
  settled: number;
}

/** When a plan was stored, when its last order was sent, and when a grid event was last updated (epoch ms). */
export interface PlanPathTimes {
  createdMs: number;
  lastSentMs: number | null;
  eventUpdatedMs: number | null;
}

/** Per settled delivery: first send → settled, first send → first ack, first ack → settled (ms). */
export interface DeliveryTiming {
  total: number;
  toAgent: number;
  toStore: number;
}

/** One server process as `pg_stat_activity` shows it (a benchmark's sample of who is doing what). */
export interface ActivityRow {
  pid: number;
  backendType: string;
  applicationName: string;
  /** Whose database: this one (`own`), another (`other`), or none (background processes). */
  database: 'own' | 'other' | 'none';
  state: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** The statement's first 160 characters (null for background processes). */
  query: string | null;
  /** Processes holding a lock this one waits for. */
  blockedBy: number[];
}

/** Cluster-wide PostgreSQL counters that say what the server spent itself on (cumulative). */
export interface ServerCounters {
  checkpointsTimed: number;
  checkpointsRequested: number;
  buffersCheckpoint: number;
  buffersClean: number;
  buffersBackend: number;
  buffersBackendFsync: number;
  buffersAlloc: number;
  walBytes: number;
  walWrite: number;
  walSync: number;
  /** Of this database: blocks read from the OS and found in shared buffers. */
  blocksRead: number;
  blocksHit: number;
  tempBytes: number;
}

/**
 * Read-only probes of the pipeline's progress for the benchmarks (`bench:reaction`, `bench:loop`): how far the
 * planner, relay and acknowledgements got, and where the time went, read from the planner's own tables.
 */
export class PipelineProbeRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** The PostgreSQL backend process id of `manager`'s connection (to read its CPU time from /proc). */
  async backendPid(manager: DataSource | EntityManager = this.db): Promise<number> {
    const rows = await manager.query<{ pid: number }[]>('select pg_backend_pid() as pid');
    return rows[0]!.pid;
  }

  /**
   * The newest plan above `afterVersion` (optionally only approved or later, stored at or after `storedSinceMs`),
   * with its order count and settled deliveries; undefined when there is none yet.
   */
  async newestPlan(
    afterVersion: number,
    options: { approvedOnly?: boolean; storedSinceMs?: number } = {},
  ): Promise<PlanProgress | undefined> {
    const rows = await this.db.query<PlanProgress[]>(
      `select s.version, (select count(*)::int from outbox o where o.schedule_id = s.id) as orders,
              (select count(*)::int from deliveries d where d.schedule_id = s.id and d.settled_at is not null) as settled
       from schedules s
       where s.kind = 'plan' and s.version > $1
         and (not $2 or s.status in ('approved', 'published', 'superseded'))
         and s.created_at >= to_timestamp($3::float8 / 1000)
       order by s.version desc limit 1`,
      [afterVersion, options.approvedOnly ?? false, options.storedSinceMs ?? 0],
    );
    return rows[0];
  }

  /** The last `limit` plans with status, trigger, solve status, approval reasons and pending orders (diagnostics). */
  async recentPlans(limit: number): Promise<unknown[]> {
    return this.db.query<unknown[]>(
      `select version, status, trigger, solver_stats->>'status' as solve, approval->'reasons' as reasons,
              (select count(*)::int from outbox o where o.schedule_id = s.id and o.status = 'pending') as pending
       from schedules s where kind = 'plan' order by version desc limit $1`,
      [limit],
    );
  }

  /** Plans above `afterVersion` with each cluster's outbox and delivery state (diagnostics). */
  async deliveryStateAfter(afterVersion: number): Promise<unknown[]> {
    return this.db.query<unknown[]>(
      `select s.version, s.status, s.trigger, o.cluster_id, o.status as outbox, d.status as delivery, d.sends
       from schedules s left join outbox o on o.schedule_id = s.id
       left join deliveries d on d.schedule_id = o.schedule_id and d.cluster_id = o.cluster_id
       where s.version > $1 order by s.version, o.cluster_id`,
      [afterVersion],
    );
  }

  /** Timings of the deliveries of plans from `fromVersion` on that settled without a resend (PostgreSQL clocks). */
  async deliveryTimings(fromVersion: number): Promise<DeliveryTiming[]> {
    return this.db.query<DeliveryTiming[]>(
      `select extract(epoch from d.settled_at - d.first_sent_at)::float8 * 1000 as total,
              extract(epoch from a.acked_at - d.first_sent_at)::float8 * 1000 as "toAgent",
              extract(epoch from d.settled_at - a.acked_at)::float8 * 1000 as "toStore"
       from deliveries d
       join lateral (select min(x.acked_at) as acked_at from delivery_acks x
                     where x.schedule_id = d.schedule_id and x.cluster_id = d.cluster_id) a on true
       where d.schedule_version >= $1 and d.settled_at is not null and d.resends = 0`,
      [fromVersion],
    );
  }

  /** When plan `version` was stored and its last order sent, and when grid event `eventId` was last updated. */
  async planPathTimes(version: number, eventId: string): Promise<PlanPathTimes | undefined> {
    const rows = await this.db.query<{ created: number; claimed: number | null; event: number | null }[]>(
      `select extract(epoch from s.created_at)::float8 * 1000 as created,
              (select extract(epoch from max(o.sent_at))::float8 * 1000 from outbox o where o.schedule_id = s.id) as claimed,
              (select extract(epoch from g.updated_at)::float8 * 1000 from grid_events g where g.event_id = $2) as event
       from schedules s where s.kind = 'plan' and s.version = $1`,
      [version, eventId],
    );
    const r = rows[0];
    return (
      r && {
        createdMs: Number(r.created),
        lastSentMs: r.claimed === null ? null : Number(r.claimed),
        eventUpdatedMs: r.event === null ? null : Number(r.event),
      }
    );
  }

  /** The solver's phase timings and library figures of the plans above `afterVersion`. */
  async planSolverFigures(
    afterVersion: number,
  ): Promise<{ phaseMs: Record<string, number>; lib: Record<string, number> }[]> {
    const rows = await this.db.query<
      { phase_ms: Record<string, number> | null; lib: Record<string, number> | null }[]
    >(
      `select solver_stats->'phaseMs' as phase_ms, solver_stats->'stats' as lib from schedules
       where kind = 'plan' and version > $1`,
      [afterVersion],
    );
    return rows.map((r) => ({ phaseMs: r.phase_ms ?? {}, lib: r.lib ?? {} }));
  }

  /**
   * Every server process but this probe's own: client backends of all databases and the background processes
   * (checkpointer, background writer, walwriter, autovacuum), with state, wait event and blockers.
   */
  async activity(): Promise<ActivityRow[]> {
    return this.db.query<ActivityRow[]>(
      `select pid, coalesce(backend_type, '') as "backendType", coalesce(application_name, '') as "applicationName",
              case when datname is null then 'none' when datname = current_database() then 'own' else 'other' end
                as database,
              state, wait_event_type as "waitEventType", wait_event as "waitEvent",
              left(query, 160) as query, pg_blocking_pids(pid) as "blockedBy"
       from pg_stat_activity where pid <> pg_backend_pid()`,
    );
  }

  /** The server's checkpoint, buffer-write and WAL counters and this database's block counters (cumulative). */
  async serverCounters(): Promise<ServerCounters> {
    const rows = await this.db.query<Record<keyof ServerCounters, string>[]>(
      `select b.checkpoints_timed as "checkpointsTimed", b.checkpoints_req as "checkpointsRequested",
              b.buffers_checkpoint as "buffersCheckpoint", b.buffers_clean as "buffersClean",
              b.buffers_backend as "buffersBackend", b.buffers_backend_fsync as "buffersBackendFsync",
              b.buffers_alloc as "buffersAlloc", w.wal_bytes as "walBytes", w.wal_write as "walWrite",
              w.wal_sync as "walSync", d.blks_read as "blocksRead", d.blks_hit as "blocksHit",
              d.temp_bytes as "tempBytes"
       from pg_stat_bgwriter b, pg_stat_wal w, pg_stat_database d where d.datname = current_database()`,
    );
    const r = rows[0]!;
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])) as unknown as ServerCounters;
  }

  /** The query planner's statistics of `table`'s columns in this schema: physical order correlation and distinct values. */
  async columnStats(
    table: string,
  ): Promise<{ column: string; correlation: number | null; distinct: number }[]> {
    return this.db.query(
      `select attname as column, correlation, n_distinct as distinct from pg_stats
       where schemaname = current_schema() and tablename = $1 order by attname`,
      [table],
    );
  }
}
