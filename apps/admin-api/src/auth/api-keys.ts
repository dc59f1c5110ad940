import { createHash, randomBytes } from 'node:crypto';

/** Prefix of generated keys (greppable in logs and secret scanners). */
export const KEY_PREFIX = 'gsk_';

export interface GeneratedKey {
  /** The secret, shown once at creation and never stored. */
  key: string;
  /** A non-secret head of the key for telling keys apart in lists (`gsk_3fa2b1c0`). */
  keyPrefix: string;
  /** SHA-256 (hex) of the whole key: what is stored and looked up. */
  keyHash: string;
}

/** SHA-256 hex of a presented key. A plain hash suffices: keys carry 256 random bits, so no dictionary applies. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key: `gsk_<8 hex>_<43 base64url chars>` (32 random bytes of secret). */
export function generateKey(): GeneratedKey {
  const head = `${KEY_PREFIX}${randomBytes(4).toString('hex')}`;
  const key = `${head}_${randomBytes(32).toString('base64url')}`;
  return { key, keyPrefix: head, keyHash: hashKey(key) };
}

/** The listing prefix of an operator-chosen key (ADMIN_BOOTSTRAP_KEY): derived from its hash, never its text. */
export function externalKeyPrefix(key: string): string {
  return `ext_${hashKey(key).slice(0, 8)}`;
}

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1];
}
