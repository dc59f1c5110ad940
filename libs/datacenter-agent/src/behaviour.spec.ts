import { describe, expect, it } from 'vitest';
import type { PlacementOrderV1 } from '#gridshift/contracts';
import { applyOrder, realizedUsage } from './behaviour.js';

const order: PlacementOrderV1 = {
  scheduleId: 's-1',
  scheduleVersion: 3,
  clusterId: 'fra-1',
  issuedAt: '2023-03-01T12:00:00Z',
  supersedesVersion: 2,
  slots: [
    {
      start: '2023-03-02T00:00:00Z',
      minutes: 60,
      assignments: [
        { jobId: 'a', gpus: 60 },
        { jobId: 'b', gpus: 40 },
      ],
    },
    { start: '2023-03-02T01:00:00Z', minutes: 60, assignments: [{ jobId: 'a', gpus: 30 }] },
  ],
};

describe('applyOrder', () => {
  it('applies an order as given by default', () => {
    const applied = applyOrder(order, {});
    expect(applied).toMatchObject({ status: 'applied', reasons: [], differences: [] });
    expect(applied.slots).toEqual(order.slots);
  });

  it.each([
    {
      name: 'a refused job gets 0 GPUs (policy, partially applied)',
      behaviour: { refuseJobs: ['b'] },
      status: 'partially-applied',
      codes: ['policy'],
      // b's 40 GPUs in slot 0 refused; a as ordered.
      differences: [{ jobId: 'b', slotStart: '2023-03-02T00:00:00Z', gpus: 0 }],
    },
    {
      name: 'every job refused → rejected',
      behaviour: { refuseJobs: ['a', 'b'] },
      status: 'rejected',
      codes: ['policy', 'policy'],
      differences: [
        { jobId: 'a', slotStart: '2023-03-02T00:00:00Z', gpus: 0 },
        { jobId: 'b', slotStart: '2023-03-02T00:00:00Z', gpus: 0 },
        { jobId: 'a', slotStart: '2023-03-02T01:00:00Z', gpus: 0 },
      ],
    },
    {
      name: 'capacity 50: slot 0 asks 100, cut pro rata (60 → 30, 40 → 20); slot 1 fits',
      behaviour: { capacityGpus: 50 },
      status: 'partially-applied',
      codes: ['capacity'],
      differences: [
        { jobId: 'a', slotStart: '2023-03-02T00:00:00Z', gpus: 30 },
        { jobId: 'b', slotStart: '2023-03-02T00:00:00Z', gpus: 20 },
      ],
    },
  ])('$name', ({ behaviour, status, codes, differences }) => {
    const applied = applyOrder(order, behaviour);
    expect(applied.status).toBe(status);
    expect(applied.reasons.map((r) => r.code)).toEqual(codes);
    expect(applied.differences).toEqual(differences);
  });
});

describe('realizedUsage', () => {
  const slots = applyOrder(order, {}).slots;
  it('reports only slots that ended, GPU-hours × realization, energy × kWh per GPU-hour', () => {
    // At 01:30 only slot 0 has ended: a 60 GPU × 1 h × 0.5 = 30 GPU-h, 30 × 0.84 = 25.2 kWh; b 20 GPU-h, 16.8 kWh.
    const rows = realizedUsage(
      slots,
      { realizationFactor: 0.5 },
      Date.parse('2023-03-02T01:30:00Z'),
      () => 0.5,
    );
    expect(rows).toEqual([
      { jobId: 'a', slotStart: '2023-03-02T00:00:00Z', minutes: 60, gpuHours: 30, energyKwh: 25.2 },
      { jobId: 'b', slotStart: '2023-03-02T00:00:00Z', minutes: 60, gpuHours: 20, energyKwh: 16.8 },
    ]);
  });

  it('noise stays within ± the configured share', () => {
    const rows = realizedUsage(slots, { usageNoise: 0.1 }, Date.parse('2023-03-03T00:00:00Z'), Math.random);
    for (const r of rows) {
      const ordered =
        r.jobId === 'a' && r.slotStart.startsWith('2023-03-02T00') ? 60 : r.jobId === 'a' ? 30 : 40;
      expect(r.gpuHours).toBeGreaterThanOrEqual(ordered * 0.9 - 1e-9);
      expect(r.gpuHours).toBeLessThanOrEqual(ordered * 1.1 + 1e-9);
    }
  });
});
