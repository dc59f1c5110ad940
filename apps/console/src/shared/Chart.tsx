import type { EChartsCoreOption, EChartsType } from 'echarts/core';
import { useEffect, useRef, useState } from 'react';
import { mark } from './marks';

/** ECharts, loaded once as a separate chunk when the first chart mounts (the price curves, after the heatmap). */
export const loadEcharts = () => import('./echarts');

export interface ChartProps {
  option: EChartsCoreOption;
  /** Accessible name of the chart (charts are canvases: the page also offers the numbers as a table). */
  label: string;
  height: number;
  /** Called with the milliseconds from setOption to the chart's first finished frame. */
  onRendered?: (ms: number) => void;
  testId?: string;
  /** Marks `<markAs>-set-option` and `<markAs>-drawn` (see shared/marks.ts). */
  markAs?: string;
}

/** An Apache ECharts chart on a canvas, resized with its container, disposed when it leaves the page. */
export function Chart({ option, label, height, onRendered, testId, markAs }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [chart, setChart] = useState<EChartsType | null>(null);
  const rendered = useRef(onRendered);
  useEffect(() => {
    rendered.current = onRendered;
  }, [onRendered]);

  useEffect(() => {
    let instance: EChartsType | null = null;
    let observer: ResizeObserver | null = null;
    let gone = false;
    void loadEcharts().then(({ init }) => {
      if (gone || !ref.current) return;
      mark('echarts-ready');
      const created = init(ref.current, undefined, { renderer: 'canvas' });
      instance = created;
      // Only real size changes redraw: the observer's first call (the size init just measured) would draw the
      // chart a second time during its first load.
      let size = `${ref.current.clientWidth}x${ref.current.clientHeight}`;
      observer = new ResizeObserver(([entry]) => {
        const box = entry?.contentRect;
        const next = box ? `${Math.round(box.width)}x${Math.round(box.height)}` : '';
        if (next === size) return;
        size = next;
        created.resize();
      });
      observer.observe(ref.current);
      setChart(created);
    });
    return () => {
      gone = true;
      observer?.disconnect();
      instance?.dispose();
    };
  }, []);

  useEffect(() => {
    if (!chart) return;
    const started = performance.now();
    const onFinished = () => {
      chart.off('finished', onFinished);
      if (markAs) mark(`${markAs}-drawn`);
      rendered.current?.(performance.now() - started);
    };
    chart.on('finished', onFinished);
    if (markAs) mark(`${markAs}-set-option`);
    chart.setOption(option, { notMerge: true });
    return () => {
      chart.off('finished', onFinished);
    };
  }, [chart, option, markAs]);

  return (
    <div ref={ref} className="chart" style={{ height }} role="img" aria-label={label} data-testid={testId} />
  );
}
