import { describe, expect, it } from 'vitest';
import { priceSeries, type SchedulePrices } from './price-series';

const zone = (over: Partial<SchedulePrices['zones'][number]>): SchedulePrices['zones'][number] => ({
  zone: 'DE-LU',
  clusterIds: ['fra-1'],
  pricePerMwh: [50, 60, 70, 80],
  source: ['day_ahead', 'day_ahead', 'gridshift-forecast', 'gridshift-forecast'],
  p10: [null, null, 60, 68],
  p50: [null, null, 70, 80],
  p90: [null, null, 84, 96],
  forecast: { method: 'seasonal-naive', historyHours: 672, firstSlot: '2024-03-01T02:00:00.000Z' },
  ...over,
});

const prices = (zones: SchedulePrices['zones']): SchedulePrices => ({
  scheduleId: 's',
  currency: 'EUR',
  slotStarts: [
    '2024-03-01T00:00:00.000Z',
    '2024-03-01T01:00:00.000Z',
    '2024-03-01T02:00:00.000Z',
    '2024-03-01T03:00:00.000Z',
  ],
  zones,
});

describe('priceSeries', () => {
  it('splits published from forecast and stacks the band as p10 + (p90 − p10)', () => {
    const { series, bandSlots, bandZones } = priceSeries(prices([zone({})]));
    expect(series.map((s) => s.kind)).toEqual(['published', 'forecast', 'band-floor', 'band-width']);
    expect(series[0]!.data).toEqual([50, 60, null, null]);
    expect(series[1]!.data).toEqual([null, 60, 70, 80]); // joins the published line at its last slot
    expect(series[2]!.data).toEqual([null, null, 60, 68]);
    expect(series[3]!.data).toEqual([null, null, 24, 28]); // 84 − 60, 96 − 68
    expect(series[2]!.stack).toBe(series[3]!.stack);
    expect({ bandSlots, bandZones }).toEqual({ bandSlots: 2, bandZones: 1 });
  });

  it('draws a zone without forecasts as one published line, and a partner forecast without a band', () => {
    const published = zone({
      zone: 'NL',
      source: ['day_ahead', 'day_ahead', 'day_ahead', 'day_ahead'],
      p10: [null, null, null, null],
      p50: [null, null, null, null],
      p90: [null, null, null, null],
      forecast: null,
    });
    const partner = zone({
      zone: 'FR',
      source: ['day_ahead', 'day_ahead', 'forecast', 'forecast'],
      p10: [null, null, null, null],
      p90: [null, null, null, null],
    });
    const { series, bandSlots } = priceSeries(prices([published, partner]));
    expect(series.map((s) => `${s.name}:${s.kind}`)).toEqual([
      'NL:published',
      'FR:published',
      'FR forecast:forecast',
    ]);
    expect(bandSlots).toBe(0);
  });
});
