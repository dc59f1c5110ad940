import {
  INTERVAL_MINUTES,
  msToUtcIso,
  type IntervalMinutes,
  type Market,
  type PriceMessageV1,
  type PricePointV1,
} from '#gridshift/contracts';
import type { CarbonPoint } from './carbon.js';
import type { PriceSeries } from './prices.js';

// Turning file series into gridshift.prices.v1 messages (for the partner simulator, the demo and tests).

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

export type CarbonKind = 'direct' | 'lca';

export interface MessagePointOptions {
  /** Hourly carbon to attach (joined on the UTC hour that contains each interval start). */
  carbon?: readonly CarbonPoint[];
  /** Which intensity to send as carbonGPerKwh; default `direct` (operational emissions). */
  carbonKind?: CarbonKind;
}

/**
 * Wire points of a series: each source interval becomes one point if its start lies on its own UTC grid,
 * otherwise equal pieces of the longest allowed length that does (an IST hour 18:30–19:30Z → two 30-min points).
 */
export function toMessagePoints(
  series: Pick<PriceSeries, 'intervalMinutes' | 'points'>,
  opts: MessagePointOptions = {},
): PricePointV1[] {
  const carbonByHour = new Map<number, CarbonPoint>();
  for (const c of opts.carbon ?? []) carbonByHour.set(Date.parse(c.intervalStartUtc), c);
  const kind = opts.carbonKind ?? 'direct';
  const lengthMinutes = series.intervalMinutes;
  const out: PricePointV1[] = [];
  for (const point of series.points) {
    const startMs = Date.parse(point.intervalStartUtc);
    const piece = pieceMinutes(startMs, lengthMinutes);
    for (let t = startMs; t < startMs + lengthMinutes * MS_PER_MINUTE; t += piece * MS_PER_MINUTE) {
      const wire: PricePointV1 = { intervalStart: msToUtcIso(t), intervalMinutes: piece, price: point.price };
      if (opts.carbon !== undefined) {
        const c = carbonByHour.get(Math.floor(t / MS_PER_HOUR) * MS_PER_HOUR);
        wire.carbonGPerKwh =
          c === undefined ? null : kind === 'direct' ? c.carbonDirectGPerKwh : c.carbonLcaGPerKwh;
      }
      out.push(wire);
    }
  }
  return out;
}

function pieceMinutes(startMs: number, lengthMinutes: number): IntervalMinutes {
  for (const minutes of [...INTERVAL_MINUTES].reverse()) {
    if (
      minutes <= lengthMinutes &&
      lengthMinutes % minutes === 0 &&
      startMs % (minutes * MS_PER_MINUTE) === 0
    ) {
      return minutes;
    }
  }
  throw new RangeError(`${msToUtcIso(startMs)} is not on any 5-minute UTC grid`);
}

export interface BuildPriceMessageOptions extends MessagePointOptions {
  partnerId: string;
  /** Inclusive start of the delivery period (UTC ISO). */
  fromUtc: string;
  /** Exclusive end of the delivery period (UTC ISO). */
  toUtc: string;
  /** When the partner "issued" the curve (offset or Z). */
  issuedAt: string;
  /** Default: the zone rule's market. */
  market?: Market;
}

/** One price message (e.g. a day-ahead curve) for the series' intervals starting in [fromUtc, toUtc); null if none. */
export function buildPriceMessage(
  series: PriceSeries,
  opts: BuildPriceMessageOptions,
): PriceMessageV1 | null {
  const from = Date.parse(opts.fromUtc);
  const to = Date.parse(opts.toUtc);
  const points = series.points.filter((p) => {
    const t = Date.parse(p.intervalStartUtc);
    return t >= from && t < to;
  });
  if (points.length === 0) return null;
  return {
    partnerId: opts.partnerId,
    zone: series.zone,
    market: opts.market ?? series.market,
    currency: series.currency,
    unit: 'MWh',
    issuedAt: opts.issuedAt,
    points: toMessagePoints({ intervalMinutes: series.intervalMinutes, points }, opts),
  };
}
