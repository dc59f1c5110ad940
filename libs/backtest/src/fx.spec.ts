import { describe, expect, it } from 'vitest';
import { BacktestInputError } from './errors.js';
import { fxUsageText, fxWarnings, nearestFxYears, parseFxTable, utcYears } from './fx.js';

const perUsd = { USD: 1, EUR: 0.924 };

describe('parseFxTable', () => {
  it.each([
    {
      name: 'the year field',
      file: 'rates.json',
      doc: { year: 2024, note: 'rates of 2019', base: 'USD', perUsd },
      want: 2024,
    },
    {
      name: 'a year in the note',
      file: 'rates.json',
      doc: { note: 'Approximate 2023 averages', base: 'USD', perUsd },
      want: 2023,
    },
    { name: 'the file name', file: 'data/fx-2022.json', doc: { base: 'USD', perUsd }, want: 2022 },
    { name: 'nothing', file: 'rates.json', doc: { base: 'USD', perUsd }, want: null },
  ])('takes the year from $name', ({ file, doc, want }) => {
    const table = parseFxTable(file, doc);
    expect(table.year).toBe(want);
    expect(table.rates.perBase.EUR).toBe(0.924);
  });

  it('rejects a bad year or bad rates with the file name', () => {
    expect(() => parseFxTable('fx.json', { year: '2024', base: 'USD', perUsd })).toThrow(
      'fx.json: year: expected a whole year like 2024, got "2024"',
    );
    expect(() => parseFxTable('fx.json', { base: 'USD' })).toThrow(BacktestInputError);
  });
});

describe('choosing tables by year', () => {
  it('lists the UTC years of a range (end exclusive)', () => {
    expect(utcYears(Date.parse('2023-03-01T00:00Z'), Date.parse('2024-01-01T00:00Z'))).toEqual([2023]);
    expect(utcYears(Date.parse('2023-12-31T00:00Z'), Date.parse('2025-01-02T00:00Z'))).toEqual([
      2023, 2024, 2025,
    ]);
  });

  it.each([
    {
      needed: [2023, 2024],
      available: [2023, 2024],
      want: [
        [2023, 2023],
        [2024, 2024],
      ],
    },
    { needed: [2025], available: [2023, 2024], want: [[2025, 2024]] }, // nearest
    { needed: [2021], available: [2024, 2023], want: [[2021, 2023]] },
    { needed: [2024], available: [2023, 2025], want: [[2024, 2023]] }, // tie → the earlier year
    { needed: [2024], available: [], want: [] },
  ])('needed $needed with tables $available', ({ needed, available, want }) => {
    expect([...nearestFxYears(needed, available)]).toEqual(want);
  });

  it('warns when the rates are of another year, and says which table converts which years', () => {
    const uses = [
      { year: 2023, file: 'data/fx-2023.json', tableYear: 2023 },
      { year: 2024, file: 'data/fx-2024.json', tableYear: 2024 },
      { year: 2025, file: 'data/fx-2024.json', tableYear: 2024 },
    ];
    expect(fxWarnings(uses, true)).toEqual([
      'Exchange rates: no table for 2025; prices of 2025 are converted with the 2024 rates of data/fx-2024.json.',
    ]);
    expect(fxWarnings([{ year: 2024, file: 'my-fx.json', tableYear: 2023 }], false)).toEqual([
      'Exchange rates: my-fx.json holds 2023 rates but converts the prices of 2024.',
    ]);
    expect(fxWarnings([{ year: 2024, file: 'my-fx.json', tableYear: null }], false)).toEqual([
      'Exchange rates: my-fx.json does not say which year its rates are from (no `year` field); it converts the prices of 2024.',
    ]);
    expect(fxUsageText(uses)).toBe(
      '`data/fx-2023.json` (2023 rates) for 2023; `data/fx-2024.json` (2024 rates) for 2024, 2025',
    );
  });
});
