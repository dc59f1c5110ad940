// Helpers for this library's specs (not exported from index.ts).
import { checkPlacement } from './check.js';
import { createHighsLpSolver, type HighsLike } from './lp/highs-solver.js';
import { toLpFormat } from './lp/lp-model.js';
import type { ClusterInput, JobInput, PlacementProblem } from './model.js';
import { toJobLevelLp } from './reference-lp.js';
import type { PlacementResult } from './result.js';

export const HOUR_STARTS = Array.from({ length: 48 }, (_v, t) =>
  new Date(Date.UTC(2023, 2, 2) + t * 3_600_000).toISOString().replace('.000Z', 'Z'),
);

/** A cluster with 1 kW per GPU and PUE 1, so one GPU-hour costs price / 1000. */
export function cluster(
  id: string,
  pricePerMwh: number[],
  gpus: number | number[],
  extra: Partial<ClusterInput> = {},
): ClusterInput {
  return {
    id,
    zone: id.toUpperCase(),
    region: 'eu',
    schedulableGpus: Array.isArray(gpus) ? gpus : pricePerMwh.map(() => gpus),
    kwPerGpu: 1,
    pue: 1,
    pricePerMwh,
    ...extra,
  };
}

export function batch(
  id: string,
  totalGpuHours: number,
  maxGpus: number,
  extra: Partial<JobInput> = {},
): JobInput {
  return { id, kind: 'batch', totalGpuHours, maxGpus, penaltyPerGpuHour: 10, ...extra } as JobInput;
}

export function interactive(
  id: string,
  demandGpuHours: number[],
  maxGpus: number,
  extra: Partial<JobInput> = {},
): JobInput {
  return { id, kind: 'interactive', demandGpuHours, maxGpus, penaltyPerGpuHour: 10, ...extra } as JobInput;
}

export function problem(
  slots: number,
  clusters: ClusterInput[],
  jobs: JobInput[],
  extra: Partial<PlacementProblem> = {},
): PlacementProblem {
  return {
    slotStartsUtc: HOUR_STARTS.slice(0, slots),
    slotMinutes: 60,
    currency: 'EUR',
    clusters,
    jobs,
    ...extra,
  };
}

/** GPU-hours of the LP optimum per cluster id (summed over jobs and slots). */
export function lpByCluster(result: PlacementResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of result.placements) out[p.clusterId] = round6((out[p.clusterId] ?? 0) + p.lpGpuHours);
  return out;
}

/** LP GPU-hours per "cluster@slot". */
export function lpByCell(result: PlacementResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of result.placements) {
    if (p.lpGpuHours > 1e-9)
      out[`${p.clusterId}@${p.slotIndex}`] = round6(
        (out[`${p.clusterId}@${p.slotIndex}`] ?? 0) + p.lpGpuHours,
      );
  }
  return out;
}

export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

let highsPromise: Promise<HighsLike> | null = null;

/** The HiGHS wasm module, loaded once per test file. */
export function loadHighs(): Promise<HighsLike> {
  highsPromise ??= import('highs').then(async (m) => {
    // `highs` ships ESM at runtime but CJS-flavoured typings; accept both shapes of the default export.
    const loader: unknown = m.default;
    const load = (
      typeof loader === 'function' ? loader : (loader as { default: unknown }).default
    ) as () => Promise<HighsLike>;
    return load();
  });
  return highsPromise;
}

/** Optimum of the unaggregated job-level LP by HiGHS (the oracle). */
export async function oracleObjective(p: PlacementProblem): Promise<number> {
  const highs = await loadHighs();
  const model = toJobLevelLp(p);
  if (model.varNames.length === 0) return model.objectiveOffset;
  const solution = highs.solve(toLpFormat(model));
  if (solution.Status !== 'Optimal') throw new Error(`HiGHS: ${solution.Status}`);
  return solution.ObjectiveValue + model.objectiveOffset;
}

export async function highsSolver() {
  return createHighsLpSolver(await loadHighs());
}

export function relGap(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

/** Every constraint of the result holds (throws with the violations otherwise). */
export function expectValid(p: PlacementProblem, result: PlacementResult): void {
  const violations = checkPlacement(p, result);
  if (violations.length > 0) throw new Error(`violations: ${JSON.stringify(violations.slice(0, 5))}`);
}
