import type { Schemas } from '../../api/client';

export type SchedulePrices = Schemas['SchedulePrices'];

/** Slot sources that are a forecast (gridshift's, or a partner's `forecast` market). */
const FORECAST_SOURCES = new Set(['gridshift-forecast', 'forecast']);

export interface PriceSeries {
  name: string;
  kind: 'published' | 'forecast' | 'band-floor' | 'band-width';
  /** Band series of one zone share a stack: floor (p10, invisible) + width (p90 − p10, filled). */
  stack?: string;
  /** One value per slot; null = gap. */
  data: (number | null)[];
}

/**
 * Per zone: the published price line, the forecast line (the point forecast the solver used; it joins the
 * published line at the last published slot) and, where gridshift forecast, the p10–p90 band drawn as a stacked
 * area (an invisible p10 floor plus the p90 − p10 width). Pure, so the chart's data is testable.
 */
export function priceSeries(prices: SchedulePrices): {
  series: PriceSeries[];
  bandSlots: number;
  bandZones: number;
} {
  const series: PriceSeries[] = [];
  let bandSlots = 0;
  let bandZones = 0;
  for (const z of prices.zones) {
    const forecastAt = z.source.map((s) => s !== null && FORECAST_SOURCES.has(s));
    const published = z.pricePerMwh.map((p, t) => (forecastAt[t] ? null : p));
    // The forecast line starts at the last published slot before it, so the two lines meet.
    const forecast = z.pricePerMwh.map((p, t) =>
      forecastAt[t] || (forecastAt[t + 1] === true && !forecastAt[t]) ? p : null,
    );
    series.push({ name: z.zone, kind: 'published', data: published });
    if (forecastAt.some(Boolean))
      series.push({ name: `${z.zone} forecast`, kind: 'forecast', data: forecast });
    const banded = z.p10.map((lo, t) => lo !== null && z.p90[t] !== null);
    const slots = banded.filter(Boolean).length;
    if (slots > 0) {
      bandSlots += slots;
      bandZones += 1;
      const stack = `band ${z.zone}`;
      const band = `${z.zone} forecast p10–p90`;
      series.push({
        name: band,
        kind: 'band-floor',
        stack,
        data: z.p10.map((lo, t) => (banded[t] ? lo : null)),
      });
      series.push({
        name: band,
        kind: 'band-width',
        stack,
        data: z.p10.map((lo, t) => (banded[t] ? z.p90[t]! - lo! : null)),
      });
    }
  }
  return { series, bandSlots, bandZones };
}
