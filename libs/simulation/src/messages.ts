import type { ClusterLoadMessageV1, PriceMessageV1 } from '#gridshift/contracts';
import { buildPriceMessage, type CarbonSeries, type PriceSeries } from '#gridshift/datasets';
import { busyShareAt, type ClusterSpec } from '#gridshift/fleet';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A message to emit at simulated time `atMs`. */
export interface TimedMessage<T> {
  atMs: number;
  key: string;
  value: T;
  messageId: string;
}

/**
 * Day-ahead curves as an energy partner publishes them: for each UTC delivery day in [fromUtc, toUtc) and
 * zone, one message with that day's hourly prices, issued the day before at `issueHourUtc` (default 11:00Z,
 * after the EU day-ahead auction).
 */
export function dayAheadMessages(opts: {
  series: PriceSeries[];
  carbon?: Record<string, CarbonSeries>;
  fromUtc: string;
  toUtc: string;
  partnerId: string;
  issueHourUtc?: number;
}): TimedMessage<PriceMessageV1>[] {
  const out: TimedMessage<PriceMessageV1>[] = [];
  const from = Date.parse(opts.fromUtc);
  const to = Date.parse(opts.toUtc);
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    const issuedMs = day - DAY_MS + (opts.issueHourUtc ?? 11) * HOUR_MS;
    for (const series of opts.series) {
      const carbon = opts.carbon?.[series.zone];
      const message = buildPriceMessage(series, {
        partnerId: opts.partnerId,
        fromUtc: new Date(Math.max(day, from)).toISOString(),
        toUtc: new Date(Math.min(day + DAY_MS, to)).toISOString(),
        issuedAt: new Date(issuedMs).toISOString(),
        market: 'day_ahead',
        ...(carbon ? { carbon: carbon.points } : {}),
      });
      if (!message) continue;
      out.push({
        atMs: issuedMs,
        key: series.zone,
        value: message,
        messageId: `${opts.partnerId}:${series.zone}:day_ahead:${new Date(day).toISOString()}:${issuedMs}`,
      });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Load reports as data centers publish them: every `intervalMinutes` per cluster, busy GPUs following the
 * cluster's daily shape (busyShareAt) with a small deterministic wiggle, schedulable = total − busy.
 */
export function loadReportMessages(opts: {
  clusters: ClusterSpec[];
  fromUtc: string;
  toUtc: string;
  intervalMinutes: number;
}): TimedMessage<ClusterLoadMessageV1>[] {
  const out: TimedMessage<ClusterLoadMessageV1>[] = [];
  const step = opts.intervalMinutes * 60_000;
  for (let t = Date.parse(opts.fromUtc); t < Date.parse(opts.toUtc); t += step) {
    for (const [i, c] of opts.clusters.entries()) {
      const wiggle = 0.02 * Math.sin(t / 1_700_000 + i * 1.7);
      const busyShare = Math.min(1, Math.max(0, busyShareAt(c, t) + wiggle));
      const gpuBusy = Math.round(c.gpuTotal * busyShare);
      const pue = c.pue;
      const observedAt = new Date(t).toISOString();
      out.push({
        atMs: t,
        key: c.id,
        messageId: `${c.id}:${observedAt}`,
        value: {
          clusterId: c.id,
          region: c.region,
          zone: c.zone,
          observedAt,
          gpuModel: c.gpuModel,
          gpuTotal: c.gpuTotal,
          gpuBusy,
          gpuSchedulable: c.gpuTotal - gpuBusy,
          powerKw: Math.round(gpuBusy * c.kwPerGpu * 10) / 10,
          powerCapKw: c.powerCapKw ?? Math.round(c.gpuTotal * c.kwPerGpu * pue * 10) / 10,
          pue,
        },
      });
    }
  }
  return out;
}
