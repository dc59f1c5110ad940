import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePriceMessage, validatePriceMessageFully } from './decode.js';
import { acceptPriceMessage, acceptedTimestampMs, canonicalUtcMs } from './fast-price.js';
import { TimestampSchema } from './schemas.js';
import { parseExchangeRates } from './fx.js';

const fx = parseExchangeRates({ base: 'USD', perUsd: { USD: 1, EUR: 0.925, GBP: 0.804, JPY: 140.5 } });
const HOUR = 3_600_000;

/** Valid day-ahead style messages: ascending, non-overlapping points on their grid. */
const validMessage = fc
  .record({
    partnerId: fc.constantFrom('acme', 'bench-7', 'p.x:1-2'),
    zone: fc.constantFrom('DE-LU', 'FR', 'US-CAL-CISO'),
    market: fc.constantFrom('day_ahead', 'intraday', 'real_time', 'forecast'),
    currency: fc.constantFrom('USD', 'EUR', 'GBP', 'JPY'),
    unit: fc.constantFrom('MWh', 'kWh'),
    startHour: fc.integer({ min: 460_000, max: 470_000 }),
    minutes: fc.constantFrom(5, 15, 30, 60),
    offset: fc.constantFrom('Z', '+01:00', '-05:00', '.000Z'),
    prices: fc.array(fc.double({ min: -500, max: 3000, noNaN: true }), { minLength: 1, maxLength: 30 }),
    carbon: fc.option(fc.double({ min: 0, max: 1200, noNaN: true }), { nil: undefined }),
  })
  .map((m) => {
    const iso = (ms: number) => {
      const text = new Date(ms).toISOString().replace('.000Z', 'Z');
      if (m.offset === 'Z') return text;
      if (m.offset === '.000Z') return new Date(ms).toISOString();
      const shift = m.offset === '+01:00' ? HOUR : -5 * HOUR;
      return new Date(ms + shift).toISOString().replace('.000Z', m.offset);
    };
    const start = m.startHour * HOUR;
    return {
      partnerId: m.partnerId,
      zone: m.zone,
      market: m.market,
      currency: m.currency,
      unit: m.unit,
      issuedAt: iso(start - 12 * HOUR),
      points: m.prices.map((price, i) => ({
        intervalStart: iso(start + i * m.minutes * 60_000),
        intervalMinutes: m.minutes,
        price: m.unit === 'kWh' ? price / 1000 : price,
        ...(m.carbon === undefined ? {} : { carbonGPerKwh: m.carbon }),
      })),
    };
  });

type Json = Record<string, unknown>;

/** Mutations that each may or may not make the message invalid; the full validation decides. */
const mutations: ((m: Json) => void)[] = [
  (m) => (m.zone = 'de-lu'),
  (m) => (m.market = 'spot'),
  (m) => (m.currency = 'XYZ'),
  (m) => (m.currency = 'eur'),
  (m) => (m.unit = 'Wh'),
  (m) => (m.issuedAt = '2023-03-01T11:00:00'),
  (m) => (m.issuedAt = '2023-02-30T11:00:00Z'),
  (m) => (m.issuedAt = 1677668400000),
  (m) => (m.partnerId = ''),
  (m) => (m.partnerId = '-leading-dash'),
  (m) => (m.partnerId = 'x'.repeat(129)),
  (m) => (m.extra = 1),
  (m) => delete m.unit,
  (m) => (m.points = []),
  (m) => (m.points = {}),
  (m) => (m.points as Json[]).reverse(),
  (m) => ((m.points as Json[])[0]!.price = 1e9),
  (m) => ((m.points as Json[])[0]!.price = '12.5'),
  (m) => ((m.points as Json[])[0]!.price = null),
  (m) => ((m.points as Json[])[0]!.intervalMinutes = 45),
  (m) => ((m.points as Json[])[0]!.intervalMinutes = '60'),
  (m) => ((m.points as Json[])[0]!.intervalStart = '2023-03-01T00:07:00Z'),
  (m) => ((m.points as Json[])[0]!.intervalStart = 'yesterday'),
  (m) => ((m.points as Json[])[0]!.carbonGPerKwh = -1),
  (m) => ((m.points as Json[])[0]!.carbonGPerKwh = 6000),
  (m) => ((m.points as Json[])[0]!.carbonGPerKwh = null),
  (m) => ((m.points as Json[])[0]!.note = 'x'),
  (m) => (m.points as unknown[]).push(null),
  (m) => (m.points as unknown[]).push((m.points as Json[])[0]),
];

describe('acceptPriceMessage (the fast path of price validation)', () => {
  it('accepts only what the full validation accepts, with the same value', () => {
    fc.assert(
      fc.property(
        validMessage,
        fc.array(fc.integer({ min: 0, max: mutations.length - 1 }), { maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom(undefined, 0, -1),
        (message, mutate, wrongKey, limit) => {
          const input = structuredClone(message);
          for (const i of mutate) {
            try {
              mutations[i]!(input);
            } catch {
              // an earlier mutation changed the shape this one edits (e.g. points is no longer an array)
            }
          }
          const key = wrongKey ? 'NL' : String(message.zone);
          // Sometimes a clock-skew limit right at, or just before, the issue time.
          const notAfterMs = limit === undefined ? undefined : Date.parse(String(message.issuedAt)) + limit;
          const opts = notAfterMs === undefined ? { fx } : { fx, notAfterMs };
          const fast = acceptPriceMessage(key, input, opts);
          const full = validatePriceMessageFully(key, input, opts);
          if (fast !== undefined) expect(full).toEqual({ ok: true, value: fast });
          // And the public entry point gives the full validation's answer either way.
          expect(validatePriceMessage(key, input, opts)).toEqual(full);
        },
      ),
      { numRuns: 3000, seed: 20261203 },
    );
  });

  it('takes the common valid message (so the fast path is actually used)', () => {
    fc.assert(
      fc.property(validMessage, (message) => {
        expect(acceptPriceMessage(String(message.zone), message, { fx })).toBe(message);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('leaves out-of-order points and implausible prices to the full validation', () => {
    const message = {
      partnerId: 'acme',
      zone: 'FR',
      market: 'day_ahead',
      currency: 'EUR',
      unit: 'MWh',
      issuedAt: '2023-03-01T11:00:00Z',
      points: [
        { intervalStart: '2023-03-02T01:00:00Z', intervalMinutes: 60, price: 50 },
        { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 40 },
      ],
    };
    expect(acceptPriceMessage('FR', message, { fx })).toBeUndefined();
    expect(validatePriceMessage('FR', message, { fx }).ok).toBe(true);
    const absurd = { ...message, points: [{ ...message.points[0]!, price: 5e6 }] };
    expect(acceptPriceMessage('FR', absurd, { fx })).toBeUndefined();
    expect(validatePriceMessage('FR', absurd, { fx })).toMatchObject({
      ok: false,
      code: 'IMPLAUSIBLE_PRICE',
    });
  });

  it('reads timestamps the schema accepts, with their offset, and nothing else', () => {
    expect(acceptedTimestampMs('2023-03-01T12:00:00+01:00')).toBe(Date.parse('2023-03-01T11:00:00Z'));
    expect(acceptedTimestampMs('2023-03-01T12:00:00+01:00')).toBe(Date.parse('2023-03-01T11:00:00Z')); // cached
    expect(acceptedTimestampMs('2023-03-01T12:00:00')).toBeUndefined();
    expect(acceptedTimestampMs(1677668400000)).toBeUndefined();
  });
});

describe('canonicalUtcMs', () => {
  it('reads exactly the canonical UTC timestamps the schema accepts, to the same instant', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 900, max: 2200 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
        (y, mo, d, h, mi, s, ms) => {
          const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${
            ms === undefined ? '' : `.${pad(ms, 3)}`
          }Z`;
          const fast = canonicalUtcMs(text);
          const schemaOk = TimestampSchema.safeParse(text).success;
          if (fast !== undefined) {
            expect(schemaOk).toBe(true);
            expect(fast).toBe(Date.parse(text));
          } else if (y >= 1000) {
            expect(schemaOk).toBe(false); // a 4-digit year in canonical form is only refused when invalid
          }
        },
      ),
      { numRuns: 5000, seed: 3 },
    );
    expect(canonicalUtcMs('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(canonicalUtcMs('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(canonicalUtcMs('2023-03-01T00:00:00+00:00')).toBeUndefined(); // not canonical: the schema path reads it
  });
});
