import { commonShape, env, type ConfigOf, type VarSpec } from '#gridshift/config';

/** An optional bootstrap key: unset, or at least 32 characters (it grants admin). */
const bootstrapKey: VarSpec<string | undefined> = {
  expected: 'unset, or an API key of at least 32 characters (e.g. `openssl rand -base64 32`)',
  parse: (raw) => {
    if (raw === undefined || raw === '') return undefined;
    if (raw.length < 32 || /\s/.test(raw)) throw new Error('too short');
    return raw;
  },
};

/** Environment of apps/admin-api (see apps/admin-api/README.md, "Configuration"). */
export const adminApiConfigShape = {
  ...commonShape,
  PORT: env.int(1, 65535, 3100),
  MIGRATE_ON_BOOT: env.bool(true),
  /** Seeds an admin key with this exact value at boot (idempotent; a revoked one stays revoked). */
  ADMIN_BOOTSTRAP_KEY: bootstrapKey,
  /** Requests per key (or per client address before authentication) per minute. */
  RATE_LIMIT_PER_MINUTE: env.int(1, 1_000_000, 600),
  /** Unknown keys one client address may present per minute before getting 429 (guessing is pointless, lookups are not free). */
  AUTH_FAILURES_PER_MINUTE: env.int(1, 1_000_000, 30),
  /** `/metrics` without a key (Prometheus scrapes on an internal network); false = viewer key needed. */
  METRICS_PUBLIC: env.bool(true),
  /** How long a verified key is trusted without asking PostgreSQL again (revocations elsewhere lag this much). */
  API_KEY_CACHE_SECONDS: env.int(0, 300, 10),
  /** A zone/market whose latest priced slot ended longer ago than this is flagged stale in the views. */
  PRICE_STALE_AFTER_MINUTES: env.int(0, 100_000, 60),
  /** Clusters whose latest load report is older than this are flagged stale. */
  LOAD_STALE_AFTER_MINUTES: env.int(1, 100_000, 15),
  /** Schedules whose derived views (cells, costs, diff inputs) are kept in memory; placements never change. */
  SCHEDULE_CACHE_ENTRIES: env.int(0, 1000, 16),
  /** Largest JSON body accepted, in kB. */
  BODY_LIMIT_KB: env.int(1, 10_240, 256),
} as const;

export type AdminApiConfig = ConfigOf<typeof adminApiConfigShape>;
