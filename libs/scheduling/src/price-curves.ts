import { finiteNumberOrNull, recordOrNull } from './json-values.js';

/** One zone's prices over a schedule's horizon, as the planner priced them, with forecast bands where forecast. */
export interface ZonePriceCurve {
  zone: string;
  /** The schedule's clusters in this zone. */
  clusterIds: string[];
  /** Per slot: the price the solver used, base currency per MWh (null when the snapshot has none). */
  pricePerMwh: (number | null)[];
  /**
   * Per slot: where the price came from (`day_ahead`, `intraday`, `real_time`, `forecast` = a partner's
   * forecast, `gridshift-forecast`, `carried-forward`, `assumed`); null when the snapshot does not say.
   */
  source: (string | null)[];
  /** Per slot: the forecast's quantiles where the slot was forecast by gridshift, else null. */
  p10: (number | null)[];
  p50: (number | null)[];
  p90: (number | null)[];
  /** How the forecast was made, when any slot was forecast by gridshift. */
  forecast: { method: string | null; historyHours: number | null; firstSlot: string } | null;
}

export interface SchedulePriceCurves {
  currency: string | null;
  slotStarts: string[];
  zones: ZonePriceCurve[];
}

/** The stored parts `zonePriceCurves` reads (unvalidated JSON values: `SnapshotZonePricesRow`). */
export interface ZonePriceCurvesInput {
  currency: unknown;
  slotStartsUtc: unknown;
  clusters: unknown;
  priceSources: unknown;
  forecasts: unknown;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isoOf = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
};

/**
 * A schedule's price curves per zone from what was stored with it: the problem's per-cluster prices (a zone's
 * clusters share its price; the first cluster by id is read), the snapshot's per-slot sources, and the
 * `price-forecast` assumptions' p10/p50/p90 per forecast slot (aligned with their `slotStartsUtc`). Pure; tolerant
 * of older snapshots (missing parts give nulls, never an error).
 */
export function zonePriceCurves(input: ZonePriceCurvesInput): SchedulePriceCurves {
  const slotStarts = asArray(input.slotStartsUtc).map(isoOf);
  const valid = slotStarts.flatMap((s) => (s === null ? [] : [s]));
  if (valid.length !== slotStarts.length) valid.length = 0; // a malformed slot list: no slots at all
  const index = new Map(valid.map((s, i) => [s, i]));
  const n = valid.length;
  const byZone = new Map<string, { clusterIds: string[]; prices: unknown[] }>();
  const clusters = asArray(input.clusters)
    .map(recordOrNull)
    .filter(
      (c): c is Record<string, unknown> =>
        c !== null && typeof c.id === 'string' && typeof c.zone === 'string',
    )
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  for (const c of clusters) {
    const zone = c.zone as string;
    const entry = byZone.get(zone);
    if (entry) entry.clusterIds.push(c.id as string);
    else byZone.set(zone, { clusterIds: [c.id as string], prices: asArray(c.pricePerMwh) });
  }
  const sources = recordOrNull(input.priceSources) ?? {};
  const forecasts = asArray(input.forecasts).map(recordOrNull);
  const zones = [...byZone.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([zone, { clusterIds, prices }]): ZonePriceCurve => {
      const nulls = () => new Array<number | null>(n).fill(null);
      const source = asArray(recordOrNull(sources[zone])?.source);
      const curve: ZonePriceCurve = {
        zone,
        clusterIds,
        pricePerMwh: Array.from({ length: n }, (_, t) => finiteNumberOrNull(prices[t])),
        source: Array.from({ length: n }, (_, t) => {
          const s = source[t];
          return typeof s === 'string' ? s : null;
        }),
        p10: nulls(),
        p50: nulls(),
        p90: nulls(),
        forecast: null,
      };
      for (const f of forecasts) {
        if (f?.zone !== zone) continue;
        const details = recordOrNull(f.details);
        const bands = recordOrNull(details?.bands);
        if (!bands) continue; // a partner's forecast: no quantiles stored
        const slots = asArray(f.slotStartsUtc);
        const quantile = (name: 'p10' | 'p50' | 'p90') => asArray(bands[name]);
        const [p10, p50, p90] = [quantile('p10'), quantile('p50'), quantile('p90')];
        slots.forEach((s, i) => {
          const t = index.get(isoOf(s) ?? '');
          if (t === undefined) return;
          curve.p10[t] = finiteNumberOrNull(p10[i]);
          curve.p50[t] = finiteNumberOrNull(p50[i]);
          curve.p90[t] = finiteNumberOrNull(p90[i]);
          curve.source[t] ??= 'gridshift-forecast';
        });
        const first = curve.p50.findIndex((v) => v !== null);
        if (first >= 0)
          curve.forecast = {
            method: typeof details?.method === 'string' ? details.method : null,
            historyHours: finiteNumberOrNull(details?.historyHours),
            firstSlot: valid[first]!,
          };
      }
      return curve;
    });
  return { currency: typeof input.currency === 'string' ? input.currency : null, slotStarts: valid, zones };
}
