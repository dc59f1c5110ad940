import { describe, expect, it } from 'vitest';
import {
  decodePriceMessage,
  encodeMessage,
  parseExchangeRates,
  normalizePricePoints,
} from '#gridshift/contracts';
import { CARBON_HEADER, parseCarbonCsv } from './carbon.js';
import {
  aggregateTrace,
  formatTraceBucketsCsv,
  meanTokenRates,
  parseLlmTraceCsv,
  parseTraceBucketsCsv,
  tokensPerHourProfile,
  type TraceBucket,
} from './llm-traces.js';
import { buildPriceMessage, toMessagePoints } from './messages.js';
import { parsePriceCsv } from './prices.js';

// Rows verbatim from the Electricity Maps (via green-dcc) and Azure LLM trace files; both use CRLF.
const carbonText = [
  CARBON_HEADER,
  '2023-03-07 17:00:00,Great Britain,Great Britain,GB,250.5,340.1,35.0,23.0,elexon.co.uk;  nationalgrideso.com,false,',
  '2023-03-07 18:00:00,Great Britain,Great Britain,GB,269.1,360.53,33.7,22.54,Electricity Maps Estimation,true,ESTIMATED_TIME_SLICER_AVERAGE',
].join('\r\n');

const traceText = [
  'TIMESTAMP,ContextTokens,GeneratedTokens',
  '2023-11-16 18:17:03.9799600,4808,10',
  '2023-11-16 18:17:04.0319600,3180,8',
  '2023-11-16 18:17:04.0781490,110,27',
  '2023-11-16 18:20:07.0417510,2648,15',
].join('\r\n'); // the original file ends without a newline

describe('parseCarbonCsv', () => {
  it('reads UTC hours, both intensities and the estimate flag', () => {
    const series = parseCarbonCsv(carbonText);
    expect(series.zoneId).toBe('GB');
    expect(series.points).toEqual([
      {
        intervalStartUtc: '2023-03-07T17:00:00.000Z',
        carbonDirectGPerKwh: 250.5,
        carbonLcaGPerKwh: 340.1,
        lowCarbonPercent: 35,
        renewablePercent: 23,
        estimated: false,
      },
      {
        intervalStartUtc: '2023-03-07T18:00:00.000Z',
        carbonDirectGPerKwh: 269.1,
        carbonLcaGPerKwh: 360.53,
        lowCarbonPercent: 33.7,
        renewablePercent: 22.54,
        estimated: true,
      },
    ]);
  });

  it('rejects foreign headers, mixed zones and duplicate hours', () => {
    expect(() => parseCarbonCsv('Datetime,Price (EUR/MWh)\n')).toThrow(/header/);
    const row = '2023-03-07 17:00:00,Germany,Germany,DE,1,2,3,4,entsoe.eu,false,';
    expect(() => parseCarbonCsv(`${carbonText}\r\n${row}`)).toThrow(/zone DE in a GB file/);
    const dup = carbonText.split('\r\n')[1];
    expect(() => parseCarbonCsv(`${carbonText}\r\n${dup}`)).toThrow(/duplicate hour/);
  });
});

describe('LLM traces', () => {
  const trace = parseLlmTraceCsv(traceText, 'code');

  it('reads requests with millisecond UTC timestamps (100-ns digits truncated)', () => {
    expect(trace.requests[0]).toEqual({
      timestampUtc: '2023-11-16T18:17:03.979Z',
      timeMs: Date.parse('2023-11-16T18:17:03.979Z'),
      contextTokens: 4808,
      generatedTokens: 10,
    });
    expect(trace.requests).toHaveLength(4);
  });

  it('aggregates per minute, empty minutes included (the real code trace is silent 18:18–18:20)', () => {
    const buckets = aggregateTrace(trace.requests);
    expect(
      buckets.map((b) => [b.bucketStartUtc.slice(11, 16), b.requests, b.contextTokens, b.generatedTokens]),
    ).toEqual([
      ['18:17', 3, 8098, 45], // 4808+3180+110, 10+8+27
      ['18:18', 0, 0, 0],
      ['18:19', 0, 0, 0],
      ['18:20', 1, 2648, 15],
    ]);
    expect(parseTraceBucketsCsv(formatTraceBucketsCsv(buckets))).toEqual(buckets);
  });

  it('honours from/to and bucket length', () => {
    const buckets = aggregateTrace(trace.requests, {
      bucketSeconds: 1,
      fromMs: Date.parse('2023-11-16T18:17:04Z'),
      toMs: Date.parse('2023-11-16T18:17:05Z'),
    });
    expect(buckets).toEqual([
      {
        bucketStartUtc: '2023-11-16T18:17:04.000Z',
        bucketSeconds: 1,
        requests: 2,
        contextTokens: 3290,
        generatedTokens: 35,
      },
    ]);
  });

  it('profile: tokens per hour of each window = tokens × 3600 / window seconds', () => {
    const buckets: TraceBucket[] = [10, 20, 30, 40, 50].map((k, i) => ({
      bucketStartUtc: `2023-11-16T18:${String(16 + i)}:00.000Z`,
      bucketSeconds: 60,
      requests: 1,
      contextTokens: k * 100,
      generatedTokens: k,
    }));
    const profile = tokensPerHourProfile(buckets, { slots: 2 });
    // 5 buckets into 2 windows: [0,2) and [2,5) → 2 and 3 minutes
    expect(profile.map((w) => [w.seconds, w.contextTokens, w.generatedTokens, w.tokensPerHour])).toEqual([
      [120, 3000, 30, 90_900], // (3000 + 30) × 3600 / 120
      [180, 12_000, 120, 242_400], // (12000 + 120) × 3600 / 180
    ]);
    expect(profile[1]?.requestsPerHour).toBe(60); // 3 × 3600 / 180
    expect(() => tokensPerHourProfile(buckets, { slots: 6 })).toThrow(/at least 6 buckets/);
  });

  it('mean rates over the trace span', () => {
    const rates = meanTokenRates(trace.requests);
    expect(rates.seconds).toBeCloseTo(183.062, 3); // 18:20:07.041 − 18:17:03.979
    expect(rates.requestsPerSecond).toBeCloseTo(4 / 183.062, 9);
  });
});

describe('file series → gridshift.prices.v1 messages', () => {
  const fx = parseExchangeRates({ base: 'USD', perUsd: { EUR: 0.925, INR: 82.6 } });

  it('a DE-LU day with carbon becomes a valid message that normalises back to the same hours', () => {
    const prices = parsePriceCsv(
      'Datetime,Price (EUR/MWh)\n2023-03-07 18:00:00,150\n2023-03-07 19:00:00,92.5\n2023-03-07 20:00:00,1\n',
      'DE-LU',
    );
    const carbon = parseCarbonCsv(
      [
        CARBON_HEADER,
        '2023-03-07 17:00:00,Germany,Germany,DE,400,450,40,30,entsoe.eu,false,',
        '2023-03-07 18:00:00,Germany,Germany,DE,380,430,41,31,entsoe.eu,false,',
      ].join('\r\n'),
    );
    const message = buildPriceMessage(prices, {
      partnerId: 'replay',
      fromUtc: '2023-03-07T17:00:00Z',
      toUtc: '2023-03-07T19:00:00Z',
      issuedAt: '2023-03-06T11:00:00Z',
      carbon: carbon.points,
    });
    expect(message?.points).toEqual([
      { intervalStart: '2023-03-07T17:00:00.000Z', intervalMinutes: 60, price: 150, carbonGPerKwh: 400 }, // 18:00 CET
      { intervalStart: '2023-03-07T18:00:00.000Z', intervalMinutes: 60, price: 92.5, carbonGPerKwh: 380 },
    ]);
    if (message === null) return;
    const decoded = decodePriceMessage('DE-LU', encodeMessage(message), { fx });
    expect(decoded.ok).toBe(true);
    expect(normalizePricePoints(message, { fx }).map((p) => p.pricePerMwhBase)).toEqual([162.162162, 100]); // 150 ÷ 0.925; 92.5 ÷ 0.925
  });

  it('an IST hour (18:30–19:30Z) is sent as two aligned 30-min points', () => {
    const prices = parsePriceCsv('Datetime,Price (INR/MWh)\n2023-01-01 00:00:00,2573.42\n', 'IN');
    expect(toMessagePoints(prices)).toEqual([
      { intervalStart: '2022-12-31T18:30:00.000Z', intervalMinutes: 30, price: 2573.42 },
      { intervalStart: '2022-12-31T19:00:00.000Z', intervalMinutes: 30, price: 2573.42 },
    ]);
    const message = buildPriceMessage(prices, {
      partnerId: 'replay',
      fromUtc: '2022-12-31T00:00:00Z',
      toUtc: '2023-01-01T00:00:00Z',
      issuedAt: '2022-12-30T12:00:00+05:30',
    });
    expect(message === null ? null : decodePriceMessage('IN', encodeMessage(message), { fx }).ok).toBe(true);
    expect(
      buildPriceMessage(prices, {
        partnerId: 'p',
        fromUtc: '2024-01-01T00:00:00Z',
        toUtc: '2024-01-02T00:00:00Z',
        issuedAt: '2023-12-31T00:00:00Z',
      }),
    ).toBeNull();
  });
});
