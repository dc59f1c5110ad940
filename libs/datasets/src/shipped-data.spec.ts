import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePriceMessage, encodeMessage, toBasePerMwh } from '#gridshift/contracts';
import {
  findDataDir,
  readCarbonCsv,
  readExchangeRates,
  readLlmTrace,
  readPriceCsv,
  readTraceBuckets,
  SHIPPED_DATA,
} from './files.js';
import { aggregateTrace, tokensPerHourProfile } from './llm-traces.js';
import { buildPriceMessage } from './messages.js';
import { missingIntervals, slicePoints } from './prices.js';
import { zoneRule } from './zone-rules.js';

// Reads the shipped slice in data/ (read-only local files, no network): it must stay complete and readable.
const dataDir = findDataDir(dirname(fileURLToPath(import.meta.url)));
const path = (rel: string) => join(dataDir, rel);
const fx = readExchangeRates(path(SHIPPED_DATA.fx));

describe('data/ slice', () => {
  it.each(SHIPPED_DATA.priceZones)('%s prices: every hour of the shipped UTC range, no gaps', (zone) => {
    const series = readPriceCsv(path(SHIPPED_DATA.price(zone)), zone);
    expect(series.points).toHaveLength(792); // 33 days × 24 h
    expect(series.points[0]?.intervalStartUtc).toBe(SHIPPED_DATA.fromUtc);
    expect(missingIntervals(series.points, SHIPPED_DATA.fromUtc, SHIPPED_DATA.toUtc)).toEqual([]);
    // EU files keep their spring-forward row (2023-03-26 02:00), which the reader drops.
    const dropped = zoneRule(zone).time.kind === 'wall-clock' ? ['nonexistent-local-time'] : [];
    expect(series.adjustments.map((a) => a.reason)).toEqual(dropped);
  });

  it('every March day replays as a valid 24-point day-ahead message', () => {
    for (const zone of SHIPPED_DATA.priceZones) {
      const series = readPriceCsv(path(SHIPPED_DATA.price(zone)), zone);
      const message = buildPriceMessage(series, {
        partnerId: 'replay',
        fromUtc: '2023-03-26T00:00:00Z',
        toUtc: '2023-03-27T00:00:00Z',
        issuedAt: '2023-03-25T11:00:00Z',
      });
      expect(message?.points).toHaveLength(24);
      if (message !== null) expect(decodePriceMessage(zone, encodeMessage(message), { fx }).ok).toBe(true);
    }
  });

  it('March 2023 mean prices in USD/MWh are plausible', () => {
    const means = Object.fromEntries(
      SHIPPED_DATA.priceZones.map((zone) => {
        const series = readPriceCsv(path(SHIPPED_DATA.price(zone)), zone);
        const march = slicePoints(series.points, '2023-03-01T00:00:00Z', '2023-04-01T00:00:00Z');
        const mean =
          march.reduce((s, p) => s + toBasePerMwh(p.price, series.currency, 'MWh', fx), 0) / march.length;
        return [zone, Math.round(mean)];
      }),
    );
    for (const mean of Object.values(means)) {
      expect(mean).toBeGreaterThan(10);
      expect(mean).toBeLessThan(300);
    }
  });

  it.each(SHIPPED_DATA.carbonZones)('%s carbon: 792 UTC hours', (zone) => {
    const series = readCarbonCsv(path(SHIPPED_DATA.carbon(zone)));
    expect(series.zoneId).toBe(zoneRule(zone).carbonZoneId);
    expect(series.points).toHaveLength(792);
    expect(series.points[0]?.intervalStartUtc).toBe(SHIPPED_DATA.fromUtc);
  });

  // Full-year 2023 files (data/prices-2023): UTC coverage per zone and the hours the sources lack.
  const eu = { from: '2022-12-31T23:00:00.000Z', to: '2023-12-31T23:00:00.000Z' };
  const autumnFold = '2023-10-29T01:00:00.000Z'; // EU files have 24 rows for the 25-hour day
  const day = (fromUtc: string) =>
    Array.from({ length: 24 }, (_, h) => new Date(Date.parse(fromUtc) + h * 3_600_000).toISOString());
  const fullYear: Record<
    (typeof SHIPPED_DATA.priceZones)[number],
    { from: string; to: string; missing: string[] }
  > = {
    'DE-LU': { ...eu, missing: [autumnFold] },
    FR: { ...eu, missing: [autumnFold, ...day('2023-11-29T23:00:00.000Z')] }, // 30 Nov missing upstream
    NL: { ...eu, missing: [...day('2023-06-29T22:00:00.000Z'), autumnFold] }, // 30 Jun missing upstream
    ES: { ...eu, missing: [autumnFold] },
    GB: { ...eu, missing: [autumnFold] },
    'US-CAL-CISO': { from: '2022-12-31T08:00:00.000Z', to: '2024-01-01T08:00:00.000Z', missing: [] },
    'US-TEX-ERCO': { from: '2023-01-01T06:00:00.000Z', to: '2024-01-01T06:00:00.000Z', missing: [] },
    'US-NY-NYIS': { from: '2023-01-01T05:00:00.000Z', to: '2024-01-01T05:00:00.000Z', missing: [] },
  };

  it.each(SHIPPED_DATA.priceZones)('%s full-year 2023 prices: UTC coverage and known gaps', (zone) => {
    const want = fullYear[zone];
    const series = readPriceCsv(path(SHIPPED_DATA.price2023(zone)), zone);
    expect(series.points[0]?.intervalStartUtc).toBe(want.from);
    expect(Date.parse(series.points.at(-1)?.intervalStartUtc ?? '') + 3_600_000).toBe(Date.parse(want.to));
    expect(missingIntervals(series.points, want.from, want.to)).toEqual(want.missing);
    const dropped = zoneRule(zone).time.kind === 'wall-clock' ? ['nonexistent-local-time'] : [];
    expect(series.adjustments.map((a) => a.reason)).toEqual(dropped);
  });

  it.each(SHIPPED_DATA.carbonZones)('%s full-year 2023 carbon: 8760 UTC hours', (zone) => {
    const series = readCarbonCsv(path(SHIPPED_DATA.carbon2023(zone)));
    expect(series.zoneId).toBe(zoneRule(zone).carbonZoneId);
    expect(series.points).toHaveLength(8760);
    expect(series.points[0]?.intervalStartUtc).toBe('2023-01-01T00:00:00.000Z');
  });

  it.each(['code', 'conv'] as const)(
    '%s trace: 20 raw minutes and the per-minute aggregate agree',
    (service) => {
      const trace = readLlmTrace(path(SHIPPED_DATA.trace(service)));
      expect(trace.service).toBe(service);
      const perMinute = readTraceBuckets(path(SHIPPED_DATA.tracePerMinute(service)));
      const firstMinute = Date.parse(perMinute[0]?.bucketStartUtc ?? '');
      const fromRaw = aggregateTrace(trace.requests, {
        fromMs: firstMinute,
        toMs: firstMinute + 20 * 60_000,
      });
      expect(fromRaw).toEqual(perMinute.slice(0, 20));
      expect(tokensPerHourProfile(perMinute, { slots: 24 })).toHaveLength(24);
    },
  );
});
