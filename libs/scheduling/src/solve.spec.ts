import { describe, expect, it } from 'vitest';
import type { PlacementProblem, PlacementResult } from '#gridshift/placement';
import { solveAdaptive, type SolveFn } from './solve.js';

const problem = (jobs: number, stabilityCost = 0): PlacementProblem => ({
  slotStartsUtc: ['2023-03-01T00:00:00Z', '2023-03-01T01:00:00Z'],
  slotMinutes: 60,
  currency: 'USD',
  clusters: [
    { id: 'a', zone: 'A', schedulableGpus: [10, 10], kwPerGpu: 1, pue: 1, pricePerMwh: [100, 50] },
    { id: 'b', zone: 'B', schedulableGpus: [10, 10], kwPerGpu: 1, pue: 1, pricePerMwh: [80, 80] },
  ],
  jobs: Array.from({ length: jobs }, (_, i) => ({
    id: `j${i}`,
    kind: 'interactive' as const,
    demandGpuHours: [1, 1],
    maxGpus: 2,
    penaltyPerGpuHour: 100,
  })),
  ...(stabilityCost > 0 ? { stability: { previous: [], costPerGpuHourMoved: stabilityCost } } : {}),
});

describe('solveAdaptive', () => {
  const workerCalls: number[] = [];
  const fakeWorker: SolveFn = (p) => {
    workerCalls.push(p.jobs.length);
    return Promise.resolve({ status: 'optimal' } as PlacementResult);
  };

  it('solves small problems on the thread, exactly', async () => {
    workerCalls.length = 0;
    const result = await solveAdaptive(5, fakeWorker)(problem(3), 1000);
    expect(workerCalls).toEqual([]);
    expect(result.status).toBe('optimal');
    // each job: slot 0 in b (80 $/MWh × 1 kW = 0.08 $/GPUh), slot 1 in a (0.05) → 3 × (0.08 + 0.05) = 0.39
    expect(result.totals.totalCost).toBeCloseTo(0.39, 9);
  });

  it('sends large problems and stability re-plans to the worker', async () => {
    workerCalls.length = 0;
    await solveAdaptive(5, fakeWorker)(problem(6), 1000);
    await solveAdaptive(5, fakeWorker)(problem(2, 10), 1000);
    await solveAdaptive(0, fakeWorker)(problem(1), 1000);
    expect(workerCalls).toEqual([6, 2, 1]);
  });

  it('after an in-thread solve longer than maxBlockMs, the next ones go to the worker until one is quick again', async () => {
    // A clock that advances 3,000 ms per reading: every in-thread solve "takes" 3 s, over the 2.5 s allowed.
    let t = 0;
    const slowClock = () => (t += 3000);
    const workerMs: number[] = [4000, 1000];
    const worker: SolveFn = (p) => {
      workerCalls.push(p.jobs.length);
      return Promise.resolve({
        status: 'optimal',
        solver: { name: 'fake', method: 'flow', stats: { totalMs: workerMs.shift() } },
      } as PlacementResult);
    };
    workerCalls.length = 0;
    const adaptive = solveAdaptive(5, worker, 2500, slowClock);
    await adaptive(problem(3), 1000); // thread: 3 s > 2.5 s → the next goes to the worker
    await adaptive(problem(3), 1000); // worker: library 4 s → still the worker
    await adaptive(problem(3), 1000); // worker: library 1 s → back to the thread
    await adaptive(problem(3), 1000); // thread
    expect(workerCalls).toEqual([3, 3]);
  });
});
