import { describe, expect, it } from 'vitest';
import { heatmapCells } from './heatmap-data';

const grid = {
  slotStarts: ['2023-03-15T00:00:00.000Z', '2023-03-15T01:00:00.000Z', '2023-03-15T02:00:00.000Z'],
  clusters: [
    { clusterId: 'fra-1', gpus: [10, 0, 4], gpuHours: [10, 0, 4], jobs: [2, 0, 1], cost: [5.5, 0, 2.25] },
    // A short row (no cost for the last slot) still yields a cell, valued 0.
    { clusterId: 'ams-1', gpus: [0, 7], gpuHours: [0, 7], jobs: [0, 1], cost: [0, 3] },
  ],
};

describe('heatmap cells', () => {
  it('one cell per cluster and slot, [slot, cluster, value]', () => {
    const gpus = heatmapCells(grid, 'gpus');
    expect(gpus.cells).toHaveLength(2 * 3); // 2 clusters × 3 slots
    expect(gpus.cells).toContainEqual([2, 0, 4]);
    expect(gpus.cells).toContainEqual([2, 1, 0]);
    expect(gpus.max).toBe(10);
    expect(gpus.clusters).toEqual(['fra-1', 'ams-1']);
  });

  it('cost cells read the cost row', () => {
    const cost = heatmapCells(grid, 'cost');
    expect(cost.cells.filter(([, r]) => r === 0).map(([, , v]) => v)).toEqual([5.5, 0, 2.25]);
    expect(cost.max).toBe(5.5);
  });
});
