import { describe, expect, it } from 'vitest';
import { generateProblem } from './bench-fixtures/generate.js';
import { solvePlacement } from './solve.js';
import { batch, cluster, expectValid, problem } from './test-support.js';
import { PlacementProblemError } from './validate.js';
import { solvePlacementInWorker } from './worker.js';

// These run the TypeScript worker entry (a tsx bootstrap registers the loader inside the worker).

describe('solvePlacementInWorker', () => {
  it('returns the same optimum as the in-thread solve', async () => {
    const p = generateProblem({ jobs: 60, clusters: 6, slots: 12, seed: 5 });
    const inThread = solvePlacement(p);
    const inWorker = await solvePlacementInWorker(p, { timeLimitMs: 30_000 });
    expect(inWorker.status).toBe('optimal');
    expect(inWorker.fallback).toBeUndefined();
    expect(inWorker.lpBound?.totalCost).toBeCloseTo(inThread.lpBound?.totalCost ?? NaN, 9);
    expectValid(p, inWorker);
    // The same schedule, job by job (it crossed the thread boundary packed: result-transfer.ts).
    expect(inWorker.placements).toEqual(inThread.placements);
    expect(inWorker.jobs).toEqual(inThread.jobs);
    expect(inWorker.totals).toEqual(inThread.totals);
  });

  it('falls back to the flagged greedy schedule on timeout', async () => {
    const p = generateProblem({ jobs: 300, clusters: 10, slots: 24, seed: 6 });
    const result = await solvePlacementInWorker(p, { timeLimitMs: 1 });
    expect(result.status).toBe('timeout');
    expect(result.fallback).toBe('greedy');
    expect(result.solver.method).toBe('greedy');
    expect(result.lpBound).toBeNull();
    expect(result.message).toMatch(/no optimum within 1 ms/);
    expectValid(p, result);
  });

  it('falls back on solver failure (worker out of memory counts too)', async () => {
    // A dense-tableau limit of 1 cell makes javascript-lp-solver refuse the LP inside the worker.
    const p = problem(2, [cluster('fra', [50, 60], 4)], [batch('b', 4, 2)], {
      stability: { costPerGpuHourMoved: 1, previous: [] },
    });
    const result = await solvePlacementInWorker(p, {
      timeLimitMs: 30_000,
      method: 'lp',
      maxDenseTableauCells: 1,
    });
    expect(result.status).toBe('solver-error');
    expect(result.fallback).toBe('greedy');
    expect(result.message).toMatch(/too large for javascript-lp-solver/);
  });

  it('rejects an invalid problem with PlacementProblemError', async () => {
    const p = problem(1, [cluster('fra', [50], 4)], [batch('b', -4, 2)]);
    await expect(solvePlacementInWorker(p, { timeLimitMs: 1000 })).rejects.toBeInstanceOf(
      PlacementProblemError,
    );
  });
});
