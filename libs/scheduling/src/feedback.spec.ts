import { describe, expect, it } from 'vitest';
import { applyRefusals, detectDrift } from './feedback.js';
import type { PlanningInputs } from './inputs.js';

describe('detectDrift', () => {
  const thresholds = { pct: 20, minGpuHours: 4 };
  it.each([
    // 100 planned, 85 realized: 15 % < 20 % → no drift.
    { name: 'within the share', planned: 100, realized: 85, drift: false },
    // 10 planned, 7 realized: 30 % but only 3 GPU-h ≤ 4 → no drift.
    { name: 'within the absolute floor', planned: 10, realized: 7, drift: false },
    // 100 planned, 50 realized: 50 % and 50 GPU-h → drift.
    { name: 'half used', planned: 100, realized: 50, drift: true },
    // 0 planned, 10 realized: work where none was planned → drift.
    { name: 'unplanned work', planned: 0, realized: 10, drift: true },
  ])('$name → $drift', ({ planned, realized, drift }) => {
    const cells = [
      {
        clusterId: 'fra-1',
        slotStartUtc: '2023-03-02T00:00:00.000Z',
        plannedGpuHours: planned,
        realizedGpuHours: realized,
      },
    ];
    const found = detectDrift(cells, thresholds, 7);
    expect(found !== null).toBe(drift);
    if (found) {
      expect(found.assumption.code).toBe('usage-drift');
      expect(found.assumption.message).toContain('v7');
    }
  });
});

describe('applyRefusals', () => {
  const inputs = {
    clusters: [{ id: 'fra-1' }, { id: 'par-1' }],
    jobs: [
      { id: 'chat', pins: { mustNotRunIn: ['ams-1'] } },
      { id: 'batch', pins: {} },
    ],
  } as unknown as PlanningInputs; // only the fields applyRefusals reads
  it('adds each refusal to the job’s mustNotRunIn for this plan and says so; unknown clusters are ignored', () => {
    const { inputs: out, assumptions } = applyRefusals(inputs, [
      { jobId: 'chat', clusterId: 'par-1', reason: 'site rule', version: 3 },
      { jobId: 'batch', clusterId: 'gone-1', reason: 'x', version: 3 },
    ]);
    expect(out.jobs[0]!.pins.mustNotRunIn).toEqual(['ams-1', 'par-1']);
    expect(out.jobs[1]!.pins).toEqual({});
    expect(inputs.jobs[0]!.pins.mustNotRunIn).toEqual(['ams-1']); // the input is not mutated
    expect(assumptions).toHaveLength(1);
    expect(assumptions[0]).toMatchObject({ code: 'delivery-refused', jobIds: ['chat'] });
  });
  it('changes nothing without refusals', () => {
    expect(applyRefusals(inputs, [])).toEqual({ inputs, assumptions: [] });
  });
});
