import { describe, expect, it } from 'vitest';
import { compareWithPrevious, decideApproval, type PreviousSchedule } from './account.js';
import { DEFAULT_APPROVAL_POLICY } from './settings.js';

const s = (h: number) => new Date(Date.UTC(2024, 4, 1, h)).toISOString();
const totals = (energyCost: number, servedGpuHours: number) => ({
  energyCost,
  carbonCost: 0,
  servedGpuHours,
});
const previous: PreviousSchedule = {
  id: 'p',
  version: 4,
  horizonStartUtc: s(9),
  horizonEndUtc: s(12),
  placements: [
    { jobId: 'a', clusterId: 'fra', slotStartUtc: s(9), gpus: 4, gpuHours: 4 },
    { jobId: 'a', clusterId: 'fra', slotStartUtc: s(10), gpus: 4, gpuHours: 4 },
    { jobId: 'a', clusterId: 'fra', slotStartUtc: s(11), gpus: 4, gpuHours: 4 },
  ],
  totals: totals(12, 12),
};

describe('compareWithPrevious', () => {
  it('counts GPU-hours that left their cell, over the common slots only', () => {
    // New horizon 10..13. Common slots 10 and 11 hold 8 GPU-hours in force.
    // Slot 10: 4 → 1 in fra (3 moved to par); slot 11 unchanged. Moved 3 of 8 = 37.5 %.
    // Cost per GPU-hour: 15 / 12 = 1.25 vs 12 / 12 = 1 → +25 %.
    const c = compareWithPrevious(
      [s(10), s(11), s(12)],
      [
        { jobId: 'a', clusterId: 'fra', slotStartUtc: s(10), gpus: 1, gpuHours: 1 },
        { jobId: 'a', clusterId: 'par', slotStartUtc: s(10), gpus: 3, gpuHours: 3 },
        { jobId: 'a', clusterId: 'fra', slotStartUtc: s(11), gpus: 4, gpuHours: 4 },
        { jobId: 'a', clusterId: 'par', slotStartUtc: s(12), gpus: 4, gpuHours: 4 },
      ],
      totals(15, 12),
      previous,
    );
    expect(c).toEqual({
      previousScheduleId: 'p',
      previousVersion: 4,
      commonSlots: 2,
      previousGpuHours: 8,
      movedGpuHours: 3,
      movedPct: 37.5,
      costPerGpuHour: 1.25,
      previousCostPerGpuHour: 1,
      costChangePct: 25,
    });
  });
});

describe('decideApproval (default policy: 50 % moved, +25 % cost)', () => {
  const base = compareWithPrevious([s(10)], [], totals(0, 0), null);
  it.each([
    { name: 'first schedule', comparison: base, status: 'optimal' as const, want: 'auto-approve' },
    {
      name: 'within limits',
      comparison: { ...base, previousScheduleId: 'p', movedPct: 50, costChangePct: 25 },
      status: 'optimal' as const,
      want: 'auto-approve',
    },
    {
      name: 'too much moves',
      comparison: { ...base, previousScheduleId: 'p', movedPct: 50.1 },
      status: 'optimal' as const,
      want: 'draft',
    },
    {
      name: 'cost rises too much',
      comparison: { ...base, previousScheduleId: 'p', costChangePct: 26 },
      status: 'optimal' as const,
      want: 'draft',
    },
    { name: 'greedy fallback', comparison: base, status: 'timeout' as const, want: 'draft' },
  ])('$name → $want', ({ comparison, status, want }) => {
    expect(decideApproval(DEFAULT_APPROVAL_POLICY, comparison, status).decision).toBe(want);
  });

  it('manual mode and absolute limits keep a draft, with reasons', () => {
    const d = decideApproval(
      { ...DEFAULT_APPROVAL_POLICY, mode: 'manual', maxMovedGpuHours: 10 },
      { ...base, previousScheduleId: 'p', movedGpuHours: 11, movedPct: 1 },
      'optimal',
    );
    expect(d.decision).toBe('draft');
    expect(d.reasons).toEqual(['approval mode is manual', '11 GPU-hours would move (limit 10)']);
  });
});
