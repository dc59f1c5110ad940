import { describe, expect, it } from 'vitest';
import type { PlacementProblem, PlacementResult } from '#gridshift/placement';
import { BusyError } from '../http/errors.js';
import { toProblem } from '../http/problem-details.js';
import { cappedSolve } from './scheduling.adapter.js';
import type { SchedulingPort } from './scheduling.port.js';
import { WhatIfRunner } from './what-if.runner.js';

/** A port whose what-ifs finish when the test says so, recording the time limit each one got. */
function slowPort() {
  const pending: { resolve: (id: string) => void; reject: (error: Error) => void }[] = [];
  const limits: number[] = [];
  const port = {
    runWhatIf: (input: { solveTimeLimitMs: number }) => {
      limits.push(input.solveTimeLimitMs);
      return new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
    },
  } as unknown as SchedulingPort; // only runWhatIf is used by the runner
  return { port, pending, limits };
}

const request = { scenario: {}, requestedBy: 'ops' };

describe('WhatIfRunner', () => {
  it('runs one what-if at a time: a second concurrent one gets 429 with Retry-After', async () => {
    const { port, pending, limits } = slowPort();
    const runner = new WhatIfRunner(port, { WHAT_IF_SOLVE_TIME_LIMIT_MS: 20_000 });
    const first = runner.run(request);
    const second = await runner.run(request).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(BusyError);
    // 20 s limit, just started → retry in ≈ 20 s.
    expect((second as BusyError).retryAfterSeconds).toBeGreaterThanOrEqual(19);
    expect((second as BusyError).retryAfterSeconds).toBeLessThanOrEqual(20);
    const problem = toProblem(second, '/what-ifs');
    expect(problem.status).toBe(429);
    expect(problem.headers).toEqual({ 'Retry-After': String((second as BusyError).retryAfterSeconds) });
    expect(limits).toEqual([20_000]);
    pending[0]!.resolve('s-1');
    expect(await first).toBe('s-1');
    // The slot is free again, also after a failure.
    const third = runner.run(request);
    pending[1]!.reject(new Error('boom'));
    await expect(third).rejects.toThrow('boom');
    const fourth = runner.run(request);
    pending[2]!.resolve('s-2');
    expect(await fourth).toBe('s-2');
  });
});

describe('cappedSolve', () => {
  it.each([
    { name: 'planner limit lower', plannerMs: 5_000, capMs: 20_000, want: 5_000 },
    { name: 'what-if cap lower', plannerMs: 60_000, capMs: 20_000, want: 20_000 },
  ])('$name → $want ms', async ({ plannerMs, capMs, want }) => {
    const seen: number[] = [];
    const inner = (_problem: PlacementProblem, timeLimitMs: number) => {
      seen.push(timeLimitMs);
      return Promise.resolve({} as PlacementResult); // the result is not looked at
    };
    await cappedSolve(capMs, inner)({} as PlacementProblem, plannerMs);
    expect(seen).toEqual([want]);
  });
});
