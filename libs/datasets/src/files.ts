import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseExchangeRates, type ExchangeRates } from '#gridshift/contracts';
import { parseCarbonCsv, type CarbonSeries } from './carbon.js';
import { parseLlmTraceCsv, parseTraceBucketsCsv, type LlmTrace, type TraceBucket } from './llm-traces.js';
import { parsePriceCsv, type PriceSeries } from './prices.js';

// The only IO in this lib: read a file, hand the text to a pure parser.

/** Reads a price CSV with `zone`'s time-zone and currency rules (see zoneRules). */
export function readPriceCsv(path: string, zone: string): PriceSeries {
  return parsePriceCsv(readFileSync(path, 'utf8'), zone);
}

/** Reads an Electricity Maps hourly carbon CSV. */
export function readCarbonCsv(path: string): CarbonSeries {
  return parseCarbonCsv(readFileSync(path, 'utf8'));
}

/** Reads an Azure LLM inference trace CSV; `service` defaults to `code`/`conv` guessed from the file name. */
export function readLlmTrace(path: string, service?: string): LlmTrace {
  const guessed = /_conv/.test(path) ? 'conv' : /_code/.test(path) ? 'code' : 'unknown';
  return parseLlmTraceCsv(readFileSync(path, 'utf8'), service ?? guessed);
}

/** Reads a per-minute trace aggregate (data/llm-traces/*_per_minute.csv). */
export function readTraceBuckets(path: string): TraceBucket[] {
  return parseTraceBucketsCsv(readFileSync(path, 'utf8'));
}

/** Reads an exchange-rate JSON file (`{base, perBase}` or fx-2023.json's `{base:'USD', perUsd}`). */
export function readExchangeRates(path: string): ExchangeRates {
  return parseExchangeRates(JSON.parse(readFileSync(path, 'utf8')) as unknown);
}

/** Paths of the shipped slice, relative to the repository's `data/` folder. */
export const SHIPPED_DATA = {
  /** The eight zones with March 2023 prices in data/prices. */
  priceZones: ['DE-LU', 'FR', 'NL', 'ES', 'GB', 'US-CAL-CISO', 'US-TEX-ERCO', 'US-NY-NYIS'] as const,
  /** Zones of those with a carbon file in data/carbon. */
  carbonZones: ['DE-LU', 'GB', 'US-CAL-CISO', 'US-TEX-ERCO', 'US-NY-NYIS'] as const,
  /** UTC range every shipped price/carbon file covers (March 2023 plus a day either side). */
  fromUtc: '2023-02-28T00:00:00.000Z',
  toUtc: '2023-04-02T00:00:00.000Z',
  price: (zone: string) => join('prices', `${zone}_electricity_prices_2023-03.csv`),
  carbon: (zone: string) => join('carbon', `${zone}_2023-03_hourly.csv`),
  trace: (service: 'code' | 'conv') => join('llm-traces', `AzureLLMInferenceTrace_${service}_first20min.csv`),
  tracePerMinute: (service: 'code' | 'conv') =>
    join('llm-traces', `AzureLLMInferenceTrace_${service}_per_minute.csv`),
  fx: 'fx-2023.json',
  /** Full-year 2023 originals of the same zones (data/prices-2023, data/carbon-2023), for forecast evaluation. */
  price2023: (zone: string) => join('prices-2023', `${zone}_electricity_prices_2023.csv`),
  carbon2023: (zone: string) => join('carbon-2023', `${zone}_2023_hourly.csv`),
} as const;

/** The repository's `data/` folder: the nearest `data/README.md` at or above `startDir` (default: cwd). */
export function findDataDir(startDir: string = process.cwd()): string {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, 'data');
    if (existsSync(join(candidate, 'README.md'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no data/README.md found at or above ${startDir}`);
    dir = parent;
  }
}
