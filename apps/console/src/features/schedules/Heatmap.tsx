import { type PointerEvent, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { hourOf, money, num } from '../../shared/format';
import { mark } from '../../shared/marks';
import type { ScheduleDetailView } from './api';
import { cellAt, drawHeatmap, type HeatmapLayout, heatmapHeight, heatmapLayout } from './heatmap-canvas';
import { type HeatmapMetric, heatmapCells } from './heatmap-data';
import { ScrollRegion } from '../../shared/ScrollRegion';

/** Calls `then` once the frame holding what was just painted has been produced (next frame, then a task). */
function afterNextFrame(then: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(then, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

/**
 * Clusters × hours heatmap of a schedule: GPUs placed or energy cost per cell, painted on a canvas by
 * heatmap-canvas.ts (no chart library on the first view), with a tooltip under the pointer and a table view.
 */
export function Heatmap({ detail, onDrawn }: { detail: ScheduleDetailView; onDrawn?: () => void }) {
  const [metric, setMetric] = useState<HeatmapMetric>('gpus');
  const [renderMs, setRenderMs] = useState<number | null>(null);
  const [drawnCells, setDrawnCells] = useState(0);
  const [asTable, setAsTable] = useState(false);
  const [resized, setResized] = useState(0);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drawn = useRef(onDrawn);
  useEffect(() => {
    drawn.current = onDrawn;
  }, [onDrawn]);
  const choose = (next: HeatmapMetric) => {
    if (next === metric) return;
    setRenderMs(null); // until the redraw finishes
    setMetric(next);
  };
  const data = useMemo(() => heatmapCells(detail.grid, metric), [detail.grid, metric]);
  const currency = detail.currency ?? detail.costs.currency;
  const format = useCallback(
    (v: number) => (metric === 'gpus' ? `${num(v, 0)} GPUs` : money(v, currency)),
    [metric, currency],
  );
  const hours = useMemo(() => data.slotStarts.map(hourOf), [data.slotStarts]);
  // Where the cells are, as last painted (the tooltip reads it).
  const layoutRef = useRef<HeatmapLayout | null>(null);

  // Paint before the browser's next paint (a layout effect: the first frame that shows the page shows the
  // heatmap), on every change of data, and when the container's width really changes.
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    const width = Math.round(canvas?.parentElement?.clientWidth ?? 0);
    if (!canvas || !ctx || width === 0) return;
    const started = performance.now();
    mark('heatmap-set-option');
    const layout = heatmapLayout(width, data.clusters.length, data.slotStarts.length);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(layout.width * ratio);
    canvas.height = Math.round(layout.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const painted = drawHeatmap(ctx, layout, {
      rows: data.clusters,
      cols: hours,
      values: data.cells.map(([, , v]) => v),
      max: data.max,
      format,
    });
    layoutRef.current = layout;
    // Reported once the frame holding it has been produced.
    return afterNextFrame(() => {
      mark('heatmap-drawn');
      setDrawnCells(painted);
      setRenderMs(performance.now() - started);
      drawn.current?.();
    });
  }, [data, hours, format, resized]);

  // A real change of the container's width repaints (the observer's first call, the same width, does not).
  useEffect(() => {
    const box = canvasRef.current?.parentElement;
    if (!box) return;
    const observer = new ResizeObserver(([entry]) => {
      const width = Math.round(entry?.contentRect.width ?? 0);
      if (width > 0 && width !== layoutRef.current?.width) setResized((n) => n + 1);
    });
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  const onPointer = (event: PointerEvent<HTMLCanvasElement>) => {
    const bounds = event.currentTarget.getBoundingClientRect();
    const x = event.clientX - bounds.left;
    const y = event.clientY - bounds.top;
    const layout = layoutRef.current;
    const cell = layout && cellAt(layout, x, y);
    if (!cell) return setTip(null);
    const value = data.cells[cell.row * data.slotStarts.length + cell.col]?.[2] ?? 0;
    setTip({ x, y, text: `${data.clusters[cell.row] ?? ''} ${hours[cell.col] ?? ''}: ${format(value)}` });
  };

  const what = metric === 'gpus' ? 'GPUs placed' : 'energy cost';
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
      <div
        className="heatmap"
        data-testid="heatmap"
        data-cells={drawnCells}
        data-render-ms={renderMs ?? ''}
        onPointerLeave={() => setTip(null)}
      >
        <canvas
          ref={canvasRef}
          className="heatmap-canvas"
          style={{ height: heatmapHeight(data.clusters.length) }}
          role="img"
          aria-label={`Heatmap of ${what} per cluster and hour: ${data.clusters.length} clusters × ${data.slotStarts.length} hours, up to ${format(data.max)} in a cell; “Show as table” lists every value`}
          onPointerMove={onPointer}
        />
        {tip && (
          <div
            className="heatmap-tip"
            role="tooltip"
            style={{ left: tip.x, top: tip.y }}
            data-testid="heatmap-tip"
          >
            {tip.text}
          </div>
        )}
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
