import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_CODES, deadLetterHeaders, messageHeaders, type DeadLetterCode } from './dead-letter.js';
import {
  decodeLoadMessage,
  decodePlacementOrder,
  decodePriceMessage,
  encodeMessage,
  formatPath,
  type PriceDecodeOptions,
} from './decode.js';
import { decodeGridEventMessage } from './grid-events.js';
import { parseExchangeRates } from './fx.js';
import { toRfc3339 } from './time.js';
import type { ClusterLoadMessageV1, PlacementOrderV1, PriceMessageV1 } from './schemas.js';
import { dlqTopic, TOPICS } from './constants.js';

const fx = parseExchangeRates({
  base: 'USD',
  perUsd: { USD: 1, EUR: 0.925, GBP: 0.804, AUD: 1.505, JPY: 140.5 },
});
const opts: PriceDecodeOptions = { fx };

const price: PriceMessageV1 = {
  partnerId: 'acme-energy',
  zone: 'DE-LU',
  market: 'day_ahead',
  currency: 'EUR',
  unit: 'MWh',
  issuedAt: '2023-03-01T11:00:00Z',
  points: [
    { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 87.45, carbonGPerKwh: 312 },
    { intervalStart: '2023-03-02T01:00:00+00:00', intervalMinutes: 60, price: -3.2 },
  ],
};

const load: ClusterLoadMessageV1 = {
  clusterId: 'fra-1',
  region: 'eu-central',
  zone: 'DE-LU',
  observedAt: '2023-03-01T11:05:00Z',
  gpuModel: 'H100',
  gpuTotal: 4096,
  gpuBusy: 2900,
  gpuSchedulable: 1100,
  powerKw: 5200,
  powerCapKw: 7000,
  pue: 1.18,
};

const order: PlacementOrderV1 = {
  scheduleId: 'sch-1',
  scheduleVersion: 42,
  clusterId: 'fra-1',
  issuedAt: '2023-03-01T12:00:00Z',
  supersedesVersion: 41,
  slots: [
    { start: '2023-03-02T00:00:00Z', minutes: 60, assignments: [{ jobId: 'chat-eu', gpus: 64 }] },
    { start: '2023-03-02T01:00:00Z', minutes: 60, assignments: [] },
  ],
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const withPrice = (patch: Partial<PriceMessageV1>) => json({ ...price, ...patch });
const withPoint = (patch: Record<string, unknown>) =>
  json({
    ...price,
    points: [{ intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 50, ...patch }],
  });
const withLoad = (patch: Record<string, unknown>) => json({ ...load, ...patch });

describe('decodePriceMessage', () => {
  it('accepts the DESIGN.md example and returns the typed message', () => {
    const result = decodePriceMessage('DE-LU', encodeMessage(price), opts);
    expect(result).toEqual({ ok: true, value: price });
  });

  it('accepts a Buffer key, offsets other than Z, negative prices and kWh', () => {
    const value = json({
      ...price,
      unit: 'kWh',
      points: [{ intervalStart: '2023-03-02T01:00:00+01:00', intervalMinutes: 15, price: -0.05 }],
    });
    expect(decodePriceMessage(Buffer.from('DE-LU'), value, opts).ok).toBe(true);
  });

  it('accepts a price exactly at the limits (inclusive) and a market-cap spike', () => {
    // 4,000 EUR/MWh ÷ 0.925 = 4,324.32 USD/MWh, well inside the default 100,000.
    expect(decodePriceMessage('DE-LU', withPoint({ price: 4000 }), opts).ok).toBe(true);
    const usd = { ...price, currency: 'USD', points: [{ ...price.points[0], price: -10_000 }] };
    expect(decodePriceMessage('DE-LU', json(usd), opts).ok).toBe(true);
  });

  const cases: {
    name: string;
    key: string | null;
    value: Buffer | null;
    code: DeadLetterCode;
    says: string;
  }[] = [
    {
      name: 'value over maxBytes',
      key: 'DE-LU',
      value: Buffer.alloc(300_000, 0x20),
      code: 'OVERSIZED',
      says: '300000 bytes',
    },
    { name: 'null key', key: null, value: encodeMessage(price), code: 'EMPTY_KEY', says: 'no key' },
    { name: 'blank key', key: '  ', value: encodeMessage(price), code: 'EMPTY_KEY', says: 'empty' },
    { name: 'tombstone', key: 'DE-LU', value: null, code: 'MALFORMED_JSON', says: 'tombstone' },
    {
      name: 'truncated JSON',
      key: 'DE-LU',
      value: Buffer.from('{"zone":'),
      code: 'MALFORMED_JSON',
      says: 'not JSON',
    },
    {
      name: 'invalid UTF-8',
      key: 'DE-LU',
      value: Buffer.from([0x7b, 0xff, 0x7d]),
      code: 'MALFORMED_JSON',
      says: 'UTF-8',
    },
    {
      name: 'naive interval start',
      key: 'DE-LU',
      value: withPoint({ intervalStart: '2023-03-02T00:00:00' }),
      code: 'NAIVE_TIMESTAMP',
      says: 'points[0].intervalStart',
    },
    {
      name: 'naive issuedAt with a space',
      key: 'DE-LU',
      value: withPrice({ issuedAt: '2023-03-01 11:00:00' }),
      code: 'NAIVE_TIMESTAMP',
      says: 'issuedAt',
    },
    {
      name: 'unknown market',
      key: 'DE-LU',
      value: json({ ...price, market: 'spot' }),
      code: 'UNKNOWN_MARKET',
      says: '"spot"',
    },
    {
      name: 'interval length 45',
      key: 'DE-LU',
      value: withPoint({ intervalMinutes: 45 }),
      code: 'MISALIGNED_INTERVAL',
      says: 'points[0].intervalMinutes',
    },
    {
      name: '60-min interval starting at :15',
      key: 'DE-LU',
      value: withPoint({ intervalStart: '2023-03-02T00:15:00Z' }),
      code: 'MISALIGNED_INTERVAL',
      says: '60-minute UTC grid',
    },
    {
      // 05:30 IST = 00:00Z is aligned, but 06:00+05:30 = 00:30Z is not on the hourly UTC grid.
      name: 'hour start at +05:30',
      key: 'DE-LU',
      value: withPoint({ intervalStart: '2023-03-02T06:00:00+05:30' }),
      code: 'MISALIGNED_INTERVAL',
      says: 'points[0].intervalStart',
    },
    {
      name: 'missing price',
      key: 'DE-LU',
      value: json({ ...price, points: [{ intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60 }] }),
      code: 'SCHEMA_VIOLATION',
      says: 'points[0].price',
    },
    {
      name: 'unknown field (typo)',
      key: 'DE-LU',
      value: withPoint({ pirce: 3 }),
      code: 'SCHEMA_VIOLATION',
      says: 'points[0]: unknown field(s) pirce',
    },
    {
      name: 'price as a string',
      key: 'DE-LU',
      value: withPoint({ price: '87.45' }),
      code: 'SCHEMA_VIOLATION',
      says: 'points[0].price',
    },
    {
      name: 'empty points',
      key: 'DE-LU',
      value: withPrice({ points: [] }),
      code: 'SCHEMA_VIOLATION',
      says: 'points',
    },
    {
      name: 'JSON array instead of object',
      key: 'DE-LU',
      value: Buffer.from('[]'),
      code: 'SCHEMA_VIOLATION',
      says: '(root)',
    },
    {
      name: 'offset without colon',
      key: 'DE-LU',
      value: withPrice({ issuedAt: '2023-03-01T11:00:00+0100' }),
      code: 'SCHEMA_VIOLATION',
      says: 'issuedAt',
    },
    {
      name: 'negative carbon',
      key: 'DE-LU',
      value: withPoint({ carbonGPerKwh: -1 }),
      code: 'SCHEMA_VIOLATION',
      says: 'carbonGPerKwh',
    },
    {
      name: 'key is another zone',
      key: 'FR',
      value: encodeMessage(price),
      code: 'KEY_MISMATCH',
      says: 'zone "DE-LU"',
    },
    {
      name: 'currency not in the table',
      key: 'DE-LU',
      value: withPrice({ currency: 'CHF' }),
      code: 'UNKNOWN_CURRENCY',
      says: 'CHF',
    },
    {
      name: 'two points overlap',
      key: 'DE-LU',
      value: withPrice({
        points: [
          { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 1 },
          { intervalStart: '2023-03-02T00:30:00Z', intervalMinutes: 15, price: 2 },
        ],
      }),
      code: 'OVERLAPPING_INTERVALS',
      says: 'points[1] overlaps points[0]',
    },
    {
      name: 'duplicate interval',
      key: 'DE-LU',
      value: withPrice({
        points: [
          { intervalStart: '2023-03-02T00:00:00Z', intervalMinutes: 60, price: 1 },
          { intervalStart: '2023-03-02T01:00:00+01:00', intervalMinutes: 60, price: 1 },
        ],
      }),
      code: 'OVERLAPPING_INTERVALS',
      says: 'points[1] overlaps points[0]',
    },
    {
      // 100,000 EUR ÷ 0.925 = 108,108.11 USD > 100,000 USD
      name: 'absurd price after conversion',
      key: 'DE-LU',
      value: withPoint({ price: 100_000 }),
      code: 'IMPLAUSIBLE_PRICE',
      says: '108108.11 USD/MWh',
    },
    {
      // 12 EUR/kWh = 12,000 EUR/MWh ÷ 0.925 = 12,972.97 USD/MWh: fine; -11 EUR/kWh = -11,891.89 USD/MWh < -10,000
      name: 'absurd negative kWh price',
      key: 'DE-LU',
      value: json({ ...price, unit: 'kWh', points: [{ ...price.points[0], price: -11 }] }),
      code: 'IMPLAUSIBLE_PRICE',
      says: '-11891.89',
    },
  ];

  it.each(cases)('$name → $code', ({ key, value, code, says }) => {
    const result = decodePriceMessage(key, value, opts);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message).toContain(says);
  });

  it('honours configured limits and size', () => {
    // 87.45 EUR ÷ 0.925 = 94.54 USD > 90
    const tight = { ...opts, priceLimits: { minPerMwhBase: 0, maxPerMwhBase: 90 } };
    const result = decodePriceMessage('DE-LU', encodeMessage(price), tight);
    expect(result).toMatchObject({ ok: false, code: 'IMPLAUSIBLE_PRICE' });
    expect(decodePriceMessage('DE-LU', encodeMessage(price), { ...opts, maxBytes: 100 })).toMatchObject({
      ok: false,
      code: 'OVERSIZED',
    });
  });

  it('reports how many further issues there were', () => {
    const result = decodePriceMessage('DE-LU', json({ ...price, partnerId: '', currency: 'eur' }), opts);
    expect(result).toMatchObject({ ok: false, code: 'SCHEMA_VIOLATION' });
    if (!result.ok) expect(result.message).toMatch(/^partnerId: .*\(\+2 more at partnerId, currency\)$/);
  });
});

describe('decodeLoadMessage', () => {
  it('accepts the DESIGN.md example', () => {
    expect(decodeLoadMessage('fra-1', encodeMessage(load))).toEqual({ ok: true, value: load });
  });

  it('accepts busy + schedulable above total (preemptible busy work)', () => {
    expect(decodeLoadMessage('fra-1', withLoad({ gpuBusy: 4000, gpuSchedulable: 4000 })).ok).toBe(true);
  });

  const cases: {
    name: string;
    key: string | null;
    value: Buffer | null;
    code: DeadLetterCode;
    says: string;
  }[] = [
    {
      name: 'oversized',
      key: 'fra-1',
      value: Buffer.alloc(262_145, 0x20),
      code: 'OVERSIZED',
      says: '262144',
    },
    { name: 'empty key', key: '', value: encodeMessage(load), code: 'EMPTY_KEY', says: 'empty' },
    {
      name: 'not JSON',
      key: 'fra-1',
      value: Buffer.from('gpuTotal=4'),
      code: 'MALFORMED_JSON',
      says: 'not JSON',
    },
    {
      name: 'naive observedAt',
      key: 'fra-1',
      value: withLoad({ observedAt: '2023-03-01T11:05' }),
      code: 'NAIVE_TIMESTAMP',
      says: 'observedAt',
    },
    {
      name: 'negative busy',
      key: 'fra-1',
      value: withLoad({ gpuBusy: -3 }),
      code: 'NEGATIVE_COUNT',
      says: 'gpuBusy',
    },
    {
      name: 'negative total',
      key: 'fra-1',
      value: withLoad({ gpuTotal: -1 }),
      code: 'NEGATIVE_COUNT',
      says: 'gpuTotal',
    },
    {
      name: 'fractional GPUs',
      key: 'fra-1',
      value: withLoad({ gpuSchedulable: 1.5 }),
      code: 'SCHEMA_VIOLATION',
      says: 'gpuSchedulable',
    },
    {
      name: 'PUE below 1',
      key: 'fra-1',
      value: withLoad({ pue: 0.9 }),
      code: 'SCHEMA_VIOLATION',
      says: 'pue',
    },
    {
      name: 'extra field',
      key: 'fra-1',
      value: withLoad({ gpuFree: 3 }),
      code: 'SCHEMA_VIOLATION',
      says: 'gpuFree',
    },
    {
      name: 'key ≠ clusterId',
      key: 'ams-1',
      value: encodeMessage(load),
      code: 'KEY_MISMATCH',
      says: 'clusterId',
    },
    {
      name: 'busy > total',
      key: 'fra-1',
      value: withLoad({ gpuBusy: 5000 }),
      code: 'GPU_BUSY_EXCEEDS_TOTAL',
      says: 'gpuBusy 5000 > gpuTotal 4096',
    },
    {
      name: 'schedulable > total',
      key: 'fra-1',
      value: withLoad({ gpuSchedulable: 4097 }),
      code: 'GPU_SCHEDULABLE_EXCEEDS_TOTAL',
      says: '4097 > gpuTotal 4096',
    },
  ];

  it.each(cases)('$name → $code', ({ key, value, code, says }) => {
    const result = decodeLoadMessage(key, value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message).toContain(says);
  });
});

describe('decodePlacementOrder', () => {
  it('accepts a valid order', () => {
    expect(decodePlacementOrder('fra-1', encodeMessage(order))).toEqual({ ok: true, value: order });
  });

  it.each([
    { name: 'key mismatch', key: 'ams-1', patch: {}, code: 'KEY_MISMATCH' },
    { name: 'supersedes itself', key: 'fra-1', patch: { supersedesVersion: 42 }, code: 'SCHEMA_VIOLATION' },
    {
      name: 'misaligned slot',
      key: 'fra-1',
      patch: { slots: [{ start: '2023-03-02T00:30:00Z', minutes: 60, assignments: [] }] },
      code: 'MISALIGNED_INTERVAL',
    },
    {
      name: 'overlapping slots',
      key: 'fra-1',
      patch: {
        slots: [
          { start: '2023-03-02T00:00:00Z', minutes: 60, assignments: [] },
          { start: '2023-03-02T00:30:00Z', minutes: 30, assignments: [] },
        ],
      },
      code: 'OVERLAPPING_INTERVALS',
    },
    {
      name: 'negative gpus',
      key: 'fra-1',
      patch: {
        slots: [{ start: '2023-03-02T00:00:00Z', minutes: 60, assignments: [{ jobId: 'a', gpus: -1 }] }],
      },
      code: 'NEGATIVE_COUNT',
    },
    {
      name: 'job twice in a slot',
      key: 'fra-1',
      patch: {
        slots: [
          {
            start: '2023-03-02T00:00:00Z',
            minutes: 60,
            assignments: [
              { jobId: 'a', gpus: 1 },
              { jobId: 'a', gpus: 2 },
            ],
          },
        ],
      },
      code: 'SCHEMA_VIOLATION',
    },
  ])('$name → $code', ({ key, patch, code }) => {
    expect(decodePlacementOrder(key, json({ ...order, ...patch }))).toMatchObject({ ok: false, code });
  });
});

describe('FUTURE_TIMESTAMP', () => {
  it('refuses an issuedAt or observedAt past the limit, and accepts one at it', () => {
    const at = Date.parse(price.issuedAt);
    expect(decodePriceMessage('DE-LU', encodeMessage(price), { ...opts, notAfterMs: at })).toMatchObject({
      ok: true,
    });
    expect(decodePriceMessage('DE-LU', encodeMessage(price), { ...opts, notAfterMs: at - 1 })).toMatchObject({
      ok: false,
      code: 'FUTURE_TIMESTAMP',
      message: expect.stringContaining('issuedAt') as unknown,
    });
    const load = JSON.parse(withLoad({}).toString()) as { observedAt: string };
    const observed = Date.parse(load.observedAt);
    expect(decodeLoadMessage('fra-1', withLoad({}), { notAfterMs: observed })).toMatchObject({ ok: true });
    expect(decodeLoadMessage('fra-1', withLoad({}), { notAfterMs: observed - 1000 })).toMatchObject({
      ok: false,
      code: 'FUTURE_TIMESTAMP',
    });
  });
});

describe('FUTURE_INTERVAL', () => {
  // issuedAt 2023-03-01T11:00Z; the default horizon is 14 days → the latest start is 2023-03-15T11:00Z.
  const at = (intervalStart: string) =>
    withPrice({ points: [{ intervalStart, intervalMinutes: 60, price: 50 }] });
  it.each([
    { name: 'the last hour inside the horizon', start: '2023-03-15T11:00:00Z', ok: true },
    { name: 'one hour past the horizon', start: '2023-03-15T12:00:00Z', ok: false },
    { name: 'the end of time', start: '9999-12-31T23:00:00Z', ok: false },
  ])('$name → ok=$ok', ({ start, ok }) => {
    const result = decodePriceMessage('DE-LU', at(start), opts);
    expect(result).toMatchObject(ok ? { ok: true } : { ok: false, code: 'FUTURE_INTERVAL' });
  });
  it('follows the configured horizon', () => {
    const oneDay = { ...opts, maxIntervalLeadMs: 86_400_000 };
    expect(decodePriceMessage('DE-LU', at('2023-03-02T11:00:00Z'), oneDay)).toMatchObject({ ok: true });
    expect(decodePriceMessage('DE-LU', at('2023-03-02T12:00:00Z'), oneDay)).toMatchObject({
      ok: false,
      code: 'FUTURE_INTERVAL',
      message: expect.stringContaining('points[0].intervalStart') as unknown,
    });
  });
});

describe('every dead-letter code is produced by some input', () => {
  it('covers the whole DEAD_LETTER_CODES list', () => {
    const seen = new Set<DeadLetterCode>();
    const note = (r: { ok: boolean; code?: DeadLetterCode }) => r.code !== undefined && seen.add(r.code);
    note(decodePriceMessage('DE-LU', Buffer.alloc(300_000), opts));
    note(decodePriceMessage('', encodeMessage(price), opts));
    note(decodePriceMessage('DE-LU', Buffer.from('{'), opts));
    note(decodePriceMessage('DE-LU', withPoint({ intervalStart: '2023-03-02T00:00:00' }), opts));
    note(decodePriceMessage('DE-LU', json({ ...price, market: 'spot' }), opts));
    note(decodeLoadMessage('fra-1', withLoad({ gpuBusy: -1 })));
    note(decodePriceMessage('DE-LU', withPoint({ intervalMinutes: 45 }), opts));
    note(decodePriceMessage('DE-LU', withPoint({ extra: 1 }), opts));
    note(decodePriceMessage('FR', encodeMessage(price), opts));
    note(
      decodePriceMessage('DE-LU', encodeMessage(price), {
        ...opts,
        notAfterMs: Date.parse(price.issuedAt) - 1,
      }),
    );
    note(decodePriceMessage('DE-LU', withPrice({ currency: 'XYZ' }), opts));
    note(
      decodePriceMessage(
        'DE-LU',
        withPrice({ points: [price.points[0]!, { ...price.points[0]!, intervalMinutes: 30 }] }),
        opts,
      ),
    );
    note(decodePriceMessage('DE-LU', withPoint({ price: 1e9 }), opts));
    note(decodePriceMessage('DE-LU', withPoint({ intervalStart: '9999-12-31T23:00:00Z' }), opts));
    note(decodeLoadMessage('fra-1', withLoad({ gpuBusy: 5000 })));
    note(decodeLoadMessage('fra-1', withLoad({ gpuSchedulable: 5000 })));
    // Grid events (the other codes they share are covered in grid-events.spec.ts).
    const gridEvent = (interval: object, extra: object = {}) =>
      json({
        eventId: 'e',
        programId: 'p',
        modificationNumber: 0,
        priority: 0,
        targets: { zones: ['DE-LU'] },
        intervals: [{ start: '2023-03-02T17:00:00Z', durationMinutes: 60, ...interval }],
        compliance: 'mandatory',
        ...extra,
      });
    const cap = { payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 1 }] };
    note(decodeGridEventMessage('DE-LU', gridEvent({ payloads: [{ type: 'PRICE', value: 1 }] }), opts));
    note(decodeGridEventMessage('DE-LU', gridEvent(cap, { compliance: 'voluntary' }), opts));
    note(
      decodeGridEventMessage(
        'DE-LU',
        gridEvent({ payloads: [{ type: 'LOAD_REDUCTION', value: 101, unit: 'PERCENT' }] }),
        opts,
      ),
    );
    expect([...seen].sort()).toEqual([...DEAD_LETTER_CODES].sort());
  });
});

describe('headers', () => {
  it('builds dead-letter headers that keep the originals', () => {
    const headers = deadLetterHeaders({
      code: 'KEY_MISMATCH',
      message: 'x'.repeat(2000),
      sourceTopic: TOPICS.prices,
      sourcePartition: 3,
      sourceOffset: '18234',
      originalHeaders: {
        'message-id': Buffer.from('m-1'),
        'content-type': 'application/json',
        skipped: undefined,
      },
    });
    expect(headers).toEqual({
      'message-id': 'm-1',
      'content-type': 'application/json',
      'error-code': 'KEY_MISMATCH',
      'error-message': 'x'.repeat(1000),
      'source-topic': 'gridshift.prices.v1',
      'source-partition': '3',
      'source-offset': '18234',
    });
    expect(messageHeaders('m-2')).toEqual({ 'message-id': 'm-2', 'content-type': 'application/json' });
    expect(dlqTopic(TOPICS.clusterLoad)).toBe('gridshift.cluster-load.v1.dlq');
  });

  it('formats zod paths', () => {
    expect(formatPath(['points', 3, 'price'])).toBe('points[3].price');
    expect(formatPath([])).toBe('(root)');
  });
});

describe('toRfc3339', () => {
  it.each([
    { name: 'an ordinary instant', ms: Date.parse('2023-03-02T00:00:00Z'), want: '2023-03-02T00:00:00.000Z' },
    {
      name: 'year 10000 clamps to the last RFC 3339 instant',
      ms: Date.parse('+010000-01-01T00:00:00Z'),
      want: '9999-12-31T23:59:59.999Z',
    },
    {
      name: 'a negative year clamps to year 0',
      ms: Date.parse('-000010-01-01T00:00:00Z'),
      want: '0000-01-01T00:00:00.000Z',
    },
  ])('$name', ({ ms, want }) => {
    expect(toRfc3339(ms)).toBe(want);
    expect(toRfc3339(new Date(ms))).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
