import { z } from 'zod';
import type { PriceUnit } from './constants.js';

/** Exchange-rate table: `perBase[CUR]` = units of CUR per 1 unit of `base` (EUR 0.925 ⇒ 1 USD buys 0.925 EUR). */
export interface ExchangeRates {
  base: string;
  perBase: Readonly<Record<string, number>>;
}

const currencyCode = z.string().regex(/^[A-Z]{3}$/);
const rate = z.number().positive().finite();

const ExchangeRatesFileSchema = z.union([
  z.object({ base: currencyCode, perBase: z.record(currencyCode, rate) }),
  // The shape of ../shared/data/fx-2023.json (and data/fx-2023.json): `perUsd`, base USD.
  z.object({ base: z.literal('USD'), perUsd: z.record(currencyCode, rate) }),
]);

/** Validates an exchange-rate document (`{base, perBase}` or the fx-2023.json `{base:'USD', perUsd}` shape); throws with the path on error. */
export function parseExchangeRates(json: unknown): ExchangeRates {
  const parsed = ExchangeRatesFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`invalid exchange-rate table: ${z.prettifyError(parsed.error)}`);
  }
  const doc = parsed.data;
  const perBase = { ...('perBase' in doc ? doc.perBase : doc.perUsd) };
  const baseRate = perBase[doc.base];
  if (baseRate !== undefined && baseRate !== 1) {
    throw new Error(`invalid exchange-rate table: the base ${doc.base} must have rate 1, got ${baseRate}`);
  }
  perBase[doc.base] = 1;
  return { base: doc.base, perBase };
}

/** True when `currency` can be converted with `fx` (the base is always convertible). */
export function isKnownCurrency(currency: string, fx: ExchangeRates): boolean {
  return currency === fx.base || fx.perBase[currency] !== undefined;
}

/** Units of `currency` per one unit of the base currency; throws for an unknown currency. */
export function ratePerBase(currency: string, fx: ExchangeRates): number {
  if (currency === fx.base) return 1;
  const perBase = fx.perBase[currency];
  if (perBase === undefined) throw new RangeError(`unknown currency ${currency} (base ${fx.base})`);
  return perBase;
}

/** Converts a price in `currency` per `unit` into the base currency per MWh: EUR 92.5/MWh at 0.925 EUR/USD → 100 USD/MWh. */
export function toBasePerMwh(price: number, currency: string, unit: PriceUnit, fx: ExchangeRates): number {
  const perMwh = unit === 'kWh' ? price * 1000 : price;
  return perMwh / ratePerBase(currency, fx);
}
