import { describe, expect, it } from 'vitest';
import { gridEventContent, mapOpenAdrEvent, modificationNumberAt, type MappingConfig } from './mapping.js';
import { isoDurationMs } from './openadr.js';

const config: MappingConfig = { zones: ['DE-LU'], compliance: 'mandatory', currency: 'EUR' };

/** An OpenADR 3 event as a VTN lists it (GET /events), with `over` merged in. */
function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'evt 17',
    objectType: 'EVENT',
    programID: 'tso-flex',
    eventName: 'evening peak',
    priority: 2,
    createdDateTime: '2026-03-15T08:00:00Z',
    modificationDateTime: '2026-03-15T09:00:00Z',
    targets: [{ type: 'ZONE', values: ['DE-LU'] }],
    payloadDescriptors: [
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'MW' },
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'EUR' },
    ],
    intervalPeriod: { start: '2026-03-15T17:00:00Z', duration: 'PT1H' },
    intervals: [
      { id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [2.5] }] },
      {
        id: 1,
        payloads: [
          { type: 'PRICE', values: [0.12] },
          { type: 'SIMPLE', values: [2] },
        ],
      },
      {
        id: 2,
        intervalPeriod: { start: '2026-03-15T19:00:00Z', duration: 'PT30M' },
        payloads: [
          { type: 'DISPATCH_SETPOINT_RELATIVE', values: [-400] },
          { type: 'GHG', values: [420] },
        ],
      },
    ],
    ...over,
  };
}

describe('OpenADR 3 event → gridshift.grid-events.v1', () => {
  it('maps ids, revision, targets, interval periods and payloads (units converted)', () => {
    const r = mapOpenAdrEvent(event(), config, 1);
    if (!r.ok) throw new Error(r.message);
    // 2020-01-01 → 2026-03-15: 6 years (2020 and 2024 leap: 2,192 days) + 73 days = 2,265 days;
    // 2,265 × 86,400 s + 9 h × 3,600 s = 195,696,000 + 32,400 = 195,728,400.
    expect(r.message).toEqual({
      eventId: 'oadr:evt_17',
      programId: 'tso-flex',
      modificationNumber: 195_728_400,
      priority: 2,
      targets: { zones: ['DE-LU'] },
      intervals: [
        // 2.5 MW = 2,500 kW; interval 0 at the event's start, interval 1 one duration later.
        {
          start: '2026-03-15T17:00:00.000Z',
          durationMinutes: 60,
          payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 2500 }],
        },
        // 0.12 EUR/kWh = 120 EUR/MWh; SIMPLE is skipped.
        { start: '2026-03-15T18:00:00.000Z', durationMinutes: 60, payloads: [{ type: 'PRICE', value: 120 }] },
        // Its own period; a −400 kW relative setpoint is a 400 kW load reduction.
        {
          start: '2026-03-15T19:00:00.000Z',
          durationMinutes: 30,
          payloads: [
            { type: 'LOAD_REDUCTION', value: 400, unit: 'KW' },
            { type: 'GHG', value: 420 },
          ],
        },
      ],
      compliance: 'mandatory',
      currency: 'EUR',
    });
    expect(r.skippedPayloads).toEqual(['SIMPLE']);
  });

  it.each([
    {
      name: 'no ZONE target: the configured zones; RESOURCE_NAME → clusters',
      over: { targets: [{ type: 'RESOURCE_NAME', values: ['fra-1'] }] },
      want: { zones: ['DE-LU'], clusters: ['fra-1'] },
    },
    {
      name: 'ZONE targets win over the configured zones',
      over: { targets: [{ type: 'ZONE', values: ['FR', 'ES'] }] },
      want: { zones: ['FR', 'ES'] },
    },
  ])('$name', ({ over, want }) => {
    const r = mapOpenAdrEvent(event(over), config, 1);
    expect(r.ok && r.message.targets).toEqual(want);
  });

  it('null priority is OpenADR’s lowest (1000); no timestamps: the fallback revision; the cancelled marker', () => {
    const r = mapOpenAdrEvent(
      event({ priority: null, createdDateTime: null, modificationDateTime: null, cancelled: true }),
      config,
      42,
    );
    expect(r.ok && [r.message.priority, r.message.modificationNumber, r.message.cancelled]).toEqual([
      1000,
      42,
      true,
    ]);
  });

  it.each([
    { name: 'not an event', raw: { id: 'x' }, zones: ['DE-LU'], code: 'OPENADR_SCHEMA_VIOLATION' },
    { name: 'no zone anywhere', raw: event({ targets: [] }), zones: [], code: 'OPENADR_NO_ZONE' },
    {
      name: '"infinite" duration',
      raw: event({ intervalPeriod: { start: '2026-03-15T17:00:00Z', duration: 'P9999Y' } }),
      zones: ['DE-LU'],
      code: 'OPENADR_BAD_INTERVAL',
    },
    {
      name: 'nothing gridshift uses',
      raw: event({ intervals: [{ id: 0, payloads: [{ type: 'SIMPLE', values: [1] }] }] }),
      zones: ['DE-LU'],
      code: 'OPENADR_UNMAPPABLE',
    },
    {
      name: 'an interval over 7 days',
      raw: event({ intervalPeriod: { start: '2026-03-15T17:00:00Z', duration: 'P8D' } }),
      zones: ['DE-LU'],
      code: 'OPENADR_CONTRACT_VIOLATION',
    },
  ])('cannot map: $name → $code', ({ raw, zones, code }) => {
    const r = mapOpenAdrEvent(raw, { ...config, zones }, 1);
    expect(r.ok ? null : r.code).toBe(code);
  });

  it('the content ignores the revision', () => {
    const a = mapOpenAdrEvent(event(), config, 1);
    const b = mapOpenAdrEvent(event({ modificationDateTime: '2026-03-15T10:00:00Z' }), config, 1);
    expect(a.ok && b.ok && a.message.modificationNumber !== b.message.modificationNumber).toBe(true);
    expect(a.ok && b.ok && gridEventContent(a.message) === gridEventContent(b.message)).toBe(true);
    expect(modificationNumberAt('2019-12-31T23:59:59Z')).toBeNull();
  });
});

describe('ISO 8601 durations', () => {
  it.each([
    ['PT1H', 3_600_000],
    ['PT15M', 900_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['PT1H30M', 5_400_000],
    ['PT0.5H', 1_800_000],
    ['P1Y', null],
    ['P1M', null],
    ['PT', null],
    ['P', null],
    ['1H', null],
  ])('%s → %s ms', (text, ms) => {
    expect(isoDurationMs(text)).toBe(ms);
  });
});
