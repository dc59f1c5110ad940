import type { DataSource, EntityManager } from 'typeorm';

type Db = DataSource | EntityManager;

/** One event interval as stored (UTC, base currency); the contracts' NormalizedGridEventInterval. */
export interface GridEventIntervalRow {
  startUtc: string;
  endUtc: string;
  capKw: number | null;
  reductionKw: number | null;
  reductionPct: number | null;
  priceAdderPerMwh: number | null;
  carbonGPerKwh: number | null;
}

/** A grid event to store (its newest revision wins). */
export interface GridEventWrite {
  eventId: string;
  programId: string;
  modificationNumber: number;
  priority: number;
  zones: string[];
  clusterIds: string[] | null;
  compliance: 'mandatory' | 'voluntary';
  incentivePerMwh: number | null;
  cancelled: boolean;
  intervals: GridEventIntervalRow[];
  contentHash: string;
  messageId: string | null;
}

/** A stored grid event. */
export interface GridEventRow extends Omit<GridEventWrite, 'messageId'> {
  startsAtUtc: string;
  endsAtUtc: string;
  /** The plan in force when the event was first received (its counterfactual), or null. */
  baselineScheduleId: string | null;
  receivedAtUtc: string;
  updatedAtUtc: string;
}

/** What storing one revision did. */
export type GridEventStoreOutcome = 'inserted' | 'updated' | 'unchanged' | 'older' | 'conflict';

/** GPUs and GPU-hours of one (cluster, slot) of a stored schedule. */
export interface ClusterSlotLoadRow {
  clusterId: string;
  slotStartUtc: string;
  gpus: number;
  gpuHours: number;
}

/** A schedule that honoured an event, with the event details it recorded (the `grid-event` assumption). */
export interface HonouringScheduleRow {
  scheduleId: string;
  version: number;
  status: string;
  trigger: string;
  createdAtUtc: string;
  details: Record<string, unknown>;
}

interface DbRow {
  event_id: string;
  program_id: string;
  modification_number: number;
  priority: number;
  zones: string[];
  cluster_ids: string[] | null;
  compliance: 'mandatory' | 'voluntary';
  incentive_per_mwh: number | null;
  cancelled: boolean;
  intervals: GridEventIntervalRow[];
  starts_at: Date;
  ends_at: Date;
  content_hash: string;
  baseline_schedule_id: string | null;
  received_at: Date;
  updated_at: Date;
}

function toRow(r: DbRow): GridEventRow {
  return {
    eventId: r.event_id,
    programId: r.program_id,
    modificationNumber: r.modification_number,
    priority: r.priority,
    zones: r.zones,
    clusterIds: r.cluster_ids,
    compliance: r.compliance,
    incentivePerMwh: r.incentive_per_mwh,
    cancelled: r.cancelled,
    intervals: r.intervals,
    contentHash: r.content_hash,
    startsAtUtc: r.starts_at.toISOString(),
    endsAtUtc: r.ends_at.toISOString(),
    baselineScheduleId: r.baseline_schedule_id,
    receivedAtUtc: r.received_at.toISOString(),
    updatedAtUtc: r.updated_at.toISOString(),
  };
}

const COLUMNS = `event_id, program_id, modification_number, priority, zones, cluster_ids, compliance, incentive_per_mwh,
  cancelled, intervals, starts_at, ends_at, content_hash, baseline_schedule_id, received_at, updated_at`;

/** Grid events: the newest revision per event id; SQL for planning with them and for their delivery reports. */
export class GridEventRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores one revision: a new event id is inserted (its baseline = the plan in force now); a higher
   * modificationNumber replaces the stored one (the baseline stays); an equal one with the same content is a
   * no-op (`unchanged`), with other content `conflict` (nothing written); a lower one is ignored (`older`).
   */
  async store(event: GridEventWrite, manager: Db = this.db): Promise<GridEventStoreOutcome> {
    const starts = event.intervals.map((i) => Date.parse(i.startUtc));
    const ends = event.intervals.map((i) => Date.parse(i.endUtc));
    const written = await manager.query<{ inserted: boolean }[]>(
      `insert into grid_events (event_id, program_id, modification_number, priority, zones, cluster_ids, compliance,
         incentive_per_mwh, cancelled, intervals, starts_at, ends_at, content_hash, message_id, baseline_schedule_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14,
         (select id from schedules where kind = 'plan' and status in ('approved', 'published')
          order by version desc limit 1))
       on conflict (event_id) do update set
         program_id = excluded.program_id, modification_number = excluded.modification_number,
         priority = excluded.priority, zones = excluded.zones, cluster_ids = excluded.cluster_ids,
         compliance = excluded.compliance, incentive_per_mwh = excluded.incentive_per_mwh,
         cancelled = excluded.cancelled, intervals = excluded.intervals, starts_at = excluded.starts_at,
         ends_at = excluded.ends_at, content_hash = excluded.content_hash, message_id = excluded.message_id,
         updated_at = now()
       where grid_events.modification_number < excluded.modification_number
       returning (xmax = 0) as inserted`,
      [
        event.eventId,
        event.programId,
        event.modificationNumber,
        event.priority,
        event.zones,
        event.clusterIds,
        event.compliance,
        event.incentivePerMwh,
        event.cancelled,
        JSON.stringify(event.intervals),
        new Date(Math.min(...starts)),
        new Date(Math.max(...ends)),
        event.contentHash,
        event.messageId,
      ],
    );
    if (written[0]) return written[0].inserted ? 'inserted' : 'updated';
    const stored = await manager.query<{ modification_number: number; content_hash: string }[]>(
      `select modification_number, content_hash from grid_events where event_id = $1`,
      [event.eventId],
    );
    const current = stored[0];
    if (!current || current.modification_number > event.modificationNumber) return 'older';
    return current.content_hash === event.contentHash ? 'unchanged' : 'conflict';
  }

  /** Events not cancelled with an interval overlapping [from, to), oldest first. */
  async activeBetween(from: Date, to: Date): Promise<GridEventRow[]> {
    const rows = await this.db.query<DbRow[]>(
      `select ${COLUMNS} from grid_events
       where not cancelled and ends_at > $1 and starts_at < $2 order by received_at, event_id`,
      [from, to],
    );
    return rows.map(toRow);
  }

  /** One event (also when cancelled), or null. */
  async byId(eventId: string): Promise<GridEventRow | null> {
    const rows = await this.db.query<DbRow[]>(`select ${COLUMNS} from grid_events where event_id = $1`, [
      eventId,
    ]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** GPUs and GPU-hours per (cluster, slot) of a schedule in [from, to), for the clusters given. */
  async clusterSlotLoad(
    scheduleId: string,
    clusterIds: readonly string[],
    from: Date,
    to: Date,
  ): Promise<ClusterSlotLoadRow[]> {
    const rows = await this.db.query<
      { cluster_id: string; slot_start: Date; gpus: number; gpu_hours: number }[]
    >(
      `select c.cluster_id, c.slot_start,
              (select coalesce(sum(g), 0) from unnest(c.gpus) g)::int as gpus,
              (select coalesce(sum(h), 0) from unnest(c.gpu_hours) h)::float8 as gpu_hours
       from placement_cells c
       where c.schedule_id = $1 and c.cluster_id = any($2) and c.slot_start >= $3 and c.slot_start < $4
       order by c.cluster_id, c.slot_start`,
      [scheduleId, clusterIds, from, to],
    );
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      slotStartUtc: r.slot_start.toISOString(),
      gpus: r.gpus,
      gpuHours: r.gpu_hours,
    }));
  }

  /** Plans put in force that recorded the event (a `grid-event` assumption naming it), newest first. */
  async schedulesHonouring(eventId: string, limit = 20): Promise<HonouringScheduleRow[]> {
    const rows = await this.db.query<
      {
        id: string;
        version: number;
        status: string;
        trigger: string;
        created_at: Date;
        details: Record<string, unknown>;
      }[]
    >(
      `select s.id, s.version, s.status, s.trigger, s.created_at, a->'details' as details
       from schedules s cross join lateral jsonb_array_elements(s.assumptions) a
       where s.kind = 'plan' and s.status in ('approved', 'published', 'superseded') and s.assumptions @> $1::jsonb
         and a->>'code' = 'grid-event' and a->'details'->>'eventId' = $2
       order by s.version desc limit $3`,
      [JSON.stringify([{ code: 'grid-event', details: { eventId } }]), eventId, limit],
    );
    return rows.map((r) => ({
      scheduleId: r.id,
      version: r.version,
      status: r.status,
      trigger: r.trigger,
      createdAtUtc: r.created_at.toISOString(),
      details: r.details,
    }));
  }

  /** A schedule's horizon, or null when it is gone. */
  async scheduleHorizon(
    scheduleId: string,
  ): Promise<{ horizonStartUtc: string; horizonEndUtc: string; slotMinutes: number } | null> {
    const rows = await this.db.query<{ horizon_start: Date; horizon_end: Date; slot_minutes: number }[]>(
      `select horizon_start, horizon_end, slot_minutes from schedules where id = $1`,
      [scheduleId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      horizonStartUtc: r.horizon_start.toISOString(),
      horizonEndUtc: r.horizon_end.toISOString(),
      slotMinutes: r.slot_minutes,
    };
  }

  /** kW per GPU and PUE (the latest reported one, else the registered one) of the active clusters in `zones`. */
  async clusterMeters(zones: readonly string[]): Promise<ClusterMeterRow[]> {
    const rows = await this.db.query<{ id: string; zone: string; kw_per_gpu: number; pue: number }[]>(
      `select c.id, c.zone, c.kw_per_gpu, coalesce(s.pue, c.pue) as pue
       from clusters c left join cluster_state s on s.cluster_id = c.id
       where c.active and c.zone = any($1) order by c.id`,
      [zones],
    );
    return rows.map((r) => ({ clusterId: r.id, zone: r.zone, kwPerGpu: r.kw_per_gpu, pue: r.pue }));
  }

  /** The placement problem a schedule was solved on (from its input snapshot), or null. */
  async scheduleProblem(scheduleId: string): Promise<unknown> {
    const rows = await this.db.query<{ problem: unknown }[]>(
      `select case when p.document is null then (s.input_snapshot::jsonb)->'problem'
                   else ((s.input_snapshot::jsonb)->'problem') || jsonb_build_object('jobs', p.document::jsonb) end
                as problem
         from schedules s left join schedule_input_parts p on p.hash = s.input_jobs_hash
        where s.id = $1`,
      [scheduleId],
    );
    return rows[0]?.problem ?? null;
  }

  /** The per-job shortfalls a schedule stored. */
  async scheduleShortfalls(
    scheduleId: string,
  ): Promise<
    { jobId: string; kind: string; gpuHours: number; reasons: { reason: string; gpuHours: number }[] }[]
  > {
    const rows = await this.db.query<{ shortfalls: unknown }[]>(
      `select shortfalls from schedules where id = $1`,
      [scheduleId],
    );
    return (rows[0]?.shortfalls ?? []) as {
      jobId: string;
      kind: string;
      gpuHours: number;
      reasons: { reason: string; gpuHours: number }[];
    }[];
  }
}

/** How a cluster's GPUs turn into facility power. */
export interface ClusterMeterRow {
  clusterId: string;
  zone: string;
  kwPerGpu: number;
  pue: number;
}
