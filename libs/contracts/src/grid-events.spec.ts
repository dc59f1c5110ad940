import { describe, expect, it } from 'vitest';
import type { ExchangeRates } from './fx.js';
import { decodeGridEventMessage, normalizeGridEvent, type GridEventMessageV1 } from './grid-events.js';

const fx: ExchangeRates = { base: 'USD', perBase: { EUR: 0.925 } };

function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: 'evt-1',
    programId: 'tso-flex',
    modificationNumber: 0,
    priority: 1,
    targets: { zones: ['DE-LU'] },
    intervals: [
      {
        start: '2023-03-15T17:00:00Z',
        durationMinutes: 180,
        payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 500 }],
      },
    ],
    compliance: 'mandatory',
    ...over,
  };
}

const decode = (value: unknown, key = 'DE-LU') => decodeGridEventMessage(key, JSON.stringify(value), { fx });

describe('decodeGridEventMessage', () => {
  it('accepts the documented example shape', () => {
    const result = decode(event());
    expect(result.ok).toBe(true);
  });

  it.each([
    { name: 'key not a target zone', value: event(), key: 'FR', code: 'KEY_MISMATCH' },
    { name: 'empty key', value: event(), key: '', code: 'EMPTY_KEY' },
    {
      name: 'naive start',
      value: event({
        intervals: [
          { start: '2023-03-15T17:00:00', durationMinutes: 60, payloads: [{ type: 'GHG', value: 1 }] },
        ],
      }),
      code: 'NAIVE_TIMESTAMP',
    },
    {
      name: 'start off the 5-minute grid',
      value: event({
        intervals: [
          { start: '2023-03-15T17:02:00Z', durationMinutes: 60, payloads: [{ type: 'GHG', value: 1 }] },
        ],
      }),
      code: 'MISALIGNED_INTERVAL',
    },
    {
      name: 'overlapping intervals',
      value: event({
        intervals: [
          { start: '2023-03-15T17:00:00Z', durationMinutes: 120, payloads: [{ type: 'GHG', value: 1 }] },
          { start: '2023-03-15T18:00:00Z', durationMinutes: 60, payloads: [{ type: 'GHG', value: 2 }] },
        ],
      }),
      code: 'OVERLAPPING_INTERVALS',
    },
    {
      name: 'a payload type twice',
      value: event({
        intervals: [
          {
            start: '2023-03-15T17:00:00Z',
            durationMinutes: 60,
            payloads: [
              { type: 'GHG', value: 1 },
              { type: 'GHG', value: 2 },
            ],
          },
        ],
      }),
      code: 'SCHEMA_VIOLATION',
    },
    {
      name: 'unknown payload type',
      value: event({
        intervals: [
          { start: '2023-03-15T17:00:00Z', durationMinutes: 60, payloads: [{ type: 'SIMPLE', value: 1 }] },
        ],
      }),
      code: 'SCHEMA_VIOLATION',
    },
    {
      name: 'PRICE without currency',
      value: event({
        intervals: [
          { start: '2023-03-15T17:00:00Z', durationMinutes: 60, payloads: [{ type: 'PRICE', value: 50 }] },
        ],
      }),
      code: 'MISSING_CURRENCY',
    },
    { name: 'unknown currency', value: event({ currency: 'XYZ' }), code: 'UNKNOWN_CURRENCY' },
    {
      name: 'voluntary cap without incentive',
      value: event({ compliance: 'voluntary' }),
      code: 'MISSING_INCENTIVE',
    },
    {
      name: 'reduction above 100 %',
      value: event({
        intervals: [
          {
            start: '2023-03-15T17:00:00Z',
            durationMinutes: 60,
            payloads: [{ type: 'LOAD_REDUCTION', value: 120, unit: 'PERCENT' }],
          },
        ],
      }),
      code: 'IMPLAUSIBLE_PAYLOAD',
    },
    {
      name: 'price adder beyond the limits',
      value: event({
        currency: 'USD',
        intervals: [
          { start: '2023-03-15T17:00:00Z', durationMinutes: 60, payloads: [{ type: 'PRICE', value: 1e7 }] },
        ],
      }),
      code: 'IMPLAUSIBLE_PAYLOAD',
    },
    { name: 'unknown field', value: event({ colour: 'red' }), code: 'SCHEMA_VIOLATION' },
    {
      name: 'negative cap',
      value: event({
        intervals: [
          {
            start: '2023-03-15T17:00:00Z',
            durationMinutes: 60,
            payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: -1 }],
          },
        ],
      }),
      code: 'SCHEMA_VIOLATION',
    },
  ])('$name → $code', ({ value, key, code }) => {
    const result = decode(value, key);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(code);
  });
});

describe('normalizeGridEvent', () => {
  it('converts to UTC and the base currency and hashes the content', () => {
    const msg = event({
      compliance: 'voluntary',
      incentivePerMwh: 92.5,
      currency: 'EUR',
      targets: { zones: ['DE-LU'], clusters: ['fra-2', 'fra-1'] },
      intervals: [
        {
          start: '2023-03-15T18:00:00+01:00',
          durationMinutes: 90,
          payloads: [
            { type: 'LOAD_REDUCTION', value: 25, unit: 'PERCENT' },
            { type: 'PRICE', value: 46.25 },
          ],
        },
      ],
    }) as GridEventMessageV1;
    const n = normalizeGridEvent(msg, fx);
    // 92.5 EUR/MWh ÷ 0.925 EUR per USD = 100 USD/MWh; 46.25 EUR ÷ 0.925 = 50 USD.
    expect(n.incentivePerMwh).toBeCloseTo(100, 9);
    expect(n.clusterIds).toEqual(['fra-1', 'fra-2']);
    expect(n.intervals).toEqual([
      {
        startUtc: '2023-03-15T17:00:00.000Z',
        endUtc: '2023-03-15T18:30:00.000Z',
        capKw: null,
        reductionKw: null,
        reductionPct: 25,
        priceAdderPerMwh: expect.closeTo(50, 9) as number,
        carbonGPerKwh: null,
      },
    ]);
    expect(normalizeGridEvent(msg, fx).contentHash).toBe(n.contentHash);
    expect(normalizeGridEvent({ ...msg, priority: 2 }, fx).contentHash).not.toBe(n.contentHash);
    // modificationNumber is not content: a re-send under a new number with the same content hashes equal.
    expect(normalizeGridEvent({ ...msg, modificationNumber: 5 }, fx).contentHash).toBe(n.contentHash);
  });
});
