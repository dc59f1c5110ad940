import type { ScheduleDetailView } from './api';

export type HeatmapMetric = 'gpus' | 'cost';

export interface HeatmapCells {
  /** Cluster ids, one row each (top to bottom as in the API's grid). */
  clusters: string[];
  slotStarts: string[];
  /** `[slot index, cluster index, value]`, one per (cluster, slot): clusters × slots cells. */
  cells: [number, number, number][];
  max: number;
}

/**
 * The heatmap's cells from the detail's clusters × slots grid: GPUs placed, or energy cost, per cell.
 * Every cell is present (0 where nothing runs), so the chart has exactly clusters × slots cells.
 */
export function heatmapCells(grid: ScheduleDetailView['grid'], metric: HeatmapMetric): HeatmapCells {
  const cells: [number, number, number][] = [];
  let max = 0;
  grid.clusters.forEach((row, r) => {
    const values = metric === 'gpus' ? row.gpus : row.cost;
    for (let t = 0; t < grid.slotStarts.length; t += 1) {
      const value = values[t] ?? 0;
      cells.push([t, r, value]);
      if (value > max) max = value;
    }
  });
  return { clusters: grid.clusters.map((c) => c.clusterId), slotStarts: grid.slotStarts, cells, max };
}
