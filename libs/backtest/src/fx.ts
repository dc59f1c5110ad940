import { parseExchangeRates, type ExchangeRates } from '#gridshift/contracts';
import { BacktestInputError } from './errors.js';

// Which exchange-rate table converts which year's prices: pure choices over tables the runner has read.

/** An exchange-rate table and the year its rates are from (null when the file does not say). */
export interface FxTable {
  /** Path as shown in the report. */
  file: string;
  year: number | null;
  rates: ExchangeRates;
}

/** The table that converts the prices of `year`. */
export interface FxYearUse {
  year: number;
  file: string;
  /** Year of the table's rates; null = unknown. */
  tableYear: number | null;
}

/**
 * Parses an fx file's JSON (the `data/fx-2023.json` shape): the rates, and their year from the optional
 * `year` field, else the first 4-digit year in `note`, else `fx-<year>` in the file name.
 */
export function parseFxTable(file: string, json: unknown): FxTable {
  let rates: ExchangeRates;
  try {
    rates = parseExchangeRates(json);
  } catch (error) {
    throw new BacktestInputError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const doc = (typeof json === 'object' && json !== null ? json : {}) as { year?: unknown; note?: unknown };
  if (doc.year !== undefined && (typeof doc.year !== 'number' || !Number.isInteger(doc.year)))
    throw new BacktestInputError(
      `${file}: year: expected a whole year like 2024, got ${JSON.stringify(doc.year)}`,
    );
  const fromNote = typeof doc.note === 'string' ? /\b(19|20)\d{2}\b/.exec(doc.note)?.[0] : undefined;
  const fromName = /fx-(\d{4})\.json$/i.exec(file)?.[1];
  const year = typeof doc.year === 'number' ? doc.year : Number(fromNote ?? fromName ?? Number.NaN);
  return { file, year: Number.isInteger(year) ? year : null, rates };
}

/** UTC years touched by [fromMs, toMs). */
export function utcYears(fromMs: number, toMs: number): number[] {
  const first = new Date(fromMs).getUTCFullYear();
  const last = new Date(Math.max(fromMs, toMs - 1)).getUTCFullYear();
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** For each needed year, the available table year to use: the same year, else the nearest (earlier on a tie). */
export function nearestFxYears(needed: readonly number[], available: readonly number[]): Map<number, number> {
  const sorted = [...available].sort((a, b) => a - b);
  const out = new Map<number, number>();
  for (const year of needed) {
    let best: number | undefined;
    for (const y of sorted) if (best === undefined || Math.abs(y - year) < Math.abs(best - year)) best = y;
    if (best !== undefined) out.set(year, best);
  }
  return out;
}

/** Warnings for years whose prices are converted with rates of another (or an unknown) year. */
export function fxWarnings(uses: readonly FxYearUse[], auto: boolean): string[] {
  return uses.flatMap((u) => {
    if (u.tableYear === u.year) return [];
    if (u.tableYear === null)
      return [
        `Exchange rates: ${u.file} does not say which year its rates are from (no \`year\` field); it converts the prices of ${u.year}.`,
      ];
    return [
      auto
        ? `Exchange rates: no table for ${u.year}; prices of ${u.year} are converted with the ${u.tableYear} rates of ${u.file}.`
        : `Exchange rates: ${u.file} holds ${u.tableYear} rates but converts the prices of ${u.year}.`,
    ];
  });
}

/** One line for the report: which table converts which years, e.g. `data/fx-2023.json (2023 rates) for 2023`. */
export function fxUsageText(uses: readonly FxYearUse[]): string {
  const byFile = new Map<string, FxYearUse[]>();
  for (const u of uses) byFile.set(u.file, [...(byFile.get(u.file) ?? []), u]);
  return [...byFile.entries()]
    .map(
      ([file, list]) =>
        `\`${file}\` (${list[0]?.tableYear ?? 'unknown year'} rates) for ${list.map((u) => u.year).join(', ')}`,
    )
    .join('; ');
}
