import { describe, expect, it } from 'vitest';
import type { PlacementProblem } from '#gridshift/placement';
import { verifyPlacements } from './checked-placements.js';

const slots = ['2024-05-01T10:00:00.000Z', '2024-05-01T11:00:00.000Z'];
const problem: PlacementProblem = {
  slotStartsUtc: slots,
  slotMinutes: 60,
  currency: 'USD',
  clusters: [
    // Power cap 7 kW ÷ (0.7 kW × 1.0) = 10 GPUs, below the 12 schedulable.
    {
      id: 'fra',
      zone: 'DE-LU',
      schedulableGpus: [12, 12],
      kwPerGpu: 0.7,
      pue: 1,
      powerCapKw: [7, null],
      pricePerMwh: [1, 1],
    },
    { id: 'par', zone: 'FR', schedulableGpus: [4, 4], kwPerGpu: 0.7, pue: 1, pricePerMwh: [1, 1] },
  ],
  jobs: [
    {
      id: 'a',
      kind: 'interactive',
      demandGpuHours: [10, 10],
      maxGpus: 11,
      penaltyPerGpuHour: 1,
      pins: { mustNotRunIn: ['par'] },
    },
    {
      id: 'b',
      kind: 'batch',
      totalGpuHours: 4,
      windowStartSlot: 1,
      deadlineSlot: 2,
      maxGpus: 4,
      penaltyPerGpuHour: 1,
    },
  ],
};
const row = (jobId: string, clusterId: string, t: number, gpus: number, gpuHours = gpus) => ({
  jobId,
  clusterId,
  slotStartUtc: slots[t]!,
  gpus,
  gpuHours,
});

describe('verifyPlacements', () => {
  it('accepts a valid schedule', () => {
    expect(verifyPlacements(problem, [row('a', 'fra', 0, 10), row('b', 'par', 1, 4)])).toEqual([]);
  });
  it.each([
    { name: 'power cap (11 GPUs > 10 in slot 0)', rows: [row('a', 'fra', 0, 11)], code: 'capacity' },
    { name: 'pinned away', rows: [row('a', 'par', 1, 1)], code: 'not-allowed' },
    { name: 'before the batch window', rows: [row('b', 'par', 0, 1)], code: 'outside-window' },
    { name: 'parallelism', rows: [row('b', 'fra', 1, 3), row('b', 'par', 1, 2)], code: 'parallelism' },
    { name: 'work on too few GPUs', rows: [row('a', 'fra', 1, 1, 1.5)], code: 'work-exceeds-gpus' },
    { name: 'unknown job', rows: [row('zz', 'fra', 1, 1)], code: 'unknown-ref' },
  ])('$name', ({ rows, code }) => {
    expect(verifyPlacements(problem, rows).map((v) => v.code)).toEqual([code]);
  });
  it('judges each (job, cluster) once and reports every placement where the job may not run', () => {
    // Job a is allowed in fra, pinned away from par: both slots in par are reported, the fra ones are not.
    const rows = [row('a', 'fra', 0, 5), row('a', 'par', 0, 1), row('a', 'fra', 1, 5), row('a', 'par', 1, 1)];
    expect(verifyPlacements(problem, rows)).toEqual([
      { code: 'not-allowed', message: 'a may not run in par' },
      { code: 'not-allowed', message: 'a may not run in par' },
    ]);
  });
});
