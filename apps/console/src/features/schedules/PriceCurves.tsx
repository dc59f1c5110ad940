import { useMemo } from 'react';
import { Chart } from '../../shared/Chart';
import { useSession } from '../../shared/session';
import { useApi } from '../../shared/useApi';
import { clusterZones, type ScheduleDetailView, zonePrices } from './api';

/** Price curves of the zones a schedule's clusters sit in, over its horizon, one line per zone and market. */
export function PriceCurves({ detail }: { detail: ScheduleDetailView }) {
  const { api } = useSession();
  const { loaded } = useApi(
    async (signal) => {
      const zoneOf = await clusterZones(api, signal);
      const zones = [
        ...new Set(detail.grid.clusters.map((c) => zoneOf.get(c.clusterId)).filter(Boolean)),
      ] as string[];
      return Promise.all(
        zones.sort().map((zone) => zonePrices(api, zone, detail.horizonStart, detail.horizonEnd, signal)),
      );
    },
    [api, detail.id],
  );
  const option = useMemo(() => {
    if (loaded.state !== 'ready') return null;
    const series = loaded.data.flatMap((prices) => {
      const byMarket = new Map<string, [string, number][]>();
      for (const p of prices.points) {
        const line = byMarket.get(p.market) ?? [];
        line.push([p.intervalStart, p.pricePerMwh]);
        byMarket.set(p.market, line);
      }
      return [...byMarket].map(([market, data]) => ({
        name: market === 'day_ahead' ? prices.zone : `${prices.zone} (${market})`,
        type: 'line',
        step: 'start',
        showSymbol: false,
        lineStyle: market === 'forecast' ? { type: 'dashed' } : {},
        data: data.sort((a, b) => a[0].localeCompare(b[0])),
      }));
    });
    return {
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'time', min: detail.horizonStart, max: detail.horizonEnd },
      yAxis: { type: 'value', name: 'per MWh', scale: true },
      series,
    };
  }, [loaded, detail.horizonStart, detail.horizonEnd]);

  const hasForecast =
    loaded.state === 'ready' && loaded.data.some((z) => z.points.some((p) => p.market === 'forecast'));
  return (
    <section aria-labelledby="prices-title">
      <h2 id="prices-title">Prices over the horizon</h2>
      {loaded.state === 'loading' && <p role="status">Loading prices…</p>}
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {option && (
        <>
          <p className="muted">
            Stored prices of the zones this schedule uses, base currency per MWh (the schedule was planned on
            its own snapshot of them; later issues may differ).{' '}
            {hasForecast
              ? 'Forecast prices are dashed; the admin API does not serve their quantile bands yet.'
              : 'No forecast prices in this horizon.'}
          </p>
          <Chart
            option={option}
            label="Price per MWh over the horizon, per zone"
            height={300}
            testId="price-curves"
          />
        </>
      )}
    </section>
  );
}
