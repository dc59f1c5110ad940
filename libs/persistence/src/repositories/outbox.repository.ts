import { queryRows, type Queryable } from './query.js';

/** A placement order to enqueue: its message id, cluster, schedule and the JSON payload. */
export interface OutboxMessage {
  messageId: string;
  clusterId: string;
  scheduleId: string;
  scheduleVersion: number;
  /** The order as JSON text (serialised once by the caller). */
  payload: string;
  /** Whether the order assigns any work (non-empty `slots`); read from the payload when omitted. */
  hasAssignments?: boolean;
  /** Kafka headers sent with it besides message-id and content-type (e.g. `gridshift-reasons`). */
  headers?: Record<string, string>;
}

/** A pending outbox row claimed by the relay. */
export interface PendingOutboxRow {
  id: string;
  messageId: string;
  topic: string;
  messageKey: string;
  /** JSON text, sent as is. */
  payload: string;
  headers: Record<string, string>;
  scheduleId: string;
  scheduleVersion: number;
  clusterId: string;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
}

const ORDERS_PER_STATEMENT = 5_000;

/**
 * Where a retention batch stopped: the last row it took, by (timestamp, key). The timestamp is PostgreSQL's own text
 * of it, microseconds kept: as a JS Date (milliseconds) the next window would start before its own last row and
 * read it again — for ever, when that row is kept.
 */
export interface RetentionCursor {
  at: string;
  key: string;
}

/** One retention batch: rows deleted and where to continue (null: nothing was left to take). */
export interface RetentionBatch {
  deleted: number;
  last: RetentionCursor | null;
}

/**
 * Runs one retention statement — it answers one row `(deleted, last_at, last_key)`, the key as text — as a batch.
 */
export async function retentionBatch(db: Queryable, sql: string, params: unknown[]): Promise<RetentionBatch> {
  const [row] = await queryRows<{ deleted: number; last_at: string | null; last_key: string | null }>(
    db,
    sql,
    params,
  );
  if (row === undefined || row.last_at === null || row.last_key === null)
    return { deleted: row?.deleted ?? 0, last: null };
  return { deleted: row.deleted, last: { at: row.last_at, key: row.last_key } };
}

/**
 * The transactional outbox of placement orders: rows are written in the transaction that approves a schedule
 * and sent by the (fenced) relay. Construct it with the transaction's manager.
 */
export class OutboxRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Per cluster, the version and whether it had assignments of the latest order written before `version`
   * (call under the approval lock). Only that is read: payloads can be hundreds of kB each.
   */
  async latestOrdersBefore(
    version: number,
  ): Promise<{ clusterId: string; version: number; hadAssignments: boolean }[]> {
    const rows = await this.db.query<{ cluster_id: string; version: number; had: boolean }[]>(
      `select c.cluster_id, o.schedule_version as version, o.had
       from (select distinct cluster_id from outbox where schedule_version < $1) c
       cross join lateral (
         select schedule_version,
                coalesce(has_assignments, json_array_length(payload->'slots') > 0) as had
         from outbox
         where outbox.cluster_id = c.cluster_id and schedule_version < $1
         order by schedule_version desc limit 1) o`,
      [version],
    );
    return rows.map((r) => ({ clusterId: r.cluster_id, version: r.version, hadAssignments: r.had }));
  }

  /**
   * Writes messages to `topic` under `leaderEpoch`, keyed by cluster; a message id already present is skipped
   * (a replay is a no-op). One VALUES row per message with its own parameters: a text[] of payloads (hundreds
   * of kB of JSON each) would be escaped by the driver and parsed twice by the server.
   */
  async enqueue(topic: string, leaderEpoch: number, messages: readonly OutboxMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += ORDERS_PER_STATEMENT) {
      const params: unknown[] = [topic, leaderEpoch];
      const values = messages.slice(i, i + ORDERS_PER_STATEMENT).map((m) => {
        params.push(
          m.messageId,
          m.clusterId,
          m.payload,
          JSON.stringify(m.headers ?? {}),
          m.scheduleId,
          m.scheduleVersion,
          m.hasAssignments ?? null,
        );
        const n = params.length;
        return `($${n - 6}, $1, $${n - 5}, $${n - 4}::json, $${n - 3}::jsonb, $${n - 2}::uuid, $${n - 1}::int, $${n - 5}, $2::bigint, $${n}::boolean)`;
      });
      await this.db.query(
        `insert into outbox (message_id, topic, message_key, payload, headers, schedule_id, schedule_version,
                             cluster_id, leader_epoch, has_assignments)
         values ${values.join(', ')}
         on conflict (message_id) do nothing`,
        params,
      );
    }
  }

  /** Wakes the relay (LISTEN/NOTIFY channel of the deployment schema, delivered on commit). */
  async notifyRelay(): Promise<void> {
    await this.db.query(`select pg_notify('gridshift_' || current_schema(), 'outbox')`);
  }

  /** Pending rows and the age of the oldest one. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const rows = await this.db.query<{ pending: number; age: number | null }[]>(
      `select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as age
       from outbox where status = 'pending'`,
    );
    return { pending: rows[0]?.pending ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
  }

  /**
   * Locks and returns up to `limit` pending rows in id order. `for update`, not `skip locked`: skipping a
   * locked row could let a newer order of its cluster overtake it.
   */
  async claimPending(limit: number): Promise<PendingOutboxRow[]> {
    const rows = await this.db.query<
      {
        id: string;
        message_id: string;
        topic: string;
        message_key: string;
        payload: string;
        headers: Record<string, string>;
        schedule_id: string;
        schedule_version: number;
        cluster_id: string;
        attempts: number;
        next_attempt_at: Date;
        created_at: Date;
      }[]
    >(
      `select id::text as id, message_id, topic, message_key, payload::text as payload, headers, schedule_id,
              schedule_version, cluster_id, attempts, next_attempt_at, created_at
       from outbox where status = 'pending' order by outbox.id limit $1 for update`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      topic: r.topic,
      messageKey: r.message_key,
      payload: r.payload,
      headers: r.headers,
      scheduleId: r.schedule_id,
      scheduleVersion: r.schedule_version,
      clusterId: r.cluster_id,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      createdAt: r.created_at,
    }));
  }

  /** Records a failed send of pending rows: one more attempt, the error (≤ 2,000 chars), retry after `delayMs`. */
  async markAttemptFailed(ids: readonly string[], error: string, delayMs: number): Promise<void> {
    await this.db.query(
      `update outbox set attempts = attempts + 1, last_error = $2,
              next_attempt_at = now() + $3 * interval '1 millisecond'
       where id = any($1::bigint[]) and status = 'pending'`,
      [ids, error.slice(0, 2000), delayMs],
    );
  }

  /** Marks pending rows sent. */
  async markSent(ids: readonly string[]): Promise<void> {
    await this.db.query(
      `update outbox set status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = null
       where id = any($1::bigint[]) and status = 'pending'`,
      [ids],
    );
  }

  /**
   * Retention: of the next `limit` orders sent before `sentBefore` in (sent_at, id) order from after `after` (the
   * previous batch's `last`; none: from the oldest), deletes those whose delivery settled (applied, partially
   * applied or rejected: no ack is awaited any more and no resend can set them pending again) and that a newer
   * order of the same cluster follows (`latestOrdersBefore` reads each cluster's newest). Pending, unacknowledged
   * and merely accepted orders stay whatever their age. `last` is the last order looked at (null when none was
   * left), so a pass walks the old sent orders once. The window is read first (a materialized CTE over migration
   * 44's index), so each batch's work is bounded by `limit` whatever plan PostgreSQL picks for the checks: with the
   * checks in the same scan, stale statistics of `deliveries` once gave a plan that took minutes.
   */
  async deleteSettledSentBefore(
    sentBefore: Date,
    limit: number,
    after: RetentionCursor | null = null,
  ): Promise<RetentionBatch> {
    return retentionBatch(
      this.db,
      `with window_ as materialized (
         select o.id, o.sent_at from outbox o
         where o.status = 'sent' and o.sent_at < $1
           and (o.sent_at, o.id) > (coalesce($3::timestamptz, '-infinity'), coalesce($4::bigint, 0))
         order by o.sent_at, o.id
         limit $2),
       doomed as (
         select o.id from window_ w
         cross join lateral (
           select o.id, o.schedule_id, o.cluster_id, o.schedule_version from outbox o
           where o.id = w.id and o.status = 'sent'
           for update of o skip locked) o
         where exists (select 1 from deliveries d
                       where d.schedule_id = o.schedule_id and d.cluster_id = o.cluster_id
                         and d.status in ('applied', 'partially-applied', 'rejected'))
           and exists (select 1 from outbox n
                       where n.cluster_id = o.cluster_id and n.schedule_version > o.schedule_version)),
       gone as (delete from outbox o using doomed where o.id = doomed.id and o.status = 'sent' returning 1),
       last as (select sent_at, id from window_ order by sent_at desc, id desc limit 1)
       select (select count(*)::int from gone) as deleted, (select sent_at::text from last) as last_at,
              (select id::text from last) as last_key`,
      [sentBefore, limit, after?.at ?? null, after?.key ?? null],
    );
  }

  /** The ones of `scheduleIds` that are approved and have no pending row left (ready to be published). */
  async fullySentApprovedSchedules(scheduleIds: readonly string[]): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      `select s.id from schedules s where s.id = any($1::uuid[]) and s.status = 'approved'
         and not exists (select 1 from outbox o where o.schedule_id = s.id and o.status = 'pending')`,
      [scheduleIds],
    );
    return rows.map((r) => r.id);
  }
}
