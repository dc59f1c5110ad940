import { HeatmapChart, LineChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { type EChartsCoreOption, init, use as registerCharts } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only what the console draws (heatmaps and lines on a canvas): keeps ECharts' share of the bundle small.
registerCharts([
  HeatmapChart,
  LineChart,
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export interface ChartProps {
  option: EChartsCoreOption;
  /** Accessible name of the chart (charts are canvases: the page also offers the numbers as a table). */
  label: string;
  height: number;
  /** Called with the milliseconds from setOption to the chart's first finished frame. */
  onRendered?: (ms: number) => void;
  testId?: string;
}

/** An Apache ECharts chart on a canvas, resized with its container, disposed when it leaves the page. */
export function Chart({ option, label, height, onRendered, testId }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof init> | null>(null);
  const rendered = useRef(onRendered);
  rendered.current = onRendered;

  useEffect(() => {
    if (!ref.current) return;
    const instance = init(ref.current, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    const started = performance.now();
    const onFinished = () => {
      instance.off('finished', onFinished);
      rendered.current?.(performance.now() - started);
    };
    instance.on('finished', onFinished);
    instance.setOption(option, { notMerge: true });
    return () => {
      instance.off('finished', onFinished);
    };
  }, [option]);

  return (
    <div ref={ref} className="chart" style={{ height }} role="img" aria-label={label} data-testid={testId} />
  );
}
