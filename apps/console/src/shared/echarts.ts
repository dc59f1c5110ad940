import { LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use as registerCharts } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// Only what the console draws with ECharts (line charts on a canvas: price curves): keeps its share of the
// bundle small. This module is its own chunk, loaded with the first chart that needs it — never on the way to
// a schedule's heatmap (features/schedules/heatmap-canvas.ts paints that).
registerCharts([LineChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { init };
