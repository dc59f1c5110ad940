import { describe, expect, it } from 'vitest';
import { zonePriceCurves } from './price-curves.js';
import { resolveZonePrices, type PriceCandidate } from './price-resolution.js';

const H = 3_600_000;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('zonePriceCurves', () => {
  it('aligns the planner’s forecast bands with the slots it forecast, and keeps published slots band-free', () => {
    // 6 hourly slots; day-ahead covers the first 2, gridshift forecasts slots 2..5 from 14 days of history.
    const slots = Array.from({ length: 6 }, (_, t) => T0 + t * H);
    const published: PriceCandidate[] = [0, 1].map((t) => ({
      intervalStartMs: T0 + t * H,
      minutes: 60,
      market: 'day_ahead',
      pricePerMwh: 50 + t,
      carbonGPerKwh: null,
      issuedAtMs: T0 - 12 * H,
    }));
    const historyHours = 14 * 24;
    // A daily shape (hour of day + 40) so the forecast is not flat.
    const values = Float64Array.from({ length: historyHours }, (_, i) => 40 + ((i + 2) % 24));
    const { series, assumptions } = resolveZonePrices('DE-LU', slots, 60, published, null, T0, 48, {
      history: { startMs: T0 + 2 * H - historyHours * H, values },
      lookbackHours: 7 * 24,
    });
    expect(series.source).toEqual([
      'day_ahead',
      'day_ahead',
      'gridshift-forecast',
      'gridshift-forecast',
      'gridshift-forecast',
      'gridshift-forecast',
    ]);

    const curves = zonePriceCurves({
      currency: 'EUR',
      slotStartsUtc: slots.map(iso),
      clusters: [
        { id: 'fra-2', zone: 'DE-LU', pricePerMwh: series.pricePerMwh },
        { id: 'fra-1', zone: 'DE-LU', pricePerMwh: series.pricePerMwh },
      ],
      priceSources: { 'DE-LU': { source: series.source, issuedAtUtc: series.issuedAtUtc } },
      forecasts: assumptions.filter((a) => a.code === 'price-forecast'),
    });
    expect(curves.slotStarts).toEqual(slots.map(iso));
    const [zone] = curves.zones;
    expect(zone!.clusterIds).toEqual(['fra-1', 'fra-2']);
    expect(zone!.pricePerMwh).toEqual(series.pricePerMwh);
    expect(zone!.p10.slice(0, 2)).toEqual([null, null]);
    expect(zone!.p90.slice(0, 2)).toEqual([null, null]);
    for (let t = 2; t < 6; t += 1) {
      // The stored quantiles are rounded to cents; the point forecast the solver used is their p50's source.
      expect(zone!.p50[t]).toBeCloseTo(series.pricePerMwh[t]!, 2);
      expect(zone!.p10[t]!).toBeLessThanOrEqual(zone!.p50[t]!);
      expect(zone!.p90[t]!).toBeGreaterThanOrEqual(zone!.p50[t]!);
    }
    expect(zone!.forecast?.firstSlot).toBe(iso(T0 + 2 * H));
    expect(zone!.forecast?.historyHours).toBeGreaterThan(0);
  });

  it.each([
    { name: 'no snapshot at all', input: {}, zones: 0, slots: 0 },
    {
      name: 'a snapshot without sources or forecasts (older schedules, fixtures)',
      input: {
        slotStartsUtc: [iso(T0), iso(T0 + H)],
        clusters: [{ id: 'a', zone: 'Z', pricePerMwh: [1, 'x'] }],
      },
      zones: 1,
      slots: 2,
    },
    {
      name: 'a partner forecast has no bands',
      input: {
        slotStartsUtc: [iso(T0)],
        clusters: [{ id: 'a', zone: 'Z', pricePerMwh: [1] }],
        forecasts: [
          { code: 'price-forecast', zone: 'Z', slotStartsUtc: [iso(T0)], details: { source: 'partner' } },
        ],
      },
      zones: 1,
      slots: 1,
    },
  ])('tolerates $name', ({ input, zones, slots }) => {
    const curves = zonePriceCurves({
      currency: undefined,
      slotStartsUtc: undefined,
      clusters: undefined,
      priceSources: undefined,
      forecasts: undefined,
      ...input,
    });
    expect(curves.zones).toHaveLength(zones);
    expect(curves.slotStarts).toHaveLength(slots);
    for (const z of curves.zones) {
      expect(z.p50.every((v) => v === null)).toBe(true);
      expect(z.forecast).toBeNull();
      expect(z.pricePerMwh.every((v) => v === null || typeof v === 'number')).toBe(true);
    }
  });
});
