import { useMemo } from 'react';
import { Chart } from '../../shared/Chart';
import { hourOf, utc } from '../../shared/format';
import { useSession } from '../../shared/session';
import { useApi } from '../../shared/useApi';
import { type ScheduleDetailView, schedulePrices } from './api';
import { priceSeries } from './price-series';

/**
 * The zone prices a schedule was planned on, per slot: published prices as solid lines, forecast slots dashed
 * with the forecast's p10–p90 band as a shaded area (ECharts: a stacked area over an invisible p10 floor).
 */
export function PriceCurves({ detail }: { detail: ScheduleDetailView }) {
  const { api } = useSession();
  const { loaded } = useApi((signal) => schedulePrices(api, detail.id, signal), [api, detail.id]);
  const chart = useMemo(() => {
    if (loaded.state !== 'ready') return null;
    const prices = loaded.data;
    const { series, bandSlots, bandZones } = priceSeries(prices);
    const option = {
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { type: 'scroll', top: 0, data: [...new Set(series.map((s) => s.name))] },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', boundaryGap: false, data: prices.slotStarts.map(hourOf) },
      yAxis: { type: 'value', name: `${prices.currency ?? ''} per MWh`, scale: true },
      series: series.map((s) => ({
        name: s.name,
        type: 'line',
        showSymbol: false,
        data: s.data,
        ...(s.kind === 'forecast' ? { lineStyle: { type: 'dashed' } } : {}),
        ...(s.stack
          ? {
              stack: s.stack,
              stackStrategy: 'all',
              lineStyle: { opacity: 0 },
              silent: true,
              ...(s.kind === 'band-width' ? { areaStyle: { opacity: 0.25 } } : {}),
            }
          : {}),
      })),
    };
    const forecastZones = prices.zones.filter((z) => z.forecast !== null);
    return { option, bandSlots, bandZones, forecastZones, currency: prices.currency };
  }, [loaded]);

  return (
    <section aria-labelledby="prices-title">
      <h2 id="prices-title">Prices over the horizon</h2>
      {loaded.state === 'loading' && <p role="status">Loading prices…</p>}
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {chart && (
        <>
          <p className="muted" data-testid="price-forecast-note">
            The prices this schedule was planned on ({chart.currency ?? 'base currency'} per MWh, from its own
            snapshot): published prices solid,{' '}
            {chart.forecastZones.length > 0
              ? `gridshift's forecast dashed with its p10–p90 band shaded — ${chart.forecastZones
                  .map((z) => `${z.zone} from ${utc(z.forecast!.firstSlot)}`)
                  .join(', ')}.`
              : 'and no slot of this horizon was forecast.'}
          </p>
          <div data-testid="price-curves" data-band-zones={chart.bandZones} data-band-slots={chart.bandSlots}>
            <Chart
              option={chart.option}
              label="Price per MWh over the horizon, per zone: published, forecast and the forecast's p10–p90 band"
              height={300}
            />
          </div>
        </>
      )}
    </section>
  );
}
