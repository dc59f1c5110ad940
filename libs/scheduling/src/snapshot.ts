import { createHash } from 'node:crypto';
import type { PlacementProblem } from '#gridshift/placement';
import type { PlanningInputs } from './inputs.js';
import type { PriceSource } from './price-resolution.js';
import type { PlanningSettings } from './settings.js';

/** Prices and capacity a plan saw, compact enough to compare on every change notification. */
export interface MarketSignature {
  horizonStartUtc: string;
  slotStartsUtc: string[];
  pricePerMwhByZone: Record<string, number[]>;
  schedulableGpusByCluster: Record<string, number[]>;
  /** Newest day-ahead issue per zone (from price_freshness) when the plan was made. */
  dayAheadIssuedAtByZone: Record<string, string>;
  /** Active grid events (event id → modificationNumber); absent when none was active. */
  gridEventRevisions?: Record<string, number>;
}

/** The input snapshot stored with every schedule: exactly what the solver saw, and where it came from. */
export interface InputSnapshot {
  formatVersion: 1;
  /** The planning clock when the plan was made (not part of the hash). */
  nowUtc: string;
  horizonStartUtc: string;
  slotMinutes: number;
  settings: PlanningSettings;
  market: MarketSignature;
  priceSources: Record<string, { source: PriceSource[]; issuedAtUtc: (string | null)[] }>;
  clusters: {
    id: string;
    name: string;
    region: string;
    zone: string;
    gpuModel: string;
    gpuTotal: number;
    state: PlanningInputs['clusters'][number]['state'];
  }[];
  /** The placement problem; the stability term's previous placements are referenced, not copied. */
  problem: Omit<PlacementProblem, 'stability'> & {
    stability?: { previousScheduleId: string | null; costPerGpuHourMoved: number; cells: number };
  };
  scenario?: unknown;
}

/** The market part of the inputs, for change detection (day-ahead issues only of the zones planned). */
export function marketSignature(
  inputs: Pick<PlanningInputs, 'horizonStartUtc' | 'slotStartsUtc' | 'zones' | 'clusters'>,
  dayAheadIssuedAtByZone: Record<string, string>,
  gridEventRevisions: Record<string, number> = {},
): MarketSignature {
  return {
    ...(Object.keys(gridEventRevisions).length > 0 ? { gridEventRevisions: { ...gridEventRevisions } } : {}),
    horizonStartUtc: inputs.horizonStartUtc,
    slotStartsUtc: [...inputs.slotStartsUtc],
    pricePerMwhByZone: Object.fromEntries(inputs.zones.map((z) => [z.zone, [...z.pricePerMwh]])),
    schedulableGpusByCluster: Object.fromEntries(inputs.clusters.map((c) => [c.id, [...c.schedulableGpus]])),
    dayAheadIssuedAtByZone: Object.fromEntries(
      inputs.zones
        .filter((z) => z.zone in dayAheadIssuedAtByZone)
        .map((z) => [z.zone, dayAheadIssuedAtByZone[z.zone]!]),
    ),
  };
}

/** Builds the snapshot of one plan (pure). */
export function buildSnapshot(
  inputs: PlanningInputs,
  problem: PlacementProblem,
  market: MarketSignature,
  previousScheduleId: string | null,
  scenario?: unknown,
): InputSnapshot {
  const { stability, ...rest } = problem;
  return {
    formatVersion: 1,
    nowUtc: inputs.nowUtc,
    horizonStartUtc: inputs.horizonStartUtc,
    slotMinutes: inputs.slotMinutes,
    settings: inputs.settings,
    market,
    priceSources: Object.fromEntries(
      inputs.zones.map((z) => [z.zone, { source: z.source, issuedAtUtc: z.issuedAtUtc }]),
    ),
    clusters: inputs.clusters.map((c) => ({
      id: c.id,
      name: c.name,
      region: c.region,
      zone: c.zone,
      gpuModel: c.gpuModel,
      gpuTotal: c.gpuTotal,
      state: c.state,
    })),
    problem: stability
      ? {
          ...rest,
          stability: {
            previousScheduleId,
            costPerGpuHourMoved: stability.costPerGpuHourMoved,
            cells: stability.previous.length,
          },
        }
      : rest,
    ...(scenario === undefined ? {} : { scenario }),
  };
}

/**
 * JSON with object keys sorted at every level (arrays keep their order): the same value always gives
 * the same text, whatever order its keys were built or stored in (jsonb reorders keys).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    // Fast path: arrays of numbers / strings (demand series, cluster ids) serialise the same either way.
    if (
      value.every((item) => typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item)))
    ) {
      return JSON.stringify(value);
    }
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  let out = '{';
  for (let i = 0; i < keys.length; i += 1) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(keys[i])}:${canonicalJson(record[keys[i]!])}`;
  }
  return `${out}}`;
}

/**
 * SHA-256 (hex) of the canonical JSON of the snapshot without `nowUtc`: two plans of the same inputs in
 * the same horizon hash equal. Recomputable from the stored `input_snapshot` column.
 */
export function snapshotHash(snapshot: InputSnapshot): string {
  return snapshotDocument(snapshot).hash;
}

/**
 * The snapshot's hash (`snapshotHash`) and the JSON text to store, from one canonical serialisation: the
 * stored text is the hashed canonical JSON with `nowUtc` in front (a multi-megabyte snapshot is serialised
 * once, not twice). Parsing it gives the snapshot back.
 */
export function snapshotDocument(snapshot: InputSnapshot): { hash: string; json: string } {
  const { nowUtc, ...hashed } = snapshot;
  const canonical = canonicalJson(hashed);
  const hash = createHash('sha256').update(canonical).digest('hex');
  if (nowUtc === undefined) return { hash, json: canonical };
  const now = `"nowUtc":${JSON.stringify(nowUtc)}`;
  return { hash, json: canonical === '{}' ? `{${now}}` : `{${now},${canonical.slice(1)}` };
}
