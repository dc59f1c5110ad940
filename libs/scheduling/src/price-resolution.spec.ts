import { describe, expect, it } from 'vitest';
import { resolveZonePrices, type PriceCandidate } from './price-resolution.js';

// Market prices per slot come from stored intervals by `priceSlots`: per 5-minute cell the newest issue wins,
// a slot counts for a market only when fully covered.

const M = 60_000;
const H = 60 * M;
const T0 = Date.parse('2024-05-01T10:00:00Z');
const slots = [T0, T0 + H];
const now = T0 + 5 * M;

const iv = (
  startMin: number,
  minutes: number,
  market: string,
  price: number,
  issuedAgoHours = 2,
  partnerId?: string,
): PriceCandidate => ({
  intervalStartMs: T0 + startMin * M,
  minutes,
  market,
  pricePerMwh: price,
  carbonGPerKwh: null,
  issuedAtMs: now - issuedAgoHours * H,
  ...(partnerId === undefined ? {} : { partnerId }),
});

describe('resolveZonePrices from stored intervals', () => {
  it.each([
    {
      // (45 × 40 + 15 × 100) / 60 = 55
      name: 'a newer quarter-hour correction replaces only its quarter of the hourly price',
      candidates: [
        iv(0, 60, 'day_ahead', 40, 3),
        iv(30, 15, 'day_ahead', 100, 1),
        iv(60, 60, 'day_ahead', 50),
      ],
      want: [55, 50],
      sources: ['day_ahead', 'day_ahead'],
    },
    {
      name: 'an older correction arriving late is ignored',
      candidates: [
        iv(0, 60, 'day_ahead', 40, 1),
        iv(30, 15, 'day_ahead', 100, 3),
        iv(60, 60, 'day_ahead', 50),
      ],
      want: [40, 50],
      sources: ['day_ahead', 'day_ahead'],
    },
    {
      // Day-ahead covers only 00–30 of slot 0: intraday (full hour) is used there.
      name: 'a partly covered day-ahead slot falls back to a market that covers it',
      candidates: [iv(0, 30, 'day_ahead', 40), iv(0, 60, 'intraday', 70), iv(60, 60, 'day_ahead', 50)],
      want: [70, 50],
      sources: ['intraday', 'day_ahead'],
    },
    {
      // No market covers slot 1 fully: the last published price (slot 0) is carried forward.
      name: 'a slot no market covers fully is not published',
      candidates: [iv(0, 60, 'day_ahead', 40), iv(60, 45, 'day_ahead', 99)],
      want: [40, 40],
      sources: ['day_ahead', 'carried-forward'],
    },
    {
      name: 'two partners with the same issue time: the lower partner id wins',
      candidates: [
        iv(0, 60, 'day_ahead', 41, 2, 'p-b'),
        iv(0, 60, 'day_ahead', 40, 2, 'p-a'),
        iv(60, 60, 'day_ahead', 50),
      ],
      want: [40, 50],
      sources: ['day_ahead', 'day_ahead'],
    },
  ])('$name', ({ candidates, want, sources }) => {
    const { series } = resolveZonePrices('DE-LU', slots, 60, candidates, null, now, 48);
    expect(series.pricePerMwh).toEqual(want);
    expect(series.source).toEqual(sources);
  });

  it('judges staleness by the oldest issue a slot price is made of', () => {
    const { assumptions } = resolveZonePrices(
      'DE-LU',
      slots,
      60,
      [iv(0, 60, 'day_ahead', 40, 60), iv(30, 15, 'day_ahead', 100, 1), iv(60, 60, 'day_ahead', 50, 1)],
      null,
      now,
      48,
    );
    const stale = assumptions.filter((a) => a.code === 'price-stale');
    expect(stale.map((a) => a.slotStartsUtc)).toEqual([[new Date(T0).toISOString()]]);
  });
});
