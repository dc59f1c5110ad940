import { DEFAULT_PENALTY_PER_GPU_HOUR, DEFAULT_TIER_PENALTIES_PER_GPU_HOUR } from '#gridshift/placement';
/** Slot lengths a schedule may use (the placement order contract allows these). */
export type SlotMinutes = 5 | 15 | 30 | 60;

/** How the planner turns stored state into a placement problem. Stored in every schedule's input snapshot. */
export interface PlanningSettings {
  /** The planning clock: `wall` = now; `load-reports` = the newest load report (replays of past data). */
  clock: 'wall' | 'load-reports';
  /** Rolling horizon length, hours from the start of the current slot. */
  horizonHours: number;
  slotMinutes: SlotMinutes;
  /** Base currency of stored prices (the ingest exchange-rate base). */
  currency: string;
  /** Penalty per unserved GPU-hour by job tier, base currency. */
  tierPenaltiesPerGpuHour: Record<string, number>;
  /** Penalty for a tier missing from `tierPenaltiesPerGpuHour`. */
  defaultPenaltyPerGpuHour: number;
  /** Carbon price, currency per tonne CO2; 0 = carbon reported, not priced. */
  carbonPricePerTonne: number;
  /** Cost per GPU-hour moved away from the schedule in force; 0 disables the stability term. */
  stabilityCostPerGpuHour: number;
  /** A chosen price issued longer ago than this is flagged stale. */
  priceMaxAgeHours: number;
  /** Price assumed for a slot of a zone without any known price when no other zone has one either. */
  missingPricePerMwh: number;
  /** A cluster whose latest load report is older than this is flagged stale. */
  loadMaxAgeMinutes: number;
  /** History used for the hour-of-day capacity forecast. */
  capacityLookbackHours: number;
  /** Price history (hours) of gridshift's own price forecast for the slots after the last published price. */
  forecastLookbackHours: number;
  /** Wall-clock limit of one solve; on timeout the greedy schedule is used and flagged. */
  solveTimeLimitMs: number;
}

/** When a new schedule is approved without an operator. */
export interface ApprovalPolicy {
  /** `manual`: every schedule stays a draft until an operator approves it. */
  mode: 'auto' | 'manual';
  /** Max share of the in-force schedule's GPU-hours (over the common slots) that may move, %. */
  maxMovedPct: number;
  /** Max GPU-hours that may move; null = no absolute limit. */
  maxMovedGpuHours: number | null;
  /** Max increase of energy + carbon cost per served GPU-hour against the in-force schedule, %. */
  maxCostIncreasePct: number;
}

/** Defaults (apps/planner/README.md's configuration table lists the matching environment variables). */
export const DEFAULT_PLANNING_SETTINGS: PlanningSettings = {
  clock: 'wall',
  horizonHours: 24,
  slotMinutes: 60,
  currency: 'USD',
  tierPenaltiesPerGpuHour: { ...DEFAULT_TIER_PENALTIES_PER_GPU_HOUR },
  defaultPenaltyPerGpuHour: DEFAULT_PENALTY_PER_GPU_HOUR,
  carbonPricePerTonne: 0,
  stabilityCostPerGpuHour: 0,
  priceMaxAgeHours: 48,
  missingPricePerMwh: 150,
  loadMaxAgeMinutes: 30,
  capacityLookbackHours: 168,
  forecastLookbackHours: 8 * 168,
  solveTimeLimitMs: 20_000,
};

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  mode: 'auto',
  maxMovedPct: 50,
  maxMovedGpuHours: null,
  maxCostIncreasePct: 25,
};
