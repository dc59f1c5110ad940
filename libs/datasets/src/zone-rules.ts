import type { Market } from '#gridshift/contracts';

// Per-zone reading rules for the price files of HewlettPackard/green-dcc (see data/README.md and the
// upstream PROVENANCE): what the naive `Datetime` column means, the real currency, the product.

/** How a price file's `Datetime` column maps to UTC. */
export type TimeConvention =
  /** Naive local wall-clock with DST rules of an IANA zone (EU files: Europe/Paris CET/CEST). */
  | { kind: 'wall-clock'; timeZone: string }
  /** Naive UTC (CAISO OASIS GMT, NYISO and PJM via gridstatus). */
  | { kind: 'utc' }
  /** Naive local time at a fixed offset all year, in minutes east of UTC (IESO EST −300, AEMO AEST +600, …). */
  | { kind: 'fixed-offset'; offsetMinutes: number }
  /** Each row carries its own offset, e.g. `2023-03-12 03:00:00-05:00` (ERCOT). */
  | { kind: 'explicit-offset' };

export interface ZoneRule {
  zone: string;
  /** Currency of the values (AU files say USD in the header but hold AUD). */
  currency: string;
  /** Currency the CSV header names; a different header is rejected. */
  headerCurrency: string;
  time: TimeConvention;
  market: Market;
  /** Market node / product, for reports. */
  product: string;
  /** Prefix of the carbon file (`<prefix>_2023_hourly.csv`) for this zone, or null if none. */
  carbonFile: string | null;
  /** `Zone Id` column inside that carbon file (DE-LU's file holds zone `DE`). */
  carbonZoneId: string | null;
  /** AEMO month-boundary rule: `YYYY-MM-01 00:00` appears twice (1 + 11 five-minute prices); merge them. */
  aemoMonthBoundary?: boolean;
  notes?: string;
}

const PARIS: TimeConvention = { kind: 'wall-clock', timeZone: 'Europe/Paris' };

const eu = (
  zone: string,
  product: string,
  carbon: [string, string] | null = null,
  notes?: string,
): ZoneRule => ({
  zone,
  currency: 'EUR',
  headerCurrency: 'EUR',
  time: PARIS,
  market: 'day_ahead',
  product,
  carbonFile: carbon?.[0] ?? null,
  carbonZoneId: carbon?.[1] ?? null,
  ...(notes === undefined ? {} : { notes }),
});

/** Reading rules per zone, keyed by the file prefix (`<zone>_electricity_prices_<year>.csv`). */
export const zoneRules: Readonly<Record<string, ZoneRule>> = {
  AT: eu('AT', 'EPEX day-ahead, bidding zone AT'),
  BE: eu('BE', 'day-ahead, bidding zone BE'),
  CH: eu('CH', 'day-ahead, bidding zone CH'),
  'DE-LU': eu('DE-LU', 'day-ahead, bidding zone DE-LU', ['DE-LU', 'DE']),
  ES: eu('ES', 'OMIE day-ahead, bidding zone ES'),
  FR: eu('FR', 'day-ahead, bidding zone FR', null, 'FR 2023-11-30 missing in the 2023 file.'),
  NL: eu('NL', 'day-ahead, bidding zone NL', null, 'NL 2023-06-30 missing in the 2023 file.'),
  PT: eu('PT', 'OMIE day-ahead, bidding zone PT', null, 'Paris wall-clock, not Lisbon time.'),
  GB: eu('GB', 'day-ahead as shown by RTE eco2mix (EUR)', ['GB', 'GB'], 'Values in EUR, Paris wall-clock.'),
  'US-CAL-CISO': {
    zone: 'US-CAL-CISO',
    currency: 'USD',
    headerCurrency: 'USD',
    time: { kind: 'utc' },
    market: 'day_ahead',
    product: 'CAISO DAM LMP, TH_NP15_GEN-APND',
    carbonFile: 'US-CAL-CISO',
    carbonZoneId: 'US-CAL-CISO',
    notes: 'File starts 2022-12-31 08:00 UTC (local 31 Dec).',
  },
  'US-TEX-ERCO': {
    zone: 'US-TEX-ERCO',
    currency: 'USD',
    headerCurrency: 'USD',
    time: { kind: 'explicit-offset' },
    market: 'day_ahead',
    product: 'ERCOT DAM SPP, HB_HUBAVG',
    carbonFile: 'US-TEX-ERCO',
    carbonZoneId: 'US-TEX-ERCO',
  },
  'US-NY-NYIS': {
    zone: 'US-NY-NYIS',
    currency: 'USD',
    headerCurrency: 'USD',
    time: { kind: 'utc' },
    market: 'day_ahead',
    product: 'NYISO day-ahead hourly LMP, zone CAPITL',
    carbonFile: 'US-NY-NYIS',
    carbonZoneId: 'US-NY-NYIS',
  },
  'US-MIDA-PJM': {
    zone: 'US-MIDA-PJM',
    currency: 'USD',
    headerCurrency: 'USD',
    time: { kind: 'utc' },
    market: 'real_time',
    product: 'PJM real-time hourly LMP, zone DOM',
    carbonFile: 'US-MIDA-PJM',
    carbonZoneId: 'US-MIDA-PJM',
    notes: 'Real-time, not day-ahead. File stops 2023-12-31 04:00 UTC.',
  },
  'CA-ON': {
    zone: 'CA-ON',
    currency: 'CAD',
    headerCurrency: 'CAD',
    time: { kind: 'fixed-offset', offsetMinutes: -300 },
    market: 'real_time',
    product: 'IESO HOEP',
    carbonFile: 'CA-ON',
    carbonZoneId: 'CA-ON',
    notes: 'Eastern Standard Time all year (UTC−5); IESO hour 1 = 00:00.',
  },
  'AU-NSW': {
    zone: 'AU-NSW',
    currency: 'AUD',
    headerCurrency: 'USD',
    time: { kind: 'fixed-offset', offsetMinutes: 600 },
    market: 'real_time',
    product: 'AEMO NSW1 hourly mean of 5-min RRP',
    carbonFile: 'AU-NSW',
    carbonZoneId: 'AU-NSW',
    aemoMonthBoundary: true,
    notes: 'Header says USD, values are AUD. AEST (UTC+10) all year; hour label = floor of interval end.',
  },
  'AU-VIC': {
    zone: 'AU-VIC',
    currency: 'AUD',
    headerCurrency: 'USD',
    time: { kind: 'fixed-offset', offsetMinutes: 600 },
    market: 'real_time',
    product: 'AEMO VIC1 hourly mean of 5-min RRP',
    carbonFile: 'AU-VIC',
    carbonZoneId: 'AU-VIC',
    aemoMonthBoundary: true,
    notes: 'Header says USD, values are AUD. AEST (UTC+10) all year; hour label = floor of interval end.',
  },
  'JP-TK': {
    zone: 'JP-TK',
    currency: 'JPY',
    headerCurrency: 'JPY',
    time: { kind: 'fixed-offset', offsetMinutes: 540 },
    market: 'day_ahead',
    product: 'JEPX spot, Tokyo area',
    carbonFile: 'JP-TK',
    carbonZoneId: 'JP-TK',
    notes: 'Value of the first 30-min slot of each hour, not the hourly mean.',
  },
  KR: {
    zone: 'KR',
    currency: 'KRW',
    headerCurrency: 'KRW',
    time: { kind: 'fixed-offset', offsetMinutes: 540 },
    market: 'day_ahead',
    product: 'KPX SMP',
    carbonFile: 'KR',
    carbonZoneId: 'KR',
  },
  SG: {
    zone: 'SG',
    currency: 'SGD',
    headerCurrency: 'SGD',
    time: { kind: 'fixed-offset', offsetMinutes: 480 },
    market: 'real_time',
    product: 'EMC USEP',
    carbonFile: 'SG',
    carbonZoneId: 'SG',
    notes: 'Value of the first half-hour period of each hour, not the hourly mean.',
  },
  IN: {
    zone: 'IN',
    currency: 'INR',
    headerCurrency: 'INR',
    time: { kind: 'fixed-offset', offsetMinutes: 330 },
    market: 'day_ahead',
    product: 'Indian power-exchange DAM price',
    carbonFile: 'IN-WE',
    carbonZoneId: 'IN-WE',
    notes: 'IST (UTC+5:30): hours start at :30 UTC. Carbon is western region IN-WE only.',
  },
};

/** The rule for `zone`; throws naming the known zones if there is none. */
export function zoneRule(zone: string): ZoneRule {
  const rule = zoneRules[zone];
  if (rule === undefined)
    throw new RangeError(`no zone rule for ${zone}; known: ${Object.keys(zoneRules).join(', ')}`);
  return rule;
}
