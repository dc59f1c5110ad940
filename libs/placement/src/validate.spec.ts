import { describe, expect, it } from 'vitest';
import type { PlacementProblem } from './model.js';
import { solvePlacement } from './solve.js';
import { batch, cluster, interactive, problem } from './test-support.js';
import { PlacementProblemError, validateProblem } from './validate.js';

const base = (): PlacementProblem =>
  problem(3, [cluster('fra', [50, 60, 70], 4), cluster('ams', [55, 65, 75], 4)], [batch('b1', 4, 2)]);

describe('validateProblem', () => {
  it('accepts a valid problem', () => {
    expect(validateProblem(base())).toEqual([]);
  });

  const cases: { name: string; mutate: (p: PlacementProblem) => void; code: string; path: string }[] = [
    {
      name: 'unknown cluster in an allowed set',
      mutate: (p) => (p.jobs[0] = batch('b1', 4, 2, { allowedClusterIds: ['fra', 'nowhere'] })),
      code: 'unknown-cluster',
      path: 'jobs[0].allowedClusterIds[1]',
    },
    {
      name: 'unknown cluster in a pin',
      mutate: (p) => (p.jobs[0] = batch('b1', 4, 2, { pins: { mustNotRunIn: ['x'] } })),
      code: 'unknown-cluster',
      path: 'jobs[0].pins.mustNotRunIn[0]',
    },
    {
      name: 'deadline outside the horizon',
      mutate: (p) => (p.jobs[0] = batch('b1', 4, 2, { windowStartSlot: 1, deadlineSlot: 9 })),
      code: 'window-outside-horizon',
      path: 'jobs[0].deadlineSlot',
    },
    {
      name: 'window start after deadline',
      mutate: (p) => (p.jobs[0] = batch('b1', 4, 2, { windowStartSlot: 2, deadlineSlot: 1 })),
      code: 'invalid-window',
      path: 'jobs[0].windowStartSlot',
    },
    {
      name: 'negative batch demand',
      mutate: (p) => (p.jobs[0] = batch('b1', -1, 2)),
      code: 'negative-demand',
      path: 'jobs[0].totalGpuHours',
    },
    {
      name: 'negative interactive demand',
      mutate: (p) => (p.jobs[0] = interactive('i1', [1, -2, 1], 2)),
      code: 'negative-demand',
      path: 'jobs[0].demandGpuHours[1]',
    },
    {
      name: 'interactive demand with the wrong number of slots',
      mutate: (p) => (p.jobs[0] = interactive('i1', [1, 1], 2)),
      code: 'slot-length-mismatch',
      path: 'jobs[0].demandGpuHours',
    },
    {
      name: 'price series shorter than the horizon',
      mutate: (p) => (p.clusters[0] = cluster('fra', [50, 60], [4, 4, 4])),
      code: 'slot-length-mismatch',
      path: 'clusters[0].pricePerMwh',
    },
    {
      name: 'slots not equally spaced',
      mutate: (p) => (p.slotStartsUtc[2] = '2023-03-02T03:00:00Z'),
      code: 'uneven-slots',
      path: 'slotStartsUtc[2]',
    },
    {
      name: 'slot start without a time zone',
      mutate: (p) => (p.slotStartsUtc[0] = '2023-03-02T00:00:00'),
      code: 'invalid-slot-start',
      path: 'slotStartsUtc[0]',
    },
    {
      name: 'PUE below 1',
      mutate: (p) => (p.clusters[1] = cluster('ams', [1, 2, 3], 4, { pue: 0.9 })),
      code: 'invalid-number',
      path: 'clusters[1].pue',
    },
    {
      name: 'fractional maxGpus',
      mutate: (p) => (p.jobs[0] = batch('b1', 4, 1.5)),
      code: 'invalid-max-gpus',
      path: 'jobs[0].maxGpus',
    },
    {
      name: 'tier without a penalty',
      mutate: (p) => (p.jobs[0] = { ...batch('b1', 4, 2), penaltyPerGpuHour: undefined, tier: 'gold' }),
      code: 'unknown-tier',
      path: 'jobs[0].tier',
    },
    {
      name: 'no penalty at all',
      mutate: (p) => (p.jobs[0] = { ...batch('b1', 4, 2), penaltyPerGpuHour: undefined }),
      code: 'missing-penalty',
      path: 'jobs[0]',
    },
    {
      name: 'latency SLA without an origin',
      mutate: (p) => (p.jobs[0] = batch('b1', 4, 2, { latencySlaMs: 50 })),
      code: 'latency-without-origin',
      path: 'jobs[0].latencySlaMs',
    },
    {
      name: 'duplicate job id',
      mutate: (p) => p.jobs.push(batch('b1', 1, 1)),
      code: 'duplicate-id',
      path: 'jobs[1].id',
    },
    {
      name: 'NaN price',
      mutate: (p) => (p.clusters[0] = cluster('fra', [50, NaN, 70], 4)),
      code: 'invalid-number',
      path: 'clusters[0].pricePerMwh[1]',
    },
  ];

  it.each(cases)('$name → $code at $path', ({ mutate, code, path }) => {
    const p = base();
    mutate(p);
    const issues = validateProblem(p).filter((i) => i.severity === 'error');
    expect(issues.map((i) => ({ code: i.code, path: i.path }))).toContainEqual({ code, path });
  });

  it('solvePlacement throws PlacementProblemError listing every error', () => {
    const p = base();
    p.jobs = [batch('b1', -1, 2, { allowedClusterIds: ['nowhere'] })];
    let caught: unknown;
    try {
      solvePlacement(p);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlacementProblemError);
    const error = caught as PlacementProblemError;
    expect(error.issues.map((i) => i.code).sort()).toEqual(['negative-demand', 'unknown-cluster']);
    expect(error.message).toContain(
      'jobs[0].allowedClusterIds[0]: "nowhere" is not a cluster id (known: fra, ams)',
    );
    expect(error.retriable).toBe(false);
  });

  it('warns (does not fail) on an empty residency list', () => {
    const p = base();
    p.jobs = [batch('b1', 4, 2, { residencyZones: [] })];
    expect(validateProblem(p)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'empty-rule', path: 'jobs[0].residencyZones' }),
    ]);
    expect(solvePlacement(p).jobs[0]?.shortfall.reasons).toEqual([{ reason: 'residency', gpuHours: 4 }]);
  });
});
