import type { Queryable } from './query.js';

/** Name of the lease row in planner_leases. */
export const PLANNER_LEASE = 'planner';

/** A dedicated `pg` connection (a `pg.Client`): the leader holds its advisory lock on one; the listener listens on one. */
export interface LeaseSession {
  query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * The planner lease: one row in `planner_leases` whose epoch every election bumps, guarded by a session
 * advisory lock per deployment schema. Election runs on a dedicated connection (`LeaseSession`); the relay
 * and the lifecycle read the epoch through TypeORM.
 */
export class PlannerLeaseRepository {
  /** Tries the deployment's advisory lock on the leader's session; true when this session holds it now. */
  static async tryLock(session: LeaseSession, schema: string): Promise<boolean> {
    const locked = await session.query<{ ok: boolean }>(`select pg_try_advisory_lock(hashtext($1)) as ok`, [
      `gridshift-planner:${schema}`,
    ]);
    return locked.rows[0]?.ok === true;
  }

  /** Takes the lease for `holder` for `leaseMs`, bumping the epoch (1 for the first leader); returns it. */
  static async bumpEpoch(session: LeaseSession, holder: string, leaseMs: number): Promise<number> {
    const bumped = await session.query<{ epoch: string }>(
      `insert into planner_leases (name, holder, epoch, lease_until, updated_at)
       values ($1, $2, 1, now() + $3 * interval '1 millisecond', now())
       on conflict (name) do update set holder = excluded.holder, epoch = planner_leases.epoch + 1,
         lease_until = excluded.lease_until, updated_at = now()
       returning epoch::text as epoch`,
      [PLANNER_LEASE, holder, leaseMs],
    );
    return Number(bumped.rows[0]!.epoch);
  }

  /** Extends the lease of `holder` at `epoch`; false when the row names another leader. */
  static async renew(
    session: LeaseSession,
    holder: string,
    epoch: number,
    leaseMs: number,
  ): Promise<boolean> {
    const renewed = await session.query(
      `update planner_leases set lease_until = now() + $3 * interval '1 millisecond', updated_at = now()
       where name = $1 and holder = $2 and epoch = $4`,
      [PLANNER_LEASE, holder, leaseMs, epoch],
    );
    return (renewed.rowCount ?? 0) > 0;
  }

  constructor(private readonly db: Queryable) {}

  /**
   * Declares the planner's leader epoch for the rest of the transaction (the fencing trigger of migration
   * 1732380000006 rejects writes of a stale epoch with SQLSTATE GSE01) and bounds idle time in it to 10 s.
   */
  async declareWriterEpoch(epoch: number): Promise<void> {
    await this.db.query(
      `select set_config('gridshift.leader_epoch', $1, true),
              set_config('idle_in_transaction_session_timeout', '10s', true)`,
      [String(epoch)],
    );
  }

  /** The current epoch, 0 before the first election. */
  async currentEpoch(): Promise<number> {
    const rows = await this.db.query<{ epoch: string }[]>(
      `select coalesce((select epoch from planner_leases where name = $1), 0)::text as epoch`,
      [PLANNER_LEASE],
    );
    return Number(rows[0]!.epoch);
  }

  /**
   * The current epoch, read `for share` for the rest of the transaction: a takeover bumps the epoch with an
   * update of this row, so it waits for the transaction. Undefined when there is no lease row.
   */
  async epochForShare(): Promise<number | undefined> {
    const rows = await this.db.query<{ epoch: string }[]>(
      `select epoch::text as epoch from planner_leases where name = $1 for share`,
      [PLANNER_LEASE],
    );
    return rows[0] === undefined ? undefined : Number(rows[0].epoch);
  }
}
