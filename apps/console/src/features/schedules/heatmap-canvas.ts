/**
 * The heatmap's own canvas renderer: clusters × hours is at most a few hundred rectangles, which a 2D canvas
 * fills in a millisecond, so the schedule page's first view needs no chart library (ECharts, ~180 KiB gzip,
 * loads later for the price curves). Layout and colours are pure functions; `drawHeatmap` only paints.
 */

/** Colour stops from 0 to the maximum (light to dark blue, as the ECharts heatmap had). */
export const HEATMAP_STOPS = ['#f4f7fb', '#6aa6d8', '#08306b'] as const;

export interface HeatmapLayout {
  width: number;
  height: number;
  /** The plot area (cells), in CSS pixels. */
  left: number;
  top: number;
  cellWidth: number;
  cellHeight: number;
  rows: number;
  cols: number;
  /** Every `labelEvery`-th hour is labelled (so labels never overlap). */
  labelEvery: number;
  /** Where the colour legend sits (below the hour labels). */
  legendTop: number;
}

const LEFT_PX = 90;
const RIGHT_PX = 20;
const TOP_PX = 10;
const ROW_PX = 28;
const HOUR_LABELS_PX = 24;
const LEGEND_PX = 40;
/** Room one hour label ("23:00") needs, with a gap. */
const HOUR_LABEL_PX = 44;

/** The canvas height for `rows` clusters, in CSS pixels. */
export function heatmapHeight(rows: number): number {
  return TOP_PX + ROW_PX * Math.max(rows, 1) + HOUR_LABELS_PX + LEGEND_PX;
}

/** Where everything goes on a canvas `width` CSS pixels wide. */
export function heatmapLayout(width: number, rows: number, cols: number): HeatmapLayout {
  const plotWidth = Math.max(width - LEFT_PX - RIGHT_PX, 1);
  const cellWidth = plotWidth / Math.max(cols, 1);
  return {
    width,
    height: heatmapHeight(rows),
    left: LEFT_PX,
    top: TOP_PX,
    cellWidth,
    cellHeight: ROW_PX,
    rows,
    cols,
    labelEvery: Math.max(1, Math.ceil(HOUR_LABEL_PX / cellWidth)),
    legendTop: TOP_PX + ROW_PX * Math.max(rows, 1) + HOUR_LABELS_PX,
  };
}

/** The cell under a point (CSS pixels from the canvas' top left), or null outside the cells. */
export function cellAt(layout: HeatmapLayout, x: number, y: number): { row: number; col: number } | null {
  const col = Math.floor((x - layout.left) / layout.cellWidth);
  const row = Math.floor((y - layout.top) / layout.cellHeight);
  if (col < 0 || row < 0 || col >= layout.cols || row >= layout.rows) return null;
  return { row, col };
}

const rgbOf = (hex: string): [number, number, number] => [
  parseInt(hex.slice(1, 3), 16),
  parseInt(hex.slice(3, 5), 16),
  parseInt(hex.slice(5, 7), 16),
];

/** The colour at `fraction` (0..1, clamped) of a linear scale through `stops`, as `rgb(r, g, b)`. */
export function colourAt(fraction: number, stops: readonly string[] = HEATMAP_STOPS): string {
  const f = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
  const span = f * (stops.length - 1);
  const i = Math.min(Math.floor(span), stops.length - 2);
  const from = rgbOf(stops[i]!);
  const to = rgbOf(stops[i + 1]!);
  const t = span - i;
  const [r, g, b] = from.map((c, k) => Math.round(c + (to[k]! - c) * t));
  return `rgb(${r}, ${g}, ${b})`;
}

export interface HeatmapPaint {
  rows: string[];
  cols: string[];
  /** Row-major values: `values[row * cols.length + col]`. */
  values: number[];
  max: number;
  /** The legend's text for a value (GPUs or money). */
  format: (value: number) => string;
}

/**
 * Paints the heatmap on a 2D context already scaled to CSS pixels; returns the number of cells painted
 * (rows × cols: every cell, zero ones in the lightest colour).
 */
export function drawHeatmap(
  ctx: CanvasRenderingContext2D,
  layout: HeatmapLayout,
  paint: HeatmapPaint,
): number {
  const { rows, cols, values, max } = paint;
  ctx.clearRect(0, 0, layout.width, layout.height);
  // 256 colours, computed once per draw rather than once per cell.
  const palette = Array.from({ length: 256 }, (_, i) => colourAt(i / 255));
  let painted = 0;
  for (let r = 0; r < rows.length; r += 1) {
    for (let c = 0; c < cols.length; c += 1) {
      const v = values[r * cols.length + c] ?? 0;
      ctx.fillStyle = palette[max > 0 ? Math.round((v / max) * 255) : 0] ?? palette[0]!;
      // A 1 px gap between cells (the page's background) keeps neighbours of one colour apart.
      ctx.fillRect(
        layout.left + c * layout.cellWidth,
        layout.top + r * layout.cellHeight,
        Math.max(layout.cellWidth - 1, 1),
        layout.cellHeight - 1,
      );
      painted += 1;
    }
  }
  ctx.fillStyle = '#1b2430';
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  rows.forEach((label, r) => {
    ctx.fillText(label, layout.left - 8, layout.top + (r + 0.5) * layout.cellHeight, layout.left - 12);
  });
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const labelsTop = layout.top + rows.length * layout.cellHeight + 6;
  cols.forEach((label, c) => {
    if (c % layout.labelEvery === 0)
      ctx.fillText(label, layout.left + (c + 0.5) * layout.cellWidth, labelsTop);
  });
  // The legend: the colour scale from 0 to the maximum.
  const legendWidth = Math.min(200, layout.cols * layout.cellWidth);
  const legendLeft = layout.left + (layout.cols * layout.cellWidth - legendWidth) / 2;
  const gradient = ctx.createLinearGradient(legendLeft, 0, legendLeft + legendWidth, 0);
  HEATMAP_STOPS.forEach((stop, i) => gradient.addColorStop(i / (HEATMAP_STOPS.length - 1), stop));
  ctx.fillStyle = gradient;
  ctx.fillRect(legendLeft, layout.legendTop + 8, legendWidth, 12);
  ctx.strokeStyle = '#d5dbe3';
  ctx.strokeRect(legendLeft, layout.legendTop + 8, legendWidth, 12);
  ctx.fillStyle = '#1b2430';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  ctx.fillText(paint.format(0), legendLeft - 6, layout.legendTop + 14);
  ctx.textAlign = 'left';
  ctx.fillText(paint.format(max), legendLeft + legendWidth + 6, layout.legendTop + 14);
  return painted;
}
