import { describe, expect, it } from 'vitest';
import { PlacementOrderV1Schema } from '#gridshift/contracts';
import { buildPlacementOrders, placementMessageId } from './orders.js';

const s0 = '2024-05-01T10:00:00.000Z';
const s1 = '2024-05-01T11:00:00.000Z';

describe('buildPlacementOrders', () => {
  const orders = buildPlacementOrders({
    scheduleId: 'sch-7',
    version: 7,
    issuedAtUtc: '2024-05-01T09:59:00.000Z',
    slotMinutes: 60,
    placements: [
      { jobId: 'b', clusterId: 'fra', slotStartUtc: s1, gpus: 2 },
      { jobId: 'a', clusterId: 'fra', slotStartUtc: s1, gpus: 1 },
      { jobId: 'a', clusterId: 'fra', slotStartUtc: s0, gpus: 3 },
      { jobId: 'z', clusterId: 'par', slotStartUtc: s0, gpus: 0 },
    ],
    previousOrders: new Map([
      ['fra', { version: 6, hadAssignments: true }],
      ['par', { version: 5, hadAssignments: true }],
      ['ams', { version: 6, hadAssignments: false }],
    ]),
  });

  it('sends one order per affected cluster: with work now, or with work in its last order', () => {
    // fra has work; par had work in v5 and gets an empty order that clears it; ams was already empty.
    expect(orders.map((o) => [o.clusterId, o.supersedesVersion, o.slots.length])).toEqual([
      ['fra', 6, 2],
      ['par', 5, 0],
    ]);
  });

  it('orders slots by time and jobs by id, and every order validates against the v1 contract', () => {
    expect(orders[0]!.slots).toEqual([
      { start: s0, minutes: 60, assignments: [{ jobId: 'a', gpus: 3 }] },
      {
        start: s1,
        minutes: 60,
        assignments: [
          { jobId: 'a', gpus: 1 },
          { jobId: 'b', gpus: 2 },
        ],
      },
    ]);
    for (const order of orders) expect(PlacementOrderV1Schema.safeParse(order).success).toBe(true);
  });

  it('has stable message ids', () => {
    expect(placementMessageId('sch-7', 'fra')).toBe('placement:sch-7:fra');
  });
});
