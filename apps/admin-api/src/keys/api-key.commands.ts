import type { DataSource } from 'typeorm';
import { type ApiKeyRow, ApiKeyRepository, AuditRepository, isoOrNull } from '#gridshift/persistence';
import { ConflictError, NotFoundError } from '../http/errors.js';
import { externalKeyPrefix, generateKey, hashKey } from '../auth/api-keys.js';
import type { Role } from '../auth/roles.js';
import type { ApiKeyView } from './keys.schemas.js';

/** API-key row → response shape. */
export function keyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    keyPrefix: row.keyPrefix,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    revokedAt: isoOrNull(row.revokedAt),
    lastUsedAt: isoOrNull(row.lastUsedAt),
  };
}

const auditView = (row: ApiKeyRow) => ({
  name: row.name,
  role: row.role,
  keyPrefix: row.keyPrefix,
  revokedAt: isoOrNull(row.revokedAt),
});

/** Key changes, each in one transaction with its audit row. Used by the HTTP API and the CLI. */
export class ApiKeyCommands {
  private readonly store: ApiKeyRepository;
  private readonly audit: AuditRepository;

  constructor(private readonly db: DataSource) {
    this.store = new ApiKeyRepository(db);
    this.audit = new AuditRepository(db);
  }

  /** Creates a key; the secret is in the result and nowhere else. */
  async create(actor: string, input: { name: string; role: Role }): Promise<ApiKeyView & { key: string }> {
    const generated = generateKey();
    const row = await this.db.transaction(async (manager) => {
      const inserted = await this.store.insert(
        {
          name: input.name,
          role: input.role,
          keyPrefix: generated.keyPrefix,
          keyHash: generated.keyHash,
          createdBy: actor,
        },
        manager,
      );
      await this.audit.record(
        {
          actor,
          action: 'api-key.create',
          targetType: 'api-key',
          targetId: inserted.id,
          after: auditView(inserted),
        },
        manager,
      );
      return inserted;
    });
    return { ...keyView(row), key: generated.key };
  }

  /**
   * Revokes a key (idempotent: an already revoked key is returned unchanged, with no audit row). Refuses to
   * revoke the last active admin key, which would lock every admin out.
   */
  async revoke(actor: string, id: string, reason?: string): Promise<{ key: ApiKeyView; changed: boolean }> {
    return this.db.transaction(async (manager) => {
      const before = await this.store.lock(id, manager);
      if (!before) throw new NotFoundError('api key', id, { name: 'id', in: 'path' });
      if (before.revokedAt) return { key: keyView(before), changed: false };
      if (before.role === 'admin' && (await this.store.otherActiveAdmins(id, manager)) === 0) {
        throw new ConflictError(
          'this is the last active admin key; create another admin key before revoking it',
        );
      }
      const after = await this.store.revoke(id, manager);
      await this.audit.record(
        {
          actor,
          action: 'api-key.revoke',
          targetType: 'api-key',
          targetId: id,
          before: auditView(before),
          after: auditView(after),
          reason: reason ?? null,
        },
        manager,
      );
      return { key: keyView(after), changed: true };
    });
  }

  /** Seeds ADMIN_BOOTSTRAP_KEY as an admin key unless that key was ever stored; true when it was added now. */
  async ensureBootstrapKey(key: string): Promise<boolean> {
    const keyHash = hashKey(key);
    if (await this.store.existsByHash(keyHash)) return false;
    try {
      await this.db.transaction(async (manager) => {
        const row = await this.store.insert(
          {
            name: 'bootstrap-admin',
            role: 'admin',
            keyPrefix: externalKeyPrefix(key),
            keyHash,
            createdBy: 'env:ADMIN_BOOTSTRAP_KEY',
          },
          manager,
        );
        await this.audit.record(
          {
            actor: 'env:ADMIN_BOOTSTRAP_KEY',
            action: 'api-key.create',
            targetType: 'api-key',
            targetId: row.id,
            after: auditView(row),
          },
          manager,
        );
      });
      return true;
    } catch (error) {
      // Another replica seeded it at the same moment (unique key_hash).
      if ((error as { code?: unknown }).code === '23505') return false;
      throw error;
    }
  }

  /** Every key (for admins and the CLI). */
  async list(includeRevoked: boolean): Promise<ApiKeyView[]> {
    return (await this.store.list(includeRevoked)).map(keyView);
  }
}
