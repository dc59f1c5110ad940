import { describe, expect, it } from 'vitest';
import { generateProblem } from './bench-fixtures/generate.js';
import type { PlacementResult } from './result.js';
import { packResult, unpackResult } from './result-transfer.js';
import { greedyFallback, solvePlacement } from './solve.js';

/** Through a real structured clone with the buffers transferred, as `postMessage` does. */
function roundTrip(result: PlacementResult): PlacementResult {
  const { packed, transfer } = packResult(result);
  return unpackResult(structuredClone(packed, { transfer }));
}

describe('packResult / unpackResult', () => {
  const problem = generateProblem({ jobs: 400, clusters: 8, slots: 24, seed: 11 });

  it.each([
    ['optimal, explained', () => solvePlacement(problem)],
    ['optimal, without explanations', () => solvePlacement(problem, { explain: false })],
    ['greedy fallback', () => greedyFallback(problem, 'timeout', 'no optimum within 1 ms')],
  ])('give back an equal result, keys in the same order: %s', (_name, solve) => {
    const result = solve();
    const expected = JSON.stringify(result);
    const back = roundTrip(result);
    expect(result.placements.length).toBeGreaterThan(1000);
    expect(JSON.stringify(back)).toBe(expected);
    expect(back).toEqual(result);
    // Packing left the original alone.
    expect(JSON.stringify(result)).toBe(expected);
  });

  it('keeps floats exactly (−0, subnormals, NaN) and jobs with the same rules sharing their lists', () => {
    const result = solvePlacement(problem, { explain: false });
    result.placements[0]!.lpGpuHours = -0;
    result.placements[1]!.gpuHours = Number.MIN_VALUE;
    result.placements[2]!.lpGpuHours = Number.NaN;
    const back = roundTrip(result);
    expect(Object.is(back.placements[0]!.lpGpuHours, -0)).toBe(true);
    expect(back.placements[1]!.gpuHours).toBe(Number.MIN_VALUE);
    expect(back.placements[2]!.lpGpuHours).toBeNaN();
    const distinct = (r: PlacementResult) => new Set(r.jobs.map((j) => j.allowedClusterIds)).size;
    expect(distinct(back)).toBe(distinct(result));
    expect(distinct(back)).toBeLessThan(back.jobs.length);
    expect(Object.isFrozen(back.jobs[0]!.allowedClusterIds)).toBe(true);
  });
});
