import type { DataSource, EntityManager } from 'typeorm';

export interface AuditEntry {
  /** Who acted: an API key id/name, `planner` for automatic actions, `cli` for the command line. */
  actor: string;
  /** What was done, e.g. `schedule.approve`, `schedule.reject`, `job.pin`, `api-key.create`. */
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'reason'>> {
  id: string;
  at: Date;
  reason: string | null;
}

/** The operator audit log. Write with the same EntityManager as the change it records (same transaction). */
export class AuditRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** Appends one audit row through `manager` (pass the transaction's manager). */
  async record(entry: AuditEntry, manager: DataSource | EntityManager = this.db): Promise<string> {
    const rows = await manager.query<{ id: string }[]>(
      `insert into audit_log (actor, action, target_type, target_id, before, after, reason)
       values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) returning id::text as id`,
      [
        entry.actor,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
        entry.reason ?? null,
      ],
    );
    return rows[0]!.id;
  }

  /** Audit rows newest first, optionally filtered, keyset-paginated by id. */
  async list(filter: {
    from?: Date;
    to?: Date;
    actor?: string;
    action?: string;
    targetType?: string;
    targetId?: string;
    beforeId?: string;
    limit: number;
  }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.from) add('at >= ?', filter.from);
    if (filter.to) add('at < ?', filter.to);
    if (filter.actor) add('actor = ?', filter.actor);
    if (filter.action) add('action = ?', filter.action);
    if (filter.targetType) add('target_type = ?', filter.targetType);
    if (filter.targetId) add('target_id = ?', filter.targetId);
    if (filter.beforeId) add('id < ?::bigint', filter.beforeId);
    params.push(filter.limit);
    const rows = await this.db.query<
      {
        id: string;
        at: Date;
        actor: string;
        action: string;
        target_type: string;
        target_id: string;
        before: unknown;
        after: unknown;
        reason: string | null;
      }[]
    >(
      `select id::text as id, at, actor, action, target_type, target_id, before, after, reason from audit_log
       ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      before: r.before,
      after: r.after,
      reason: r.reason,
    }));
  }
}
