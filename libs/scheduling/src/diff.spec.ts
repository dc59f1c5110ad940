import { describe, expect, it } from 'vitest';
import { summarizeMoves, type ChangedCell } from './diff.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 4, 1);

/** One (job, cluster, slot) whose GPU-hours differ: before → after. */
const cell = (
  jobId: string,
  clusterId: string,
  hour: number,
  before: number,
  after: number,
): ChangedCell => ({
  jobId,
  clusterId,
  slotStartMs: T0 + hour * H,
  beforeGpuHours: before,
  afterGpuHours: after,
});

// Schedule a → b: chat fra 4+4 → 1+0 and par 0+0 → 3+4; embed leaves par (2 → 0); new comes to fra (0 → 2);
// a job placed alike in both schedules yields no changed cell.
const changed = [
  cell('chat', 'fra', 0, 4, 1),
  cell('chat', 'fra', 1, 4, 0),
  cell('chat', 'par', 0, 0, 3),
  cell('chat', 'par', 1, 0, 4),
  cell('embed', 'par', 0, 2, 0),
  cell('new', 'fra', 0, 0, 2),
];
// One GPU-hour costs 10 in fra and 5 in par, the same price on both sides.
const price = (clusterId: string) => (clusterId === 'fra' ? 10 : 5);

describe('summarizeMoves (the one diff of two schedules)', () => {
  const diff = summarizeMoves(changed, price);

  it('lists the jobs that move, per cluster, biggest first', () => {
    expect(diff.jobs).toEqual([
      {
        jobId: 'chat',
        movedGpuHours: 7, // fra: (4 − 1) + (4 − 0)
        addedGpuHours: 7, // par: 3 + 4
        costDelta: -35, // −7 × 10 + 7 × 5
        clusters: [
          { clusterId: 'fra', removedGpuHours: 7, addedGpuHours: 0 },
          { clusterId: 'par', removedGpuHours: 0, addedGpuHours: 7 },
        ],
      },
      {
        jobId: 'embed',
        movedGpuHours: 2,
        addedGpuHours: 0,
        costDelta: -10, // −2 × 5
        clusters: [{ clusterId: 'par', removedGpuHours: 2, addedGpuHours: 0 }],
      },
      {
        jobId: 'new',
        movedGpuHours: 0,
        addedGpuHours: 2,
        costDelta: 20, // 2 × 10
        clusters: [{ clusterId: 'fra', removedGpuHours: 0, addedGpuHours: 2 }],
      },
    ]);
  });

  it('sums moved and added GPU-hours and counts unpriced cells', () => {
    // Moved = 7 (chat left fra) + 2 (embed left par) = 9; added = 7 + 2 = 9.
    expect([diff.movedGpuHours, diff.addedGpuHours, diff.unpricedCells]).toEqual([9, 9, 0]);
    const noParPrice = summarizeMoves(changed, (clusterId) => (clusterId === 'fra' ? 10 : undefined));
    expect(noParPrice.unpricedCells).toBe(3); // chat par ×2, embed par
    expect(noParPrice.jobs.find((j) => j.jobId === 'chat')?.costDelta).toBe(-70); // fra only: −7 × 10
  });
});
