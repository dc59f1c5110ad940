import { isIP } from 'node:net';
import { commonShape, env, secret, type ConfigOf, type VarSpec } from '#gridshift/config';

/** An optional bootstrap key: unset, or at least 32 characters (it grants admin); never printed. */
const bootstrapKey: VarSpec<string | undefined> = secret({
  expected: 'unset, or an API key of at least 32 characters (e.g. `openssl rand -base64 32`)',
  parse: (raw) => {
    if (raw === undefined || raw === '') return undefined;
    if (raw.length < 32 || /\s/.test(raw)) throw new Error('too short');
    return raw;
  },
});

/** Express `trust proxy`: false, a hop count, or proxy addresses/subnets (IPv4/IPv6, CIDR, loopback…). */
export type TrustProxy = boolean | number | string[];
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

const trustProxy: VarSpec<TrustProxy> = {
  expected:
    'false (default: the TCP peer is the client), true (trust every hop — only behind a proxy that overwrites X-Forwarded-For), a hop count 0–10, or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)',
  parse: (raw) => {
    const value = (raw ?? '').trim();
    if (value === '' || value === 'false' || value === '0') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops > 10) throw new Error('too many hops');
      return hops;
    }
    const entries = value.split(',').map((e) => e.trim());
    if (!entries.every(isAddressOrSubnet)) throw new Error('not an address list');
    return entries;
  },
};

/** Environment of apps/admin-api (see apps/admin-api/README.md, "Configuration"). */
export const adminApiConfigShape = {
  ...commonShape,
  PORT: env.int(1, 65535, 3100),
  MIGRATE_ON_BOOT: env.bool(true),
  /** Seeds an admin key with this exact value at boot (idempotent; a revoked one stays revoked). */
  ADMIN_BOOTSTRAP_KEY: bootstrapKey,
  /** Requests per key per minute (requests without a valid key are refused by the AccessGuard before this counts). */
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
  /** Which proxies' X-Forwarded-For to believe for the client address (rate limits, logs); see README. */
  TRUST_PROXY: trustProxy,
  /** Wall-clock limit of a what-if's solve, ms (at most the planner's own limit; then the greedy fallback). */
  WHAT_IF_SOLVE_TIME_LIMIT_MS: env.int(100, 300_000, 20_000),
  /** Orders still unacknowledged this long after their last send are listed as overdue (the planner's setting). */
  PLANNER_ACK_TIMEOUT_SECONDS: env.int(1, 86_400, 120),
  /** The built operator console served at /console (default: apps/console/dist of this checkout). */
  CONSOLE_DIR: env.optionalString(),
} as const;

export type AdminApiConfig = ConfigOf<typeof adminApiConfigShape>;
