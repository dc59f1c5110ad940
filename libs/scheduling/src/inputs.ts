import type { DataSource, EntityManager } from 'typeorm';
import { BAND_ORIGIN_DAYS } from '#gridshift/forecast';
import {
  PlanningInputsRepository,
  PriceRepository,
  type JobRow,
  type PriceIntervalRow,
} from '#gridshift/persistence';
import type { Assumption } from './assumptions.js';
import { forecastCapacity, type ClusterStateSnapshot } from './capacity-forecast.js';
import {
  fillMissingZonePrices,
  firstUnpublishedSlot,
  forecastCutoffMs,
  hourlyPriceHistory,
  resolveZonePrices,
  type PriceCandidate,
  type ZonePriceSeries,
} from './price-resolution.js';
import type { PlanningSettings } from './settings.js';

// Phase 1 of a plan: read what the plan is built from (through libs/persistence) and resolve it per slot with
// the pure price resolution (price-resolution.ts) and capacity forecast (capacity-forecast.ts).

export type { JobRow } from '#gridshift/persistence';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

/** A registered cluster with its capacity forecast per slot. */
export interface PlanningCluster {
  id: string;
  name: string;
  region: string;
  zone: string;
  gpuModel: string;
  gpuTotal: number;
  kwPerGpu: number;
  pue: number;
  /** Facility power cap, kW: one value for every slot, or one per slot once grid events apply (`grid-events.ts`). */
  powerCapKw: number | (number | null)[] | null;
  /** True in slots whose power cap comes from a grid event. */
  gridEventCap?: readonly boolean[];
  latencyMsByOrigin: Record<string, number>;
  state: ClusterStateSnapshot | null;
  /** Forecast schedulable GPUs per slot. */
  schedulableGpus: number[];
}

/** An active job as stored (dates as ISO strings). */
export interface PlanningJob {
  id: string;
  name: string;
  model: string;
  kind: 'interactive' | 'batch';
  tokensPerSecondPerGpu: Record<string, number>;
  tokensPerHour: number | null;
  demandProfile: number[] | null;
  totalTokens: number | null;
  windowStartUtc: string | null;
  deadlineUtc: string | null;
  origin: string;
  latencySlaMs: number | null;
  residency: string[];
  tier: string;
  maxGpus: number;
  pins: { mustRunIn?: string[]; mustNotRunIn?: string[] };
  /** Where the job runs without gridshift (home baseline); null = first allowed cluster. */
  homeClusterId: string | null;
}

/** Everything one plan is built from, already resolved per slot, plus what had to be assumed. */
export interface PlanningInputs {
  nowUtc: string;
  horizonStartUtc: string;
  slotMinutes: number;
  slotStartsUtc: string[];
  clusters: PlanningCluster[];
  zones: ZonePriceSeries[];
  jobs: PlanningJob[];
  assumptions: Assumption[];
  settings: PlanningSettings;
}

/** The slot grid: the horizon starts at the start of the slot containing `now`. */
export function slotGrid(
  nowMs: number,
  settings: Pick<PlanningSettings, 'horizonHours' | 'slotMinutes'>,
): { horizonStartMs: number; slotStartsUtc: string[]; slotStartsMs: number[] } {
  const slotMs = settings.slotMinutes * MS_PER_MINUTE;
  const horizonStartMs = Math.floor(nowMs / slotMs) * slotMs;
  const count = Math.max(1, Math.round((settings.horizonHours * 60) / settings.slotMinutes));
  const slotStartsMs = Array.from({ length: count }, (_, i) => horizonStartMs + i * slotMs);
  return {
    horizonStartMs,
    slotStartsMs,
    slotStartsUtc: slotStartsMs.map((ms) => new Date(ms).toISOString()),
  };
}

type Db = DataSource | EntityManager;

/** Options of `loadInputs`. */
export interface LoadInputsOptions {
  settings: PlanningSettings;
  /** The planning clock; default the wall clock. */
  now?: Date;
  /** Skip reading jobs (change detection only needs prices and capacity). */
  withJobs?: boolean;
}

/** A stored interval as the price resolution reads it. */
function toCandidate(p: PriceIntervalRow): PriceCandidate {
  return {
    intervalStartMs: p.intervalStart.getTime(),
    minutes: p.intervalMinutes,
    market: p.market,
    pricePerMwh: p.pricePerMwh,
    carbonGPerKwh: p.carbonGPerKwh,
    issuedAtMs: p.issuedAt.getTime(),
    partnerId: p.partnerId,
    coverageMinutes: p.coverageMinutes,
  };
}

/**
 * Phase 1 — reads clusters, their latest state and recent load, prices around the horizon and the
 * active jobs, and resolves prices and capacity per slot (flagging every assumption).
 */
export async function loadInputs(db: Db, options: LoadInputsOptions): Promise<PlanningInputs> {
  const { settings } = options;
  const nowMs = (options.now ?? new Date()).getTime();
  const grid = slotGrid(nowMs, settings);
  const horizonEndMs = grid.horizonStartMs + grid.slotStartsMs.length * settings.slotMinutes * MS_PER_MINUTE;
  const planning = new PlanningInputsRepository(db);
  const prices = new PriceRepository(db);
  const clusterRows = await planning.activeClustersWithState();
  const clusterIds = clusterRows.map((c) => c.id);
  const zones = [...new Set(clusterRows.map((c) => c.zone))].sort();
  const [profileRows, priceRows, lastRows, jobRows] = await Promise.all([
    planning.schedulableMedianByHour(
      clusterIds,
      new Date(nowMs - settings.capacityLookbackHours * MS_PER_HOUR),
      new Date(nowMs),
    ),
    prices.intervalsBetween(zones, new Date(grid.horizonStartMs), new Date(horizonEndMs)),
    prices.lastIntervalsBefore(zones, new Date(grid.horizonStartMs)),
    options.withJobs === false
      ? Promise.resolve([])
      : planning.activeJobsOverlapping(new Date(grid.horizonStartMs), new Date(horizonEndMs)),
  ]);

  const assumptions: Assumption[] = [];
  const profiles = new Map<string, Map<number, number>>();
  for (const r of profileRows) {
    let m = profiles.get(r.clusterId);
    if (!m) profiles.set(r.clusterId, (m = new Map<number, number>()));
    m.set(r.hour, r.medianGpus);
  }
  const clusters: PlanningCluster[] = clusterRows.map(({ state: reported, ...fleet }) => {
    const state: ClusterStateSnapshot | null =
      reported === null
        ? null
        : {
            observedAtUtc: reported.observedAt.toISOString(),
            gpuTotal: reported.gpuTotal ?? fleet.gpuTotal,
            gpuBusy: reported.gpuBusy ?? 0,
            gpuSchedulable: reported.gpuSchedulable ?? 0,
            powerCapKw: reported.powerCapKw,
            pue: reported.pue ?? fleet.pue,
          };
    const base = { id: fleet.id, gpuTotal: fleet.gpuTotal, state };
    const forecast = forecastCapacity(
      base,
      profiles.get(fleet.id) ?? new Map<number, number>(),
      grid.slotStartsMs,
      nowMs,
      settings.loadMaxAgeMinutes,
    );
    assumptions.push(...forecast.assumptions);
    return {
      ...fleet,
      // The latest reported PUE and power cap win over the registered ones.
      pue: state?.pue ?? fleet.pue,
      powerCapKw: state?.powerCapKw ?? fleet.powerCapKw,
      state,
      schedulableGpus: forecast.schedulableGpus,
    };
  });

  const candidatesByZone = new Map<string, PriceCandidate[]>();
  for (const p of priceRows) {
    const list = candidatesByZone.get(p.zone);
    if (list) list.push(toCandidate(p));
    else candidatesByZone.set(p.zone, [toCandidate(p)]);
  }
  const lastByZone = new Map(lastRows.map((p) => [p.zone, toCandidate(p)]));
  const horizonCandidates = new Map(
    zones.map((zone) => [
      zone,
      (candidatesByZone.get(zone) ?? []).filter(
        (c) => c.intervalStartMs + c.minutes * MS_PER_MINUTE > grid.horizonStartMs,
      ),
    ]),
  );
  // gridshift forecasts the slots after the last published one from the zone's history before that slot's
  // hour, as stored with issued_at <= now (no look-ahead); the bands need BAND_ORIGIN_DAYS more days.
  const cutoffs = zones.flatMap((zone) => {
    const first = firstUnpublishedSlot(grid.slotStartsMs, settings.slotMinutes, horizonCandidates.get(zone)!);
    return first < grid.slotStartsMs.length
      ? [{ zone, beforeMs: forecastCutoffMs(grid.slotStartsMs[first]!) }]
      : [];
  });
  const historyHours = settings.forecastLookbackHours + BAND_ORIGIN_DAYS * 24;
  const historyPoints = await prices.hourlyHistory(cutoffs, historyHours, new Date(nowMs));
  const historyByZone = new Map(
    cutoffs.map((c) => [
      c.zone,
      hourlyPriceHistory(
        historyPoints.filter((p) => p.zone === c.zone),
        c.beforeMs,
        historyHours,
      ),
    ]),
  );
  const missing = new Map<string, number[]>();
  const series = zones.map((zone) => {
    const history = historyByZone.get(zone);
    const resolved = resolveZonePrices(
      zone,
      grid.slotStartsMs,
      settings.slotMinutes,
      horizonCandidates.get(zone)!,
      // Rows just before the horizon that still overlap it are candidates, not carried prices.
      lastByZone.get(zone) ?? null,
      nowMs,
      settings.priceMaxAgeHours,
      history ? { history, lookbackHours: settings.forecastLookbackHours } : null,
    );
    assumptions.push(...resolved.assumptions);
    if (resolved.missingSlots.length > 0) missing.set(zone, resolved.missingSlots);
    return resolved.series;
  });
  assumptions.push(
    ...fillMissingZonePrices(series, missing, grid.slotStartsUtc, settings.missingPricePerMwh),
  );

  return {
    nowUtc: new Date(nowMs).toISOString(),
    horizonStartUtc: new Date(grid.horizonStartMs).toISOString(),
    slotMinutes: settings.slotMinutes,
    slotStartsUtc: grid.slotStartsUtc,
    clusters,
    zones: series,
    jobs: jobRows.map(toPlanningJob),
    assumptions,
    settings,
  };
}

function toPlanningJob(r: JobRow): PlanningJob {
  return {
    id: r.id,
    name: r.name,
    model: r.model,
    kind: r.kind,
    tokensPerSecondPerGpu: r.tokens_per_second_per_gpu ?? {},
    tokensPerHour: r.tokens_per_hour,
    demandProfile: r.demand_profile,
    totalTokens: r.total_tokens,
    windowStartUtc: r.window_start?.toISOString() ?? null,
    deadlineUtc: r.deadline?.toISOString() ?? null,
    origin: r.origin,
    latencySlaMs: r.latency_sla_ms,
    residency: r.residency ?? [],
    tier: r.tier,
    maxGpus: r.max_gpus,
    pins: r.pins ?? {},
    homeClusterId: r.home_cluster_id ?? null,
  };
}

/** The planning clock: `wall` = now; `load-reports` = the newest load report (for replays of past data). */
export async function planningNow(db: Db, mode: 'wall' | 'load-reports', fixed?: string): Promise<Date> {
  if (fixed) return new Date(fixed);
  if (mode === 'wall') return new Date();
  return (await new PlanningInputsRepository(db).newestLoadReportTime()) ?? new Date();
}
