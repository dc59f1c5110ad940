import { describe, expect, it } from 'vitest';
import { cellAt, colourAt, drawHeatmap, heatmapHeight, heatmapLayout } from './heatmap-canvas';

describe('heatmap layout', () => {
  // 1,030 px wide: 90 px of cluster labels, 20 px right margin → 920 px for 23 hours = 40 px a cell.
  const layout = heatmapLayout(1030, 3, 23);

  it('splits the plot width between the hours', () => {
    expect(layout.cellWidth).toBe(40);
    expect(layout.labelEvery).toBe(2); // a label needs 44 px: every other hour
    expect(layout.height).toBe(heatmapHeight(3));
    expect(heatmapHeight(20)).toBe(10 + 20 * 28 + 24 + 40);
  });

  it.each([
    { name: 'first cell', x: 90, y: 10, want: { row: 0, col: 0 } },
    { name: 'last cell', x: 90 + 23 * 40 - 1, y: 10 + 3 * 28 - 1, want: { row: 2, col: 22 } },
    { name: 'row 1, hour 5', x: 90 + 5 * 40 + 3, y: 10 + 28 + 1, want: { row: 1, col: 5 } },
    { name: 'on the cluster labels', x: 89, y: 20, want: null },
    { name: 'below the rows', x: 200, y: 10 + 3 * 28, want: null },
    { name: 'right of the hours', x: 90 + 23 * 40, y: 20, want: null },
  ])('cell under the pointer: $name', ({ x, y, want }) => {
    expect(cellAt(layout, x, y)).toEqual(want);
  });
});

describe('colour scale', () => {
  it.each([
    { fraction: 0, want: 'rgb(244, 247, 251)' }, // #f4f7fb
    { fraction: 0.5, want: 'rgb(106, 166, 216)' }, // #6aa6d8
    { fraction: 1, want: 'rgb(8, 48, 107)' }, // #08306b
    { fraction: 0.25, want: 'rgb(175, 207, 234)' }, // halfway between the first two stops, rounded
    { fraction: 2, want: 'rgb(8, 48, 107)' }, // clamped
    { fraction: Number.NaN, want: 'rgb(244, 247, 251)' },
  ])('$fraction → $want', ({ fraction, want }) => {
    expect(colourAt(fraction)).toBe(want);
  });
});

describe('drawHeatmap', () => {
  /** Records the rectangles a canvas context is asked to fill, with their colour. */
  function recorder() {
    const cells: { x: number; y: number; fill: unknown }[] = [];
    const texts: string[] = [];
    const ctx = {
      fillStyle: '' as unknown,
      strokeStyle: '',
      font: '',
      textAlign: '',
      textBaseline: '',
      clearRect: () => undefined,
      strokeRect: () => undefined,
      fillRect(x: number, y: number) {
        cells.push({ x, y, fill: this.fillStyle });
      },
      fillText: (text: string) => texts.push(text),
      createLinearGradient: () => ({ addColorStop: () => undefined }),
    };
    return { ctx: ctx as unknown as CanvasRenderingContext2D, cells, texts };
  }

  it('paints every cell, zeros lightest and the maximum darkest, and labels rows, hours and the scale', () => {
    const { ctx, cells, texts } = recorder();
    const layout = heatmapLayout(1030, 2, 3);
    const painted = drawHeatmap(ctx, layout, {
      rows: ['fra-1', 'ams-1'],
      cols: ['00:00', '01:00', '02:00'],
      values: [10, 0, 4, 0, 7], // the second row is short: its last cell is 0
      max: 10,
      format: (v) => `${v} GPUs`,
    });
    expect(painted).toBe(6); // 2 clusters × 3 hours
    const grid = cells.slice(0, 6);
    expect(grid[0]!.fill).toBe(colourAt(1)); // 10 of 10
    expect(grid[1]!.fill).toBe(colourAt(0));
    expect(grid[5]!.fill).toBe(colourAt(0)); // the missing value
    expect(grid[4]!.fill).toBe(colourAt(Math.round(0.7 * 255) / 255)); // 7 of 10, one of 256 colours
    expect(grid[3]!.y).toBe(layout.top + layout.cellHeight); // row 2
    expect(texts).toEqual(
      expect.arrayContaining(['fra-1', 'ams-1', '00:00', '01:00', '02:00', '0 GPUs', '10 GPUs']),
    );
  });

  it('an all-zero schedule paints every cell in the lightest colour', () => {
    const { ctx, cells } = recorder();
    const painted = drawHeatmap(ctx, heatmapLayout(600, 1, 2), {
      rows: ['fra-1'],
      cols: ['00:00', '01:00'],
      values: [0, 0],
      max: 0,
      format: String,
    });
    expect(painted).toBe(2);
    expect(cells.slice(0, 2).map((c) => c.fill)).toEqual([colourAt(0), colourAt(0)]);
  });
});
