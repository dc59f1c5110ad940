// Every SQL statement of the closed loop's delivery side: deliveries per schedule and cluster, acks (forward-only
// state), refused-job exclusions, resends and settlement times; one table family, one repository.
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query.js';

type Db = DataSource | EntityManager;

/** Where a placement order stands at its data center. */
export type DeliveryStatus = 'sent' | 'accepted' | 'applied' | 'partially-applied' | 'rejected';

/** A settled status: the data center is done with the order. */
export const SETTLED_DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'applied',
  'partially-applied',
  'rejected',
];

const RANK: Record<DeliveryStatus, number> = {
  sent: 0,
  accepted: 1,
  applied: 2,
  'partially-applied': 2,
  rejected: 2,
};

/** One validated acknowledgement, as the ingest stores it. */
export interface AckRow {
  /** The ack's own message-id header (or a deterministic stand-in): replays are no-ops. */
  ackMessageId: string;
  scheduleId: string;
  version: number;
  clusterId: string;
  orderMessageId: string;
  status: Exclude<DeliveryStatus, 'sent'>;
  /** UTC ISO. */
  at: string;
  reasons: { code: string; text: string; jobId?: string }[];
  applied: { jobId: string; slotStart: string; gpus: number }[] | null;
}

/** What storing a chunk of acks did. */
export interface AckStoreOutcome {
  /** Indexes (into the input) of acks naming no order sent to their cluster: dead-lettered UNKNOWN_ORDER. */
  unknown: number[];
  /** Indexes of acks whose order is still waiting for the relay to mark it sent: retry shortly. */
  notYetSent: number[];
  /** New acks stored (replays excluded). */
  stored: number;
  /** Of them, acks of a version older than the newest order sent to the cluster. */
  superseded: number;
  /** Deliveries whose state moved. */
  advanced: number;
  /** Job/cluster exclusions created from `policy` refusals. */
  exclusions: number;
}

/** One delivery as the admin API and the demo show it. */
export interface DeliveryRow {
  scheduleId: string;
  version: number;
  clusterId: string;
  messageId: string;
  status: DeliveryStatus;
  firstSentAt: Date;
  lastSentAt: Date;
  sends: number;
  resends: number;
  ackedAt: Date | null;
  statusAt: Date | null;
  settledAt: Date | null;
  reasons: { code: string; text: string; jobId?: string }[];
  applied: { jobId: string; slotStart: string; gpus: number }[] | null;
  /** A newer order was sent to this cluster since. */
  superseded: boolean;
}

/** An active refusal: the job stays out of the cluster until an operator clears it. */
export interface ExclusionRow {
  id: string;
  jobId: string;
  clusterId: string;
  reason: string;
  scheduleId: string;
  version: number;
  createdAt: Date;
}

/** How long an ack waits for the relay transaction that is marking its order sent (then: retried, not stored). */
const ACK_WAIT_FOR_RELAY_MS = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface DeliveryDb {
  schedule_id: string;
  schedule_version: number;
  cluster_id: string;
  message_id: string;
  status: DeliveryStatus;
  first_sent_at: Date;
  last_sent_at: Date;
  sends: number;
  resends: number;
  acked_at: Date | null;
  status_at: Date | null;
  settled_at: Date | null;
  reasons: { code: string; text: string; jobId?: string }[];
  applied: { jobId: string; slotStart: string; gpus: number }[] | null;
  superseded: boolean;
}

const DELIVERY_COLUMNS = `d.schedule_id::text as schedule_id, d.schedule_version, d.cluster_id, d.message_id, d.status,
  d.first_sent_at, d.last_sent_at, d.sends, d.resends, d.acked_at, d.status_at, d.settled_at, d.reasons, d.applied,
  exists (select 1 from deliveries n where n.cluster_id = d.cluster_id and n.schedule_version > d.schedule_version)
    as superseded`;

function toDelivery(r: DeliveryDb): DeliveryRow {
  return {
    scheduleId: r.schedule_id,
    version: r.schedule_version,
    clusterId: r.cluster_id,
    messageId: r.message_id,
    status: r.status,
    firstSentAt: r.first_sent_at,
    lastSentAt: r.last_sent_at,
    sends: r.sends,
    resends: r.resends,
    ackedAt: r.acked_at,
    statusAt: r.status_at,
    settledAt: r.settled_at,
    reasons: r.reasons,
    applied: r.applied,
    superseded: r.superseded,
  };
}

/**
 * Delivery state of placement orders (`deliveries`, filled by the relay's `sent` marks through a trigger), the
 * acknowledgements that move it, and the job/cluster exclusions that refusals create.
 */
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores a chunk of acks in one transaction: replays (same ack message-id) change nothing; an ack for an order
   * never sent to its cluster is reported `unknown`; one for an order still pending in the outbox `notYetSent`.
   * The delivery state only moves forward (sent → accepted → settled; among settled statuses the later `at`
   * wins). `policy` reasons with a jobId exclude that job from the cluster; a `rejected` order with a `policy`
   * reason and no jobId excludes every job of the order.
   */
  async recordAcks(acks: AckRow[], manager: Db = this.db): Promise<AckStoreOutcome> {
    const outcome: AckStoreOutcome = {
      unknown: [],
      notYetSent: [],
      stored: 0,
      superseded: 0,
      advanced: 0,
      exclusions: 0,
    };
    if (acks.length === 0) return outcome;
    const candidates = acks.map((a, i) => ({ a, i })).filter(({ a }) => UUID.test(a.scheduleId));
    for (const [i, a] of acks.entries()) if (!UUID.test(a.scheduleId)) outcome.unknown.push(i);
    if (candidates.length === 0) return outcome;
    type Known = { schedule_id: string; cluster_id: string; version: number; newest: number; sent: boolean };
    const lookUp = async (orders: { a: AckRow }[]) =>
      manager.query<Known[]>(
        `select o.schedule_id::text as schedule_id, o.cluster_id, o.schedule_version as version,
                d.schedule_id is not null as sent,
                (select max(n.schedule_version) from deliveries n where n.cluster_id = o.cluster_id) as newest
         from (select distinct s, c, v from unnest($1::uuid[], $2::text[], $3::int[]) as k(s, c, v)) k
         join outbox o on o.schedule_id = k.s and o.cluster_id = k.c and o.schedule_version = k.v
         left join deliveries d on d.schedule_id = o.schedule_id and d.cluster_id = o.cluster_id`,
        [
          orders.map(({ a }) => a.scheduleId),
          orders.map(({ a }) => a.clusterId),
          orders.map(({ a }) => a.version),
        ],
      );
    const orderKey = (k: { schedule_id: string; cluster_id: string; version: number }) =>
      `${k.schedule_id}|${k.cluster_id}|${k.version}`;
    const ackKey = (a: AckRow) => `${a.scheduleId.toLowerCase()}|${a.clusterId}|${a.version}`;
    const byOrder = new Map((await lookUp(candidates)).map((k) => [orderKey(k), k]));
    // An ack can overtake the relay's transaction: Kafka took the order and the data center answered before the
    // relay committed its `sent` mark (the delivery row). That transaction holds the order's outbox row, so a
    // share lock on it waits for exactly that commit (no retry with backoff); then the orders are looked up again.
    // Only such orders are locked (in id order, as the relay claims them), each ack transaction locks nothing
    // else first, and a relay stuck in its send makes the wait end after ACK_WAIT_FOR_RELAY_MS (retried then).
    const inFlight = candidates.filter(({ a }) => byOrder.get(ackKey(a))?.sent === false);
    if (inFlight.length > 0) {
      await manager.query(`set local lock_timeout = ${ACK_WAIT_FOR_RELAY_MS}`);
      await manager.query(
        `select 1 from outbox o
         join (select distinct s, c, v from unnest($1::uuid[], $2::text[], $3::int[]) as k(s, c, v)) k
           on o.schedule_id = k.s and o.cluster_id = k.c and o.schedule_version = k.v
         order by o.id for share of o`,
        [
          inFlight.map(({ a }) => a.scheduleId),
          inFlight.map(({ a }) => a.clusterId),
          inFlight.map(({ a }) => a.version),
        ],
      );
      await manager.query(`set local lock_timeout to default`);
      for (const k of await lookUp(inFlight)) byOrder.set(orderKey(k), k);
    }
    const accepted: { a: AckRow; superseded: boolean }[] = [];
    for (const { a, i } of candidates) {
      const k = byOrder.get(ackKey(a));
      if (k === undefined) outcome.unknown.push(i);
      else if (!k.sent) outcome.notYetSent.push(i);
      else accepted.push({ a, superseded: k.newest !== null && a.version < k.newest });
    }
    if (accepted.length === 0) return outcome;

    const inserted = await manager.query<{ ack_message_id: string }[]>(
      `insert into delivery_acks (ack_message_id, schedule_id, schedule_version, cluster_id, order_message_id,
                                  status, acked_at, reasons, applied, superseded)
       select * from unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[],
                            $7::timestamptz[], $8::jsonb[], $9::jsonb[], $10::bool[])
       on conflict (ack_message_id) do nothing
       returning ack_message_id`,
      [
        accepted.map(({ a }) => a.ackMessageId),
        accepted.map(({ a }) => a.scheduleId),
        accepted.map(({ a }) => a.version),
        accepted.map(({ a }) => a.clusterId),
        accepted.map(({ a }) => a.orderMessageId),
        accepted.map(({ a }) => a.status),
        accepted.map(({ a }) => a.at),
        accepted.map(({ a }) => JSON.stringify(a.reasons)),
        accepted.map(({ a }) => (a.applied === null ? null : JSON.stringify(a.applied))),
        accepted.map(({ superseded }) => superseded),
      ],
    );
    const fresh = new Set(inserted.map((r) => r.ack_message_id));
    // A chunk may hold several acks of one order (accepted, then applied): the best of them per order.
    const best = new Map<string, AckRow>();
    for (const { a, superseded } of accepted) {
      if (!fresh.has(a.ackMessageId)) continue;
      fresh.delete(a.ackMessageId); // the same message-id twice in one chunk counts once
      outcome.stored += 1;
      if (superseded) outcome.superseded += 1;
      const key = `${a.scheduleId}|${a.clusterId}`;
      const prev = best.get(key);
      if (
        prev === undefined ||
        RANK[a.status] > RANK[prev.status] ||
        (RANK[a.status] === RANK[prev.status] && Date.parse(a.at) > Date.parse(prev.at))
      )
        best.set(key, a);
    }
    if (best.size === 0) return outcome;
    const moves = [...best.values()];
    const advanced = await queryRows<unknown>(
      manager,
      `update deliveries d set status = x.status, status_at = x.at, reasons = x.reasons, applied = x.applied,
              acked_at = coalesce(d.acked_at, clock_timestamp()),
              settled_at = case when x.rank = 2 then clock_timestamp() else d.settled_at end
       from unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::jsonb[], $7::int[])
         as x(s, c, status, at, reasons, applied, rank)
       where d.schedule_id = x.s and d.cluster_id = x.c
         and (x.rank > case d.status when 'sent' then 0 when 'accepted' then 1 else 2 end
              or (x.rank = 2 and d.status in ('applied','partially-applied','rejected') and x.at > d.status_at))
       returning 1`,
      [
        moves.map((a) => a.scheduleId),
        moves.map((a) => a.clusterId),
        moves.map((a) => a.status),
        moves.map((a) => a.at),
        moves.map((a) => JSON.stringify(a.reasons)),
        moves.map((a) => (a.applied === null ? null : JSON.stringify(a.applied))),
        moves.map((a) => RANK[a.status]),
      ],
    );
    outcome.advanced = advanced.length;
    outcome.exclusions = await this.excludeRefusedJobs(moves, manager);
    return outcome;
  }

  /** Creates the exclusions that `policy` refusals call for (existing active ones stay). */
  private async excludeRefusedJobs(acks: AckRow[], manager: Db): Promise<number> {
    const jobs: string[] = [];
    const clusters: string[] = [];
    const reasons: string[] = [];
    const schedules: string[] = [];
    const versions: number[] = [];
    const wholeOrders: AckRow[] = [];
    for (const a of acks) {
      if (a.status !== 'rejected' && a.status !== 'partially-applied') continue;
      for (const r of a.reasons) {
        if (r.code !== 'policy') continue;
        if (r.jobId === undefined) {
          if (a.status === 'rejected') wholeOrders.push(a);
          continue;
        }
        jobs.push(r.jobId);
        clusters.push(a.clusterId);
        reasons.push(r.text);
        schedules.push(a.scheduleId);
        versions.push(a.version);
      }
    }
    for (const a of wholeOrders) {
      const text = a.reasons.find((r) => r.code === 'policy' && r.jobId === undefined)!.text;
      const rows = await manager.query<{ job_id: string }[]>(
        `select distinct unnest(job_ids) as job_id from placement_cells where schedule_id = $1 and cluster_id = $2`,
        [a.scheduleId, a.clusterId],
      );
      for (const r of rows) {
        jobs.push(r.job_id);
        clusters.push(a.clusterId);
        reasons.push(text);
        schedules.push(a.scheduleId);
        versions.push(a.version);
      }
    }
    if (jobs.length === 0) return 0;
    const created = await manager.query<unknown[]>(
      `insert into delivery_exclusions (job_id, cluster_id, reason, schedule_id, schedule_version)
       select distinct on (j, c) j, c, r, s, v
       from unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::int[]) as x(j, c, r, s, v)
       order by j, c
       on conflict (job_id, cluster_id) where cleared_at is null do nothing
       returning 1`,
      [jobs, clusters, reasons, schedules, versions],
    );
    return created.length;
  }

  /** Whether a schedule with this id exists (a delivery view of an unknown schedule is a 404, not an empty list). */
  async scheduleExists(scheduleId: string): Promise<boolean> {
    const rows = await queryRows<unknown>(this.db, `select 1 from schedules where id = $1`, [scheduleId]);
    return rows.length > 0;
  }

  /** Deliveries of one schedule, by cluster. */
  async forSchedule(scheduleId: string): Promise<DeliveryRow[]> {
    if (!UUID.test(scheduleId)) return [];
    const rows = await this.db.query<DeliveryDb[]>(
      `select ${DELIVERY_COLUMNS} from deliveries d where d.schedule_id = $1 order by d.cluster_id`,
      [scheduleId],
    );
    return rows.map(toDelivery);
  }

  /** Per schedule, how many of its orders are in each status (for schedule lists). */
  async countsBySchedule(
    scheduleIds: string[],
  ): Promise<Map<string, Partial<Record<DeliveryStatus, number>>>> {
    const ids = scheduleIds.filter((id) => UUID.test(id));
    const out = new Map<string, Partial<Record<DeliveryStatus, number>>>();
    if (ids.length === 0) return out;
    const rows = await this.db.query<{ schedule_id: string; status: DeliveryStatus; n: number }[]>(
      `select schedule_id::text as schedule_id, status, count(*)::int as n from deliveries
       where schedule_id = any($1::uuid[]) group by 1, 2`,
      [ids],
    );
    for (const r of rows) {
      const counts = out.get(r.schedule_id) ?? {};
      counts[r.status] = r.n;
      out.set(r.schedule_id, counts);
    }
    return out;
  }

  /**
   * The newest order of each cluster that is still unacknowledged `timeoutSeconds` after its last send and was
   * resent fewer than `maxResends` times: set back to pending in the outbox (the relay sends it again with the
   * same message-id) and counted as a resend. Run by the leader under its epoch (the outbox is fenced).
   */
  async resendUnacknowledged(
    timeoutSeconds: number,
    maxResends: number,
    manager: Db = this.db,
  ): Promise<{ clusterId: string; version: number; resends: number }[]> {
    return queryRows<{ clusterId: string; version: number; resends: number }>(
      manager,
      `with overdue as (
         select d.schedule_id, d.cluster_id from deliveries d
         where d.status = 'sent' and d.last_sent_at < now() - $1 * interval '1 second' and d.resends < $2
           and not exists (select 1 from outbox n where n.cluster_id = d.cluster_id
                             and n.schedule_version > d.schedule_version)
         for update of d skip locked),
       bumped as (
         update deliveries d set resends = d.resends + 1 from overdue o
         where d.schedule_id = o.schedule_id and d.cluster_id = o.cluster_id
         returning d.schedule_id, d.cluster_id, d.schedule_version, d.resends)
       update outbox o set status = 'pending', next_attempt_at = now()
       from bumped b where o.schedule_id = b.schedule_id and o.cluster_id = b.cluster_id and o.status = 'sent'
       returning b.cluster_id as "clusterId", b.schedule_version as version, b.resends`,
      [timeoutSeconds, maxResends],
    );
  }

  /** Orders not acknowledged `timeoutSeconds` after their last send (newest per cluster), and the oldest age. */
  async unacknowledged(timeoutSeconds: number): Promise<{ count: number; oldestAgeSeconds: number }> {
    const rows = await this.db.query<{ count: number; age: number | null }[]>(
      `select count(*)::int as count, extract(epoch from now() - min(d.last_sent_at))::float8 as age
       from deliveries d
       where d.status = 'sent' and d.last_sent_at < now() - $1 * interval '1 second'
         and not exists (select 1 from deliveries n where n.cluster_id = d.cluster_id
                           and n.schedule_version > d.schedule_version)`,
      [timeoutSeconds],
    );
    return { count: rows[0]?.count ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
  }

  /**
   * The orders `unacknowledged` counts, one row each (the newest order of its cluster, still `sent`
   * `timeoutSeconds` after its last send), by cluster id; `afterClusterId` pages on.
   */
  async unacknowledgedOrders(
    timeoutSeconds: number,
    options: { limit: number; afterClusterId?: string },
  ): Promise<DeliveryRow[]> {
    const rows = await this.db.query<DeliveryDb[]>(
      `select ${DELIVERY_COLUMNS} from deliveries d
       where d.status = 'sent' and d.last_sent_at < now() - $1 * interval '1 second'
         and not exists (select 1 from deliveries n where n.cluster_id = d.cluster_id
                           and n.schedule_version > d.schedule_version)
         and ($2::text is null or d.cluster_id > $2 collate "C")
       order by d.cluster_id collate "C" limit $3`,
      [timeoutSeconds, options.afterClusterId ?? null, options.limit],
    );
    return rows.map(toDelivery);
  }

  /** Active exclusions (refused job × cluster), oldest first. */
  async activeExclusions(): Promise<ExclusionRow[]> {
    const rows = await this.db.query<
      {
        id: string;
        job_id: string;
        cluster_id: string;
        reason: string;
        schedule_id: string;
        schedule_version: number;
        created_at: Date;
      }[]
    >(
      `select id::text as id, job_id, cluster_id, reason, schedule_id::text as schedule_id, schedule_version, created_at
       from delivery_exclusions where cleared_at is null order by id`,
    );
    return rows.map((r) => ({
      id: r.id,
      jobId: r.job_id,
      clusterId: r.cluster_id,
      reason: r.reason,
      scheduleId: r.schedule_id,
      version: r.schedule_version,
      createdAt: r.created_at,
    }));
  }

  /** Clears an active exclusion (an operator decided the job may go back); the cleared row, or null if none was active. */
  async clearExclusion(id: string, actor: string, manager: Db = this.db): Promise<ExclusionRow | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const rows = await queryRows<{
      id: string;
      job_id: string;
      cluster_id: string;
      reason: string;
      schedule_id: string;
      schedule_version: number;
      created_at: Date;
    }>(
      manager,
      `update delivery_exclusions set cleared_at = now(), cleared_by = $2
       where id = $1 and cleared_at is null
       returning id::text as id, job_id, cluster_id, reason, schedule_id::text as schedule_id, schedule_version,
                 created_at`,
      [id, actor],
    );
    const r = rows[0];
    return r === undefined
      ? null
      : {
          id: r.id,
          jobId: r.job_id,
          clusterId: r.cluster_id,
          reason: r.reason,
          scheduleId: r.schedule_id,
          version: r.schedule_version,
          createdAt: r.created_at,
        };
  }

  /** Seconds from the first send to the settling ack, of every settled order of these schedules. */
  async settlementSeconds(scheduleIds: string[]): Promise<number[]> {
    const rows = await this.db.query<{ s: number }[]>(
      `select extract(epoch from settled_at - first_sent_at)::float8 as s from deliveries
       where schedule_id = any($1::uuid[]) and settled_at is not null`,
      [scheduleIds.filter((id) => UUID.test(id))],
    );
    return rows.map((r) => r.s);
  }
}
