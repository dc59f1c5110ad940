import { commonShape, env, type ConfigOf, type VarSpec } from '#gridshift/config';
import {
  DEFAULT_APPROVAL_POLICY,
  DEFAULT_CHANGE_THRESHOLDS,
  DEFAULT_DRIFT_THRESHOLDS,
  DEFAULT_PLANNING_SETTINGS,
  type ApprovalPolicy,
  type ChangeThresholds,
  type PlanningSettings,
  type SlotMinutes,
} from '#gridshift/scheduling';

/** `{"critical": 1000, "standard": 100}`: penalty per unserved GPU-hour by job tier. */
function tierPenalties(fallback: Record<string, number>): VarSpec<Record<string, number>> {
  const expected = 'a JSON object of tier name → penalty per unserved GPU-hour ≥ 0, like {"standard":100}';
  return {
    expected,
    parse: (raw) => {
      if (raw === undefined || raw === '') return { ...fallback };
      const value: unknown = JSON.parse(raw);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(expected);
      const out: Record<string, number> = {};
      for (const [tier, penalty] of Object.entries(value)) {
        if (typeof penalty !== 'number' || !Number.isFinite(penalty) || penalty < 0)
          throw new Error(expected);
        out[tier] = penalty;
      }
      return out;
    },
  };
}

/** An optional ISO-8601 timestamp with an offset (a fixed planning clock for tests and replays). */
function optionalTimestamp(): VarSpec<string | undefined> {
  return {
    expected: 'an ISO-8601 timestamp with Z or an offset, like 2023-03-02T00:00:00Z',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      if (!/(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(Date.parse(raw))) throw new Error('timestamp');
      return new Date(raw).toISOString();
    },
  };
}

const d = DEFAULT_PLANNING_SETTINGS;
const a = DEFAULT_APPROVAL_POLICY;
const c = DEFAULT_CHANGE_THRESHOLDS;

/** Environment of apps/planner (see apps/planner/README.md for the table). */
export const plannerConfigShape = {
  ...commonShape,
  PORT: env.int(1, 65535, 3102),
  MIGRATE_ON_BOOT: env.bool(true),
  PLANNER_CRON: env.cron('0 * * * *'),
  PLANNER_HORIZON_HOURS: env.int(1, 168, d.horizonHours),
  PLANNER_SLOT_MINUTES: env.oneOf(['5', '15', '30', '60'], '60'),
  PLANNER_CURRENCY: env.string(d.currency),
  PLANNER_TIER_PENALTIES: tierPenalties(d.tierPenaltiesPerGpuHour),
  PLANNER_DEFAULT_PENALTY_PER_GPU_HOUR: env.number(0, 1e9, d.defaultPenaltyPerGpuHour),
  PLANNER_CARBON_PRICE_PER_TONNE: env.number(0, 100_000, d.carbonPricePerTonne),
  PLANNER_STABILITY_COST_PER_GPU_HOUR: env.number(0, 1e6, d.stabilityCostPerGpuHour),
  PLANNER_PRICE_MAX_AGE_HOURS: env.number(0, 24 * 365, d.priceMaxAgeHours),
  PLANNER_MISSING_PRICE_PER_MWH: env.number(-10_000, 100_000, d.missingPricePerMwh),
  PLANNER_LOAD_MAX_AGE_MINUTES: env.number(0, 60 * 24 * 365, d.loadMaxAgeMinutes),
  PLANNER_CAPACITY_LOOKBACK_HOURS: env.int(1, 24 * 90, d.capacityLookbackHours),
  PLANNER_FORECAST_LOOKBACK_HOURS: env.int(24, 24 * 366, d.forecastLookbackHours),
  PLANNER_SOLVE_TIME_LIMIT_MS: env.int(100, 600_000, d.solveTimeLimitMs),
  /** Problems up to this many jobs (without a stability term) are solved on the planner's thread; 0 = always the worker. */
  PLANNER_SOLVE_IN_THREAD_MAX_JOBS: env.int(0, 1_000_000, 10_000),
  /**
   * Warm-up at start, before campaigning for leadership: the plan pipeline runs on the stored inputs (nothing is
   * stored) so the first re-plans after a deploy or failover run compiled code; no round starts after this many
   * ms; 0 = off (campaign at once).
   */
  PLANNER_WARMUP_MS: env.int(0, 60_000, 5000),
  /** Rounds of the warm-up at most. */
  PLANNER_WARMUP_ROUNDS: env.int(1, 100, 4),
  PLANNER_CLOCK: env.oneOf(['wall', 'load-reports'], d.clock),
  PLANNER_NOW: optionalTimestamp(),
  PLANNER_APPROVAL_MODE: env.oneOf(['auto', 'manual'], a.mode),
  PLANNER_AUTO_APPROVE_MAX_MOVED_PCT: env.number(0, 100, a.maxMovedPct),
  PLANNER_AUTO_APPROVE_MAX_MOVED_GPU_HOURS: env.number(0, 1e12, 0),
  PLANNER_AUTO_APPROVE_MAX_COST_INCREASE_PCT: env.number(0, 1e6, a.maxCostIncreasePct),
  PLANNER_PRICE_CHANGE_PCT: env.number(0, 1e6, c.pricePct),
  PLANNER_PRICE_CHANGE_ABS_PER_MWH: env.number(0, 1e6, c.priceAbsPerMwh),
  PLANNER_CAPACITY_CHANGE_PCT: env.number(0, 1e6, c.capacityPct),
  PLANNER_CAPACITY_CHANGE_ABS_GPUS: env.int(0, 1_000_000, c.capacityAbsGpus),
  PLANNER_DEBOUNCE_MS: env.int(0, 600_000, 25),
  PLANNER_DEBOUNCE_MAX_MS: env.int(0, 3_600_000, 1000),
  PLANNER_POLL_MS: env.int(100, 3_600_000, 5000),
  PLANNER_LEASE_MS: env.int(1000, 600_000, 10_000),
  PLANNER_RELAY_BATCH_SIZE: env.int(1, 10_000, 500),
  PLANNER_RELAY_POLL_MS: env.int(10, 60_000, 1000),
  /**
   * Kafka transactional id every planner of this deployment shares (a new leader's relay fences the old one);
   * empty = `gridshift-outbox-relay.<KAFKA_TOPIC_PREFIX><database>.<DATABASE_SCHEMA>`.
   */
  PLANNER_RELAY_TRANSACTIONAL_ID: env.optionalString(),
  /** An order not acknowledged this long after its (last) send is sent again with the same message-id. */
  PLANNER_ACK_TIMEOUT_SECONDS: env.int(1, 86_400, 120),
  /** Resends of one order at most; after them it stays unacknowledged (metric and alert). */
  PLANNER_ACK_MAX_RESENDS: env.int(0, 1000, 5),
  /** Drift: realized GPU-hours of a (cluster, slot) departing from the schedule in force by more than this %… */
  PLANNER_DRIFT_PCT: env.number(0, 1e6, DEFAULT_DRIFT_THRESHOLDS.pct),
  /** …and by more than this many GPU-hours triggers a `drift` re-plan. */
  PLANNER_DRIFT_MIN_GPU_HOURS: env.number(0, 1e9, DEFAULT_DRIFT_THRESHOLDS.minGpuHours),
  /**
   * Retention (the leader's job): sent orders whose delivery settled and that a newer order of their cluster
   * follows, and job sets no stored schedule references, are deleted once older than this many days; 0 = never.
   */
  PLANNER_RETENTION_DAYS: env.int(0, 36_500, 30),
  /** How often the retention job runs. */
  PLANNER_RETENTION_INTERVAL_MS: env.int(60_000, 86_400_000, 3_600_000),
  /** Rows the retention job deletes per statement (each its own short transaction). */
  PLANNER_RETENTION_BATCH_SIZE: env.int(1, 100_000, 1000),
  /** Test only: sleep this long between the leadership check and the store transaction. */
  PLANNER_TEST_STORE_DELAY_MS: env.int(0, 600_000, 0),
  /** Test hook: the relay waits this long after claiming a batch, before sending it (0 = off). */
  PLANNER_TEST_RELAY_SEND_DELAY_MS: env.int(0, 600_000, 0),
} as const;

export type PlannerConfig = ConfigOf<typeof plannerConfigShape>;

/** The planning settings the config describes. */
export function planningSettings(config: PlannerConfig): PlanningSettings {
  return {
    clock: config.PLANNER_CLOCK,
    horizonHours: config.PLANNER_HORIZON_HOURS,
    slotMinutes: Number(config.PLANNER_SLOT_MINUTES) as SlotMinutes,
    currency: config.PLANNER_CURRENCY,
    tierPenaltiesPerGpuHour: config.PLANNER_TIER_PENALTIES,
    defaultPenaltyPerGpuHour: config.PLANNER_DEFAULT_PENALTY_PER_GPU_HOUR,
    carbonPricePerTonne: config.PLANNER_CARBON_PRICE_PER_TONNE,
    stabilityCostPerGpuHour: config.PLANNER_STABILITY_COST_PER_GPU_HOUR,
    priceMaxAgeHours: config.PLANNER_PRICE_MAX_AGE_HOURS,
    missingPricePerMwh: config.PLANNER_MISSING_PRICE_PER_MWH,
    loadMaxAgeMinutes: config.PLANNER_LOAD_MAX_AGE_MINUTES,
    capacityLookbackHours: config.PLANNER_CAPACITY_LOOKBACK_HOURS,
    forecastLookbackHours: config.PLANNER_FORECAST_LOOKBACK_HOURS,
    solveTimeLimitMs: config.PLANNER_SOLVE_TIME_LIMIT_MS,
  };
}

/** The approval policy the config describes. */
export function approvalPolicy(config: PlannerConfig): ApprovalPolicy {
  return {
    mode: config.PLANNER_APPROVAL_MODE,
    maxMovedPct: config.PLANNER_AUTO_APPROVE_MAX_MOVED_PCT,
    maxMovedGpuHours:
      config.PLANNER_AUTO_APPROVE_MAX_MOVED_GPU_HOURS > 0
        ? config.PLANNER_AUTO_APPROVE_MAX_MOVED_GPU_HOURS
        : null,
    maxCostIncreasePct: config.PLANNER_AUTO_APPROVE_MAX_COST_INCREASE_PCT,
  };
}

/** The change-detection thresholds the config describes. */
export function changeThresholds(config: PlannerConfig): ChangeThresholds {
  return {
    pricePct: config.PLANNER_PRICE_CHANGE_PCT,
    priceAbsPerMwh: config.PLANNER_PRICE_CHANGE_ABS_PER_MWH,
    capacityPct: config.PLANNER_CAPACITY_CHANGE_PCT,
    capacityAbsGpus: config.PLANNER_CAPACITY_CHANGE_ABS_GPUS,
  };
}

/** The relay's Kafka transactional id: one per deployment (database, schema and topic prefix). */
export function relayTransactionalId(
  config: Pick<
    PlannerConfig,
    'PLANNER_RELAY_TRANSACTIONAL_ID' | 'KAFKA_TOPIC_PREFIX' | 'DATABASE_URL' | 'DATABASE_SCHEMA'
  >,
): string {
  if (config.PLANNER_RELAY_TRANSACTIONAL_ID) return config.PLANNER_RELAY_TRANSACTIONAL_ID;
  const url = new URL(config.DATABASE_URL);
  const database = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  return `gridshift-outbox-relay.${config.KAFKA_TOPIC_PREFIX ?? ''}${database}.${config.DATABASE_SCHEMA}`;
}
