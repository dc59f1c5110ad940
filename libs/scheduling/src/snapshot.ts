import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
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

/** Every own key of every object inside `value`, at any depth. */
function collectKeys(value: unknown, keys: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value as unknown[])
      if (item !== null && typeof item === 'object') collectKeys(item, keys);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    keys.add(key);
    const item = record[key];
    if (item !== null && typeof item === 'object') collectKeys(item, keys);
  }
}

/**
 * JSON with object keys sorted at every level (arrays keep their order): the same value always gives
 * the same text, whatever order its keys were built or stored in (jsonb reorders keys). Native
 * `JSON.stringify` with the sorted list of every key as its property list (which it applies at every level,
 * in the list's order): ≈ 3× faster than a recursive serialiser on a multi-megabyte snapshot.
 */
export function canonicalJson(value: unknown): string {
  const keys = new Set<string>();
  collectKeys(value, keys);
  return JSON.stringify(value, [...keys].sort()) ?? 'null';
}

/** A snapshot as stored: the document without the job set, and the job set as a content-addressed part. */
export interface SnapshotDocument {
  /**
   * SHA-256 (hex) of the canonical JSON of the snapshot without `nowUtc`, its `problem.jobs` replaced by
   * `{"sha256": jobs.hash}`: two plans of the same inputs in the same horizon hash equal.
   */
  hash: string;
  /** The snapshot without `problem.jobs`, as canonical JSON text with `nowUtc` in front. */
  json: string;
  /**
   * The job set (`problem.jobs`, ≈ all the bytes at fleet scale) as canonical JSON text and its SHA-256: stored
   * once per distinct content, so a re-plan on new prices references the job set instead of rewriting it. Null
   * when the snapshot has no job array.
   */
  jobs: { hash: string; json: string } | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A job set serialised before (`SnapshotDocument.jobs`) and the value it was serialised from. */
export interface SerialisedJobSet {
  jobs: readonly unknown[];
  part: NonNullable<SnapshotDocument['jobs']>;
}

/**
 * The snapshot split for storage (`SnapshotDocument`), each part serialised once; `reuse` is a job set serialised
 * before, whose text and hash are taken when the snapshot's job set equals it. A snapshot read back whole
 * (`ScheduleRepository.find(id, { snapshot: true })` puts the job set back) hashes to `hash` again.
 */
export function snapshotDocument(snapshot: InputSnapshot, reuse?: SerialisedJobSet | null): SnapshotDocument {
  const { nowUtc, ...hashed } = snapshot;
  const problem = hashed.problem as (InputSnapshot['problem'] & { jobs?: unknown }) | undefined;
  let jobs: SnapshotDocument['jobs'] = null;
  let rest: Record<string, unknown> = hashed;
  let reference: Record<string, unknown> = hashed;
  if (problem && Array.isArray(problem.jobs)) {
    // An unchanged job set (the common re-plan: new prices) keeps its text and hash: comparing is ≈ 3× cheaper
    // than serialising and hashing megabytes again.
    if (reuse && isDeepStrictEqual(reuse.jobs, problem.jobs)) jobs = reuse.part;
    else {
      const jobsJson = canonicalJson(problem.jobs);
      jobs = { hash: sha256(jobsJson), json: jobsJson };
    }
    const { jobs: _jobs, ...withoutJobs } = problem;
    rest = { ...hashed, problem: withoutJobs };
    reference = { ...hashed, problem: { ...withoutJobs, jobs: { sha256: jobs.hash } } };
  }
  const hash = sha256(canonicalJson(reference));
  const canonical = canonicalJson(rest);
  if (nowUtc === undefined) return { hash, json: canonical, jobs };
  const now = `"nowUtc":${JSON.stringify(nowUtc)}`;
  return { hash, json: canonical === '{}' ? `{${now}}` : `{${now},${canonical.slice(1)}`, jobs };
}

/**
 * `SnapshotDocument.hash` of a whole snapshot (e.g. one read back from a schedule): the planning clock is not
 * part of it. Recomputable from the stored snapshot and its job set.
 */
export function snapshotHash(snapshot: InputSnapshot): string {
  return snapshotDocument(snapshot).hash;
}
