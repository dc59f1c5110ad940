import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { ApiRole } from '../types.js';
import { queryRows } from './query.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiRole;
  keyPrefix: string;
  createdAt: Date;
  createdBy: string | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

interface Raw {
  id: string;
  name: string;
  role: ApiRole;
  key_prefix: string;
  created_at: Date;
  created_by: string | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = 'id, name, role, key_prefix, created_at, created_by, revoked_at, last_used_at';
const fromRaw = (r: Raw): ApiKeyRow => ({
  id: r.id,
  name: r.name,
  role: r.role,
  keyPrefix: r.key_prefix,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/** API keys in PostgreSQL (only hashes are stored). Writes take the caller's transaction manager. */
export class ApiKeyRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts a key row; returns it. */
  async insert(
    key: { name: string; role: ApiRole; keyPrefix: string; keyHash: string; createdBy: string | null },
    manager: DataSource | EntityManager = this.db,
  ): Promise<ApiKeyRow> {
    const rows = await manager.query<Raw[]>(
      `insert into api_keys (id, name, role, key_prefix, key_hash, created_by) values ($1, $2, $3, $4, $5, $6)
       returning ${COLUMNS}`,
      [randomUUID(), key.name, key.role, key.keyPrefix, key.keyHash, key.createdBy],
    );
    return fromRaw(rows[0]!);
  }

  /** The active (not revoked) key with this hash, if any. */
  async findActiveByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const rows = await this.db.query<Raw[]>(
      `select ${COLUMNS} from api_keys where key_hash = $1 and revoked_at is null`,
      [keyHash],
    );
    return rows[0] ? fromRaw(rows[0]) : undefined;
  }

  /** True when a key with this hash was ever stored (revoked or not). */
  async existsByHash(keyHash: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(`select 1 from api_keys where key_hash = $1`, [keyHash]);
    return rows.length > 0;
  }

  /** Every key, newest first; revoked ones only when asked. */
  async list(includeRevoked: boolean): Promise<ApiKeyRow[]> {
    const rows = await this.db.query<Raw[]>(
      `select ${COLUMNS} from api_keys ${includeRevoked ? '' : 'where revoked_at is null'} order by created_at desc, id`,
    );
    return rows.map(fromRaw);
  }

  /** Locks and returns one key row (inside a transaction). */
  async lock(id: string, manager: EntityManager): Promise<ApiKeyRow | undefined> {
    const rows = await manager.query<Raw[]>(`select ${COLUMNS} from api_keys where id = $1 for update`, [id]);
    return rows[0] ? fromRaw(rows[0]) : undefined;
  }

  /** Active admin keys other than `exceptId` (serialised by locking them). */
  async otherActiveAdmins(exceptId: string, manager: EntityManager): Promise<number> {
    const rows = await manager.query<{ id: string }[]>(
      `select id from api_keys where role = 'admin' and revoked_at is null and id <> $1 for update`,
      [exceptId],
    );
    return rows.length;
  }

  /** Marks a key revoked now; returns the updated row. */
  async revoke(id: string, manager: EntityManager): Promise<ApiKeyRow> {
    const rows = await queryRows<Raw>(
      manager,
      `update api_keys set revoked_at = now() where id = $1 returning ${COLUMNS}`,
      [id],
    );
    return fromRaw(rows[0]!);
  }

  /** Records use (callers rate-limit this to about once a minute per key). */
  async touch(id: string): Promise<void> {
    await this.db.query(`update api_keys set last_used_at = now() where id = $1`, [id]);
  }
}
