import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { parseExchangeRates, type ExchangeRates } from '#gridshift/contracts';
import { findDataDir, SHIPPED_DATA } from '#gridshift/datasets';
import { ExchangeRateRepository } from '#gridshift/persistence';

/** The exchange-rate table shipped with gridshift (approximate 2023 averages; see data/README.md). */
export function defaultFxFile(): string {
  return join(findDataDir(dirname(fileURLToPath(import.meta.url))), SHIPPED_DATA.fx);
}

/** Reads the file table, then lets rows of the `exchange_rates` table (managed by operators) override it. */
export async function loadExchangeRates(dataSource: DataSource, file?: string): Promise<ExchangeRates> {
  const path = file && file.length > 0 ? file : defaultFxFile();
  let table: ExchangeRates;
  try {
    table = parseExchangeRates(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new Error(
      `FX_RATES_FILE ${path} is not a valid exchange-rate table: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const rows = await new ExchangeRateRepository(dataSource).overrides();
  if (rows.length === 0) return table;
  const perBase = { ...table.perBase };
  for (const row of rows) perBase[row.currency] = row.perBase;
  return { ...table, perBase };
}
