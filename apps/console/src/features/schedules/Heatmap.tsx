import { useMemo, useState } from 'react';
import { Chart } from '../../shared/Chart';
import { hourOf, money, num } from '../../shared/format';
import type { ScheduleDetailView } from './api';
import { type HeatmapMetric, heatmapCells } from './heatmap-data';
import { ScrollRegion } from '../../shared/ScrollRegion';

/** Clusters × hours heatmap of a schedule: GPUs placed or energy cost per cell (ECharts, canvas). */
export function Heatmap({ detail, onDrawn }: { detail: ScheduleDetailView; onDrawn?: () => void }) {
  const [metric, setMetric] = useState<HeatmapMetric>('gpus');
  const [renderMs, setRenderMs] = useState<number | null>(null);
  const [asTable, setAsTable] = useState(false);
  const choose = (next: HeatmapMetric) => {
    if (next === metric) return;
    setRenderMs(null); // until the redraw finishes
    setMetric(next);
  };
  const data = useMemo(() => heatmapCells(detail.grid, metric), [detail.grid, metric]);
  const currency = detail.currency ?? detail.costs.currency;
  const option = useMemo(
    () => ({
      animation: false,
      aria: { enabled: true },
      tooltip: {
        position: 'top',
        renderMode: 'richText',
        formatter: (p: { value: [number, number, number] }) => {
          const [t, r, v] = p.value;
          const label = metric === 'gpus' ? `${num(v, 0)} GPUs` : money(v, currency);
          return `${data.clusters[r] ?? ''} ${hourOf(data.slotStarts[t] ?? '')}: ${label}`;
        },
      },
      grid: { left: 90, right: 20, top: 10, bottom: 90 },
      xAxis: { type: 'category', data: data.slotStarts.map(hourOf), splitArea: { show: true } },
      yAxis: { type: 'category', data: data.clusters, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max: Math.max(data.max, 1e-9),
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 200,
        inRange: { color: ['#f4f7fb', '#6aa6d8', '#08306b'] },
      },
      series: [
        { name: metric === 'gpus' ? 'GPUs' : 'cost', type: 'heatmap', data: data.cells, progressive: 0 },
      ],
    }),
    [data, metric, currency],
  );
  return (
    <section aria-labelledby="heatmap-title">
      <h2 id="heatmap-title">Where work goes, hour by hour</h2>
      <div className="toolbar" role="group" aria-label="heatmap metric">
        <button type="button" aria-pressed={metric === 'gpus'} onClick={() => choose('gpus')}>
          GPUs
        </button>
        <button type="button" aria-pressed={metric === 'cost'} onClick={() => choose('cost')}>
          Cost ({currency ?? '—'})
        </button>
        <button type="button" aria-pressed={asTable} onClick={() => setAsTable((v) => !v)}>
          Show as table
        </button>
        <span className="muted" data-testid="heatmap-render-ms">
          {data.clusters.length} clusters × {data.slotStarts.length} slots
          {renderMs !== null && ` · drawn in ${num(renderMs, 0)} ms`}
        </span>
      </div>
      <div data-testid="heatmap" data-cells={data.cells.length} data-render-ms={renderMs ?? ''}>
        <Chart
          option={option}
          label={`Heatmap of ${metric === 'gpus' ? 'GPUs placed' : 'energy cost'} per cluster and hour`}
          height={Math.max(250, 28 * data.clusters.length + 110)}
          markAs="heatmap"
          onRendered={(ms) => {
            setRenderMs(ms);
            onDrawn?.();
          }}
        />
      </div>
      {asTable && (
        <ScrollRegion label="heatmap as a table">
          <table>
            <caption>
              {metric === 'gpus' ? 'GPUs placed' : `Energy cost (${currency ?? ''})`} per cluster and hour
            </caption>
            <thead>
              <tr>
                <th scope="col">cluster</th>
                {data.slotStarts.map((s) => (
                  <th scope="col" key={s}>
                    {hourOf(s)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.clusters.map((c, r) => (
                <tr key={c}>
                  <th scope="row">{c}</th>
                  {data.slotStarts.map((s, t) => (
                    <td key={s} className="num">
                      {num(data.cells[r * data.slotStarts.length + t]?.[2], metric === 'gpus' ? 0 : 2)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
