import { describe, expect, it } from 'vitest';
import { utcOffsetMinutes, wallClockToUtcCandidates } from './local-time.js';
import { missingIntervals, parsePriceCsv, slicePoints } from './prices.js';
import { zoneRule, zoneRules } from './zone-rules.js';
import { DatasetFormatError } from './csv.js';

// Rows below are verbatim from the HewlettPackard/green-dcc 2023 price files (see data/README.md).
const csv = (header: string, rows: string[]) => [header, ...rows].join('\n') + '\n';
const at = (series: { points: { intervalStartUtc: string; price: number }[] }) =>
  series.points.map((p) => [p.intervalStartUtc, p.price]);

describe('Europe/Paris wall-clock (Intl)', () => {
  it('offsets: +60 in winter, +120 in summer', () => {
    expect(utcOffsetMinutes('Europe/Paris', Date.parse('2023-03-26T00:59:59Z'))).toBe(60);
    expect(utcOffsetMinutes('Europe/Paris', Date.parse('2023-03-26T01:00:00Z'))).toBe(120);
    expect(utcOffsetMinutes('Europe/Paris', Date.parse('2023-10-29T00:59:59Z'))).toBe(120);
    expect(utcOffsetMinutes('Europe/Paris', Date.parse('2023-10-29T01:00:00Z'))).toBe(60);
  });

  it('02:30 on 2023-03-26 does not exist; 02:30 on 2023-10-29 happens twice', () => {
    const wall = { year: 2023, month: 3, day: 26, hour: 2, minute: 30, second: 0 };
    expect(wallClockToUtcCandidates('Europe/Paris', wall)).toEqual([]);
    expect(
      wallClockToUtcCandidates('Europe/Paris', { ...wall, month: 10, day: 29 }).map((t) =>
        new Date(t).toISOString(),
      ),
    ).toEqual([
      '2023-10-29T00:30:00.000Z', // 02:30 CEST (UTC+2)
      '2023-10-29T01:30:00.000Z', // 02:30 CET (UTC+1)
    ]);
    expect(wallClockToUtcCandidates('America/Chicago', { ...wall, month: 3, day: 12 })).toEqual([]);
  });
});

describe('parsePriceCsv — EU files (naive Europe/Paris)', () => {
  it('spring forward 2023-03-26 (DE-LU): the 02:00 row does not exist and is dropped → 23 hours', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (EUR/MWh)', [
        '2023-03-25 23:00:00,63.5', // (not the real 23:00 row value; only the surrounding day matters)
        '2023-03-26 00:00:00,39.66',
        '2023-03-26 01:00:00,39.23',
        '2023-03-26 02:00:00,40.12', // non-existent wall-clock time, repeats the 03:00 value
        '2023-03-26 03:00:00,40.12',
        '2023-03-26 04:00:00,40.88',
      ]),
      'DE-LU',
    );
    expect(series.currency).toBe('EUR');
    expect(at(series)).toEqual([
      ['2023-03-25T22:00:00.000Z', 63.5], // 23:00 CET − 1 h
      ['2023-03-25T23:00:00.000Z', 39.66], // 00:00 CET − 1 h
      ['2023-03-26T00:00:00.000Z', 39.23], // 01:00 CET − 1 h
      ['2023-03-26T01:00:00.000Z', 40.12], // 03:00 CEST − 2 h
      ['2023-03-26T02:00:00.000Z', 40.88], // 04:00 CEST − 2 h
    ]);
    expect(series.adjustments).toEqual([
      { line: 5, reason: 'nonexistent-local-time', raw: '2023-03-26 02:00:00,40.12' },
    ]);
  });

  it('GB spring row repeats the previous hour instead — still dropped, the real 01:00 kept', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (EUR/MWh)', [
        '2023-03-26 01:00:00,123.38',
        '2023-03-26 02:00:00,123.38',
        '2023-03-26 03:00:00,131.91',
      ]),
      'GB',
    );
    expect(at(series)).toEqual([
      ['2023-03-26T00:00:00.000Z', 123.38],
      ['2023-03-26T01:00:00.000Z', 131.91],
    ]);
  });

  it('fall back 2023-10-29 (DE-LU): 24 rows for 25 hours; 02:00 is read as CEST, so 01:00Z is missing', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (EUR/MWh)', [
        '2023-10-29 00:00:00,14.05',
        '2023-10-29 01:00:00,0.96',
        '2023-10-29 02:00:00,0.015',
        '2023-10-29 03:00:00,-0.24',
        '2023-10-29 04:00:00,-0.28',
      ]),
      'DE-LU',
    );
    expect(at(series)).toEqual([
      ['2023-10-28T22:00:00.000Z', 14.05], // 00:00 CEST − 2 h
      ['2023-10-28T23:00:00.000Z', 0.96], // 01:00 CEST − 2 h
      ['2023-10-29T00:00:00.000Z', 0.015], // first 02:00 = CEST − 2 h
      ['2023-10-29T02:00:00.000Z', -0.24], // 03:00 CET − 1 h
      ['2023-10-29T03:00:00.000Z', -0.28], // 04:00 CET − 1 h
    ]);
    expect(missingIntervals(series.points, '2023-10-28T22:00:00Z', '2023-10-29T04:00:00Z')).toEqual([
      '2023-10-29T01:00:00.000Z',
    ]);
  });

  it('a second 02:00 row on the fold day (if a file had 25) is the CET hour', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (EUR/MWh)', [
        '2023-10-29 02:00:00,1',
        '2023-10-29 02:00:00,2',
        '2023-10-29 03:00:00,3',
      ]),
      'FR',
    );
    expect(at(series)).toEqual([
      ['2023-10-29T00:00:00.000Z', 1],
      ['2023-10-29T01:00:00.000Z', 2],
      ['2023-10-29T02:00:00.000Z', 3],
    ]);
  });

  it('sorts and keeps the first of true duplicates, saying so', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (EUR/MWh)', [
        '2023-03-01 01:00:00,2',
        '2023-03-01 00:00:00,1',
        '2023-03-01 00:00:00,9',
      ]),
      'NL',
    );
    expect(at(series)).toEqual([
      ['2023-02-28T23:00:00.000Z', 1],
      ['2023-03-01T00:00:00.000Z', 2],
    ]);
    expect(series.adjustments.map((a) => [a.line, a.reason])).toEqual([[4, 'duplicate-instant']]);
  });
});

describe('parsePriceCsv — US, Canada, Asia-Pacific', () => {
  it('ERCOT explicit offsets across both DST changes (CST −06:00, CDT −05:00)', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (USD/MWh)', [
        '2023-03-12 00:00:00-06:00,23.17', // 06:00Z
        '2023-03-12 01:00:00-06:00,19.06', // 07:00Z
        '2023-03-12 03:00:00-05:00,16.91', // 08:00Z — local 02:00 does not exist
        '2023-11-05 00:00:00-05:00,20.78', // 05:00Z
        '2023-11-05 01:00:00-05:00,22.49', // 06:00Z — first 01:00 (CDT)
        '2023-11-05 01:00:00-06:00,25.61', // 07:00Z — second 01:00 (CST)
        '2023-11-05 02:00:00-06:00,23.39', // 08:00Z
      ]),
      'US-TEX-ERCO',
    );
    expect(series.points.map((p) => p.intervalStartUtc.slice(0, 16))).toEqual([
      '2023-03-12T06:00',
      '2023-03-12T07:00',
      '2023-03-12T08:00',
      '2023-11-05T05:00',
      '2023-11-05T06:00',
      '2023-11-05T07:00',
      '2023-11-05T08:00',
    ]);
    expect(series.adjustments).toEqual([]);
  });

  it('ERCOT rows without an offset are an error', () => {
    expect(() =>
      parsePriceCsv(csv('Datetime,Price (USD/MWh)', ['2023-03-12 00:00:00,1']), 'US-TEX-ERCO'),
    ).toThrow(/line 2: .*explicit/);
  });

  it('CAISO and NYISO are naive UTC', () => {
    expect(
      at(parsePriceCsv(csv('Datetime,Price (USD/MWh)', ['2023-03-12 08:00:00,75.05149']), 'US-CAL-CISO')),
    ).toEqual([['2023-03-12T08:00:00.000Z', 75.05149]]);
    expect(
      at(parsePriceCsv(csv('Datetime,Price (USD/MWh)', ['2023-01-01 05:00:00,37.7']), 'US-NY-NYIS')),
    ).toEqual([['2023-01-01T05:00:00.000Z', 37.7]]);
  });

  it('CA-ON is EST all year (UTC−5), CAD', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (CAD/MWh)', ['2023-01-01 00:00:00,14.42', '2023-07-01 00:00:00,20']),
      'CA-ON',
    );
    expect(series.currency).toBe('CAD');
    expect(series.points.map((p) => p.intervalStartUtc)).toEqual([
      '2023-01-01T05:00:00.000Z',
      '2023-07-01T05:00:00.000Z',
    ]);
  });

  it('AU-NSW: AEST (UTC+10), AUD despite the USD header, month-boundary pair merged 1:11', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (USD/MWh)', [
        '2023-03-31 23:00:00,150.76166666666668',
        '2023-04-01 00:00:00,125.29', // the one 5-min price ending 00:00
        '2023-04-01 00:00:00,140.9427272727273', // mean of the 11 ending 00:05–00:55
      ]),
      'AU-NSW',
    );
    expect(series.currency).toBe('AUD');
    expect(series.points[0]).toEqual({
      intervalStartUtc: '2023-03-31T13:00:00.000Z',
      price: 150.76166666666668,
    });
    expect(series.points[1]?.intervalStartUtc).toBe('2023-03-31T14:00:00.000Z'); // 04-01 00:00 AEST − 10 h
    expect(series.points[1]?.price).toBeCloseTo(139.638333, 6); // (125.29 + 11 × 140.9427272727273) / 12 = 1675.66 / 12
    expect(series.adjustments.map((a) => a.reason)).toEqual(['aemo-month-boundary-merged']);
  });

  it('AU-NSW: the lone 5-min row closing the file is dropped', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (USD/MWh)', [
        '2023-12-31 22:00:00,55.6475',
        '2023-12-31 23:00:00,57.465',
        '2024-01-01 00:00:00,57.98',
      ]),
      'AU-NSW',
    );
    expect(series.points.map((p) => p.intervalStartUtc)).toEqual([
      '2023-12-31T12:00:00.000Z',
      '2023-12-31T13:00:00.000Z',
    ]);
    expect(series.adjustments).toEqual([
      { line: 4, reason: 'aemo-partial-hour', raw: '2024-01-01 00:00:00,57.98' },
    ]);
  });

  it.each([
    { zone: 'JP-TK', row: '2023-01-01 00:00:00,24900.0', currency: 'JPY', want: '2022-12-31T15:00:00.000Z' }, // JST −9 h
    { zone: 'KR', row: '2023-01-01 00:00:00,207310.0', currency: 'KRW', want: '2022-12-31T15:00:00.000Z' }, // KST −9 h
    { zone: 'SG', row: '2023-01-01 00:00:00,158.62', currency: 'SGD', want: '2022-12-31T16:00:00.000Z' }, // SGT −8 h
    { zone: 'IN', row: '2023-01-01 00:00:00,2573.42', currency: 'INR', want: '2022-12-31T18:30:00.000Z' }, // IST −5:30
  ])('$zone: $row → $want', ({ zone, row, currency, want }) => {
    const series = parsePriceCsv(csv(`Datetime,Price (${currency}/MWh)`, [row]), zone);
    expect(series.currency).toBe(currency);
    expect(series.points[0]?.intervalStartUtc).toBe(want);
  });
});

describe('parsePriceCsv — errors and helpers', () => {
  it('rejects a header naming another currency, unknown zones and bad rows with the line number', () => {
    expect(() => parsePriceCsv(csv('Datetime,Price (USD/MWh)', []), 'DE-LU')).toThrow(
      /header names USD, expected EUR/,
    );
    expect(() => parsePriceCsv(csv('Datetime,Price (EUR/MWh)', []), 'XX')).toThrow(/no zone rule for XX/);
    expect(() => parsePriceCsv(csv('Datetime,Price (EUR/MWh)', ['2023-03-01 00:00:00,']), 'FR')).toThrow(
      DatasetFormatError,
    );
    expect(() => parsePriceCsv(csv('Datetime,Price (EUR/MWh)', ['2023-03-01T00:00,1']), 'FR')).toThrow(
      /line 2: bad Datetime/,
    );
  });

  it('reads CRLF and a missing final newline', () => {
    const series = parsePriceCsv(
      'Datetime,Price (USD/MWh)\r\n2023-03-01 00:00:00,1\r\n2023-03-01 01:00:00,2',
      'US-NY-NYIS',
    );
    expect(series.points).toHaveLength(2);
  });

  it('slices by UTC', () => {
    const series = parsePriceCsv(
      csv('Datetime,Price (USD/MWh)', ['2023-03-01 00:00:00,1', '2023-03-01 01:00:00,2']),
      'US-NY-NYIS',
    );
    expect(slicePoints(series.points, '2023-03-01T01:00:00Z', '2023-03-02T00:00:00Z')).toEqual([
      { intervalStartUtc: '2023-03-01T01:00:00.000Z', price: 2 },
    ]);
  });

  it('every zone rule is internally consistent', () => {
    for (const [key, rule] of Object.entries(zoneRules)) {
      expect(rule.zone).toBe(key);
      expect(zoneRule(key)).toBe(rule);
      expect((rule.carbonFile === null) === (rule.carbonZoneId === null)).toBe(true);
    }
  });
});
