import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '#gridshift/observability';
import { APP_CONFIG, LOGGER } from '#gridshift/platform';
import type { AdminApiConfig } from '../config.js';
import { TooManyAttemptsError } from '../http/errors.js';
import { hashKey } from './api-keys.js';
import { ApiKeyRepository } from '#gridshift/persistence';
import type { Principal } from './roles.js';

const TOUCH_EVERY_MS = 60_000;
const FAILURE_WINDOW_MS = 60_000;

/** Verifies presented keys against stored hashes, with a short positive cache (API_KEY_CACHE_SECONDS). */
@Injectable()
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; expiresAtMs: number }>();
  private readonly touchedAtMs = new Map<string, number>();
  private readonly failures = new Map<string, { windowStartMs: number; count: number }>();

  constructor(
    private readonly store: ApiKeyRepository,
    @Inject(APP_CONFIG) private readonly config: AdminApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The principal of an active key, or undefined for an unknown or revoked one. A client that presented
   * more than AUTH_FAILURES_PER_MINUTE unknown keys gets TooManyAttemptsError for keys not already verified.
   */
  async authenticate(token: string, client: string): Promise<Principal | undefined> {
    const keyHash = hashKey(token);
    const now = Date.now();
    const cached = this.cache.get(keyHash);
    let principal: Principal | undefined;
    if (cached && cached.expiresAtMs > now) {
      principal = cached.principal;
    } else {
      this.cache.delete(keyHash);
      const waitSeconds = this.blockedForSeconds(client, now);
      if (waitSeconds > 0) {
        throw new TooManyAttemptsError(
          `too many unknown API keys from this address; retry in ${waitSeconds} s`,
          waitSeconds,
        );
      }
      const row = await this.store.findActiveByHash(keyHash);
      if (!row) {
        this.recordFailure(client, now);
        return undefined;
      }
      principal = { keyId: row.id, name: row.name, role: row.role, keyPrefix: row.keyPrefix };
      const ttlMs = this.config.API_KEY_CACHE_SECONDS * 1000;
      if (ttlMs > 0) {
        if (this.cache.size > 10_000) this.cache.clear();
        this.cache.set(keyHash, { principal, expiresAtMs: now + ttlMs });
      }
    }
    this.touch(principal.keyId, now);
    return principal;
  }

  /** Seconds `client` must wait because it presented too many unknown keys this minute (0 = go ahead). */
  blockedForSeconds(client: string, now = Date.now()): number {
    const seen = this.failures.get(client);
    if (!seen || now - seen.windowStartMs >= FAILURE_WINDOW_MS) return 0;
    if (seen.count < this.config.AUTH_FAILURES_PER_MINUTE) return 0;
    return Math.max(1, Math.ceil((seen.windowStartMs + FAILURE_WINDOW_MS - now) / 1000));
  }

  /** Counts one unknown or revoked key presented by `client` (fixed one-minute windows). */
  recordFailure(client: string, now = Date.now()): void {
    const seen = this.failures.get(client);
    if (!seen || now - seen.windowStartMs >= FAILURE_WINDOW_MS) {
      if (this.failures.size > 10_000) this.failures.clear();
      this.failures.set(client, { windowStartMs: now, count: 1 });
    } else seen.count += 1;
  }

  /** Drops a key from the cache at once (after revoking it in this process). */
  forget(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.keyId === keyId) this.cache.delete(hash);
  }

  private touch(keyId: string, now: number): void {
    if ((this.touchedAtMs.get(keyId) ?? 0) + TOUCH_EVERY_MS > now) return;
    this.touchedAtMs.set(keyId, now);
    this.store
      .touch(keyId)
      .catch((error: unknown) => this.logger.warn({ err: error, keyId }, 'key touch failed'));
  }
}
