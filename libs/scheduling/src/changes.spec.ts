import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANGE_THRESHOLDS, detectSignificantChange } from './changes.js';
import type { MarketSignature } from './snapshot.js';

const slots = ['2024-05-01T10:00:00.000Z', '2024-05-01T11:00:00.000Z', '2024-05-01T12:00:00.000Z'];
const planned: MarketSignature = {
  horizonStartUtc: slots[0]!,
  slotStartsUtc: slots,
  pricePerMwhByZone: { 'DE-LU': [100, 100, 100], FR: [2, 2, 2] },
  schedulableGpusByCluster: { fra: [100, 100, 100] },
  dayAheadIssuedAtByZone: { 'DE-LU': '2024-04-30T12:00:00.000Z' },
};
const withPrices = (zone: string, prices: number[]): MarketSignature => ({
  ...planned,
  pricePerMwhByZone: { ...planned.pricePerMwhByZone, [zone]: prices },
});

describe('detectSignificantChange (10 % and 5 per MWh; 10 % and 8 GPUs)', () => {
  it.each([
    { name: 'nothing changed', current: planned, want: null },
    // 100 → 109: Δ 9 > 5 but 9 ≤ 10 % of 100.
    { name: 'small relative move', current: withPrices('DE-LU', [100, 109, 100]), want: null },
    // 100 → 111: Δ 11 > 5 and > 10.
    {
      name: 'price move above both thresholds',
      current: withPrices('DE-LU', [100, 111, 100]),
      want: 'price-change',
    },
    // 2 → 6: +200 % but Δ 4 ≤ 5 per MWh.
    { name: 'relative move of a near-zero price', current: withPrices('FR', [6, 2, 2]), want: null },
    // 100 → 91 GPUs: Δ 9 ≥ 8 but 9 ≤ 10 % of 100; 100 → 89: Δ 11 > 10.
    {
      name: 'small capacity move',
      current: { ...planned, schedulableGpusByCluster: { fra: [91, 100, 100] } },
      want: null,
    },
    {
      name: 'capacity move',
      current: { ...planned, schedulableGpusByCluster: { fra: [89, 100, 100] } },
      want: 'capacity-change',
    },
    {
      name: 'new cluster',
      current: { ...planned, schedulableGpusByCluster: { fra: [100, 100, 100], par: [1, 1, 1] } },
      want: 'capacity-change',
    },
    {
      name: 'new day-ahead issue beats everything',
      current: {
        ...withPrices('DE-LU', [200, 200, 200]),
        dayAheadIssuedAtByZone: { 'DE-LU': '2024-05-01T12:00:00.000Z' },
      },
      want: 'day-ahead',
    },
  ])('$name → $want', ({ current, want }) => {
    expect(detectSignificantChange(planned, current, DEFAULT_CHANGE_THRESHOLDS)?.trigger ?? null).toBe(want);
  });

  it('compares only the slots both horizons share', () => {
    // One hour later: the new last slot has no planned counterpart, the shared ones are equal.
    const later: MarketSignature = {
      ...planned,
      slotStartsUtc: [...slots.slice(1), '2024-05-01T13:00:00.000Z'],
      pricePerMwhByZone: { 'DE-LU': [100, 100, 999], FR: [2, 2, 999] },
      schedulableGpusByCluster: { fra: [100, 100, 0] },
    };
    expect(detectSignificantChange(planned, later, DEFAULT_CHANGE_THRESHOLDS)).toBeNull();
  });

  it('says what changed', () => {
    const change = detectSignificantChange(
      planned,
      withPrices('DE-LU', [100, 150, 100]),
      DEFAULT_CHANGE_THRESHOLDS,
    );
    expect(change?.reasons).toEqual(['DE-LU 2024-05-01T11:00:00.000Z: 100 → 150 per MWh']);
  });
});
