import { describe, expect, it } from 'vitest';
import { diffSchedules, type DiffableSchedule } from './diff.js';

const p = (jobId: string, clusterId: string, hour: number, gpuHours: number) => ({
  jobId,
  clusterId,
  slotStartUtc: new Date(Date.UTC(2024, 4, 1, hour)).toISOString(),
  gpus: Math.ceil(gpuHours),
  gpuHours,
});

describe('diffSchedules', () => {
  const a: DiffableSchedule = {
    id: 'a',
    version: 1,
    totals: { totalCost: 100, energyCost: 90 },
    placements: [
      p('chat', 'fra', 0, 4),
      p('chat', 'fra', 1, 4),
      p('embed', 'par', 0, 2),
      p('same', 'ams', 0, 1),
    ],
  };
  const b: DiffableSchedule = {
    id: 'b',
    version: 2,
    totals: { totalCost: 80, energyCost: 75 },
    placements: [
      p('chat', 'fra', 0, 1),
      p('chat', 'par', 0, 3),
      p('chat', 'par', 1, 4),
      p('same', 'ams', 0, 1),
      p('new', 'fra', 0, 2),
    ],
  };
  const diff = diffSchedules(a, b);

  it('lists the jobs that move, per cluster', () => {
    // chat: fra 8 → 1 (−7), par 0 → 7 (+7); embed: par 2 → 0; new: fra 0 → 2; same: unchanged.
    expect(diff.jobs).toEqual([
      {
        jobId: 'chat',
        fromGpuHours: 8,
        toGpuHours: 8,
        clusters: [
          { clusterId: 'fra', fromGpuHours: 8, toGpuHours: 1, deltaGpuHours: -7 },
          { clusterId: 'par', fromGpuHours: 0, toGpuHours: 7, deltaGpuHours: 7 },
        ],
        leftClusters: [],
        newClusters: ['par'],
      },
      {
        jobId: 'embed',
        fromGpuHours: 2,
        toGpuHours: 0,
        clusters: [{ clusterId: 'par', fromGpuHours: 2, toGpuHours: 0, deltaGpuHours: -2 }],
        leftClusters: ['par'],
        newClusters: [],
      },
      {
        jobId: 'new',
        fromGpuHours: 0,
        toGpuHours: 2,
        clusters: [{ clusterId: 'fra', fromGpuHours: 0, toGpuHours: 2, deltaGpuHours: 2 }],
        leftClusters: [],
        newClusters: ['fra'],
      },
    ]);
  });

  it('sums moved GPU-hours and cost deltas', () => {
    // Moved = 7 (chat left fra) + 2 (embed left par) = 9; cost 100 → 80.
    expect(diff.movedGpuHours).toBe(9);
    expect([diff.fromGpuHours, diff.toGpuHours]).toEqual([11, 11]);
    expect(diff.cost).toEqual({ from: 100, to: 80, delta: -20 });
    expect(diff.energyCost.delta).toBe(-15);
    expect(diff.clusters).toEqual([
      { clusterId: 'ams', fromGpuHours: 1, toGpuHours: 1, deltaGpuHours: 0 },
      { clusterId: 'fra', fromGpuHours: 8, toGpuHours: 3, deltaGpuHours: -5 },
      { clusterId: 'par', fromGpuHours: 2, toGpuHours: 7, deltaGpuHours: 5 },
    ]);
  });
});
