// Minimal, dependency-free SVG time charts: one or more panels stacked vertically, each with its own y axis,
// drawn as lines (a path per series, broken at nulls) or stacked areas. Pure string building.

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Tableau 10, then repeated. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

export interface ChartSeries {
  name: string;
  /** One value per x; null = no value (a gap in a line, 0 in a stack). */
  values: readonly (number | null)[];
  color?: string;
  /** Lines only: draw dashed (to see a line that another one covers). */
  dashed?: boolean;
}

export interface ChartPanel {
  /** Shown above the panel. */
  subtitle?: string;
  yLabel: string;
  kind: 'lines' | 'stacked';
  series: readonly ChartSeries[];
  /** Lines only: a dot on every point (for short daily series). */
  markers?: boolean;
}

export interface ChartSpec {
  title: string;
  /** x positions, epoch ms, ascending; shared by every panel and series. */
  xMs: readonly number[];
  /** The x axis extent, epoch ms; default first to last of `xMs`. Charts meant to be compared share one. */
  xRangeMs?: readonly [number, number];
  panels: readonly ChartPanel[];
  width?: number;
  /** Height of one panel's plot area, px. */
  panelHeight?: number;
}

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Round tick bounds and step (1, 2, 2.5 or 5 × 10^k) covering [min, max] with about `count` ticks. */
export function niceScale(min: number, max: number, count = 7): { lo: number; hi: number; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { lo: 0, hi: 1, step: 0.2 };
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 1e-12 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  return { lo: Math.floor(min / step) * step, hi: Math.ceil(max / step) * step, step };
}

/** Short tick label: 1.2k, 3.4M, 0.05. */
export function compactNumber(x: number): string {
  const abs = Math.abs(x);
  const trim = (v: number, unit: string) => `${Number(v.toPrecision(3))}${unit}`;
  if (abs >= 1e9) return trim(x / 1e9, 'G');
  if (abs >= 1e6) return trim(x / 1e6, 'M');
  if (abs >= 1e4) return trim(x / 1e3, 'k');
  if (abs === 0) return '0';
  return String(Number(x.toPrecision(4)));
}

const TIME_STEPS_MS = [1, 2, 3, 6, 12, 24, 48, 7 * 24, 14 * 24, 28 * 24, 91 * 24].map((h) => h * MS_PER_HOUR);

/** Tick positions (epoch ms, on UTC hour/day multiples) and labels for [fromMs, toMs], at most `maxTicks`. */
export function timeTicks(fromMs: number, toMs: number, maxTicks = 10): { ms: number; label: string }[] {
  const span = Math.max(toMs - fromMs, MS_PER_HOUR);
  const step = TIME_STEPS_MS.find((s) => span / s <= maxTicks) ?? TIME_STEPS_MS.at(-1) ?? MS_PER_DAY;
  const ticks: { ms: number; label: string }[] = [];
  // Hour steps sit on UTC multiples of the step (00, 06, 12, 18); day steps count from the first midnight.
  const align = Math.min(step, MS_PER_DAY);
  for (let ms = Math.ceil(fromMs / align) * align; ms <= toMs; ms += step) {
    const iso = new Date(ms).toISOString();
    ticks.push({
      ms,
      label: step < MS_PER_DAY ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(5, 10),
    });
  }
  return ticks;
}

const MARGIN = { left: 76, right: 180, top: 48, bottom: 40 };
const PANEL_GAP = 64;

function coord(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Cumulative tops of a stack (nulls count as 0). */
function stackTops(series: readonly ChartSeries[], n: number): number[][] {
  const tops: number[][] = [];
  let below = new Array<number>(n).fill(0);
  for (const s of series) {
    const top = below.map((b, i) => b + Math.max(0, s.values[i] ?? 0));
    tops.push(top);
    below = top;
  }
  return tops;
}

function panelSvg(
  panel: ChartPanel,
  xMs: readonly number[],
  box: { x: number; y: number; w: number; h: number },
  xRangeMs?: readonly [number, number],
): string {
  const n = xMs.length;
  const x0 = xRangeMs?.[0] ?? xMs[0] ?? 0;
  const x1 = Math.max(xRangeMs?.[1] ?? xMs.at(-1) ?? x0 + MS_PER_HOUR, x0 + 1);
  const tops = panel.kind === 'stacked' ? stackTops(panel.series, n) : [];
  const values =
    panel.kind === 'stacked'
      ? [0, ...(tops.at(-1) ?? [])]
      : panel.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const scale = niceScale(Math.min(0, ...values), Math.max(0, ...values));
  const px = (ms: number) => box.x + ((ms - x0) / (x1 - x0)) * box.w;
  const py = (v: number) => box.y + box.h - ((v - scale.lo) / (scale.hi - scale.lo)) * box.h;
  const out: string[] = [];

  if (panel.subtitle)
    out.push(`<text x="${box.x}" y="${box.y - 10}" font-weight="600">${escapeXml(panel.subtitle)}</text>`);
  // Grid and y axis labels.
  for (let v = scale.lo, i = 0; v <= scale.hi + scale.step / 2 && i < 50; v += scale.step, i++) {
    const y = coord(py(v));
    out.push(`<line x1="${box.x}" x2="${box.x + box.w}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${box.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${compactNumber(v)}</text>`,
    );
  }
  for (const tick of timeTicks(x0, x1)) {
    const x = coord(px(tick.ms));
    out.push(`<line x1="${x}" x2="${x}" y1="${box.y}" y2="${box.y + box.h}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${box.y + box.h + 16}" text-anchor="middle">${escapeXml(tick.label)}</text>`);
  }
  out.push(
    `<text transform="translate(${box.x - 56} ${box.y + box.h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
  );

  // Data.
  panel.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length] ?? '#333';
    const name = escapeXml(s.name);
    if (panel.kind === 'stacked') {
      const top = tops[k] ?? [];
      const bottom = tops[k - 1] ?? new Array<number>(n).fill(0);
      if (n === 0) return;
      const upper = xMs.map((ms, i) => `${coord(px(ms))},${coord(py(top[i] ?? 0))}`);
      const lower = xMs.map((ms, i) => `${coord(px(ms))},${coord(py(bottom[i] ?? 0))}`).reverse();
      out.push(
        `<path class="series" data-series="${name}" d="M${upper.join('L')}L${lower.join('L')}Z" fill="${color}" fill-opacity="0.85" stroke="${color}" stroke-width="0.5"/>`,
      );
      return;
    }
    const segments: string[] = [];
    let open = false;
    s.values.forEach((v, i) => {
      const ms = xMs[i];
      if (v === null || !Number.isFinite(v) || ms === undefined) {
        open = false;
        return;
      }
      segments.push(`${open ? 'L' : 'M'}${coord(px(ms))},${coord(py(v))}`);
      open = true;
    });
    if (segments.length > 0)
      out.push(
        `<path class="series" data-series="${name}" d="${segments.join('')}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    if (panel.markers) {
      s.values.forEach((v, i) => {
        const ms = xMs[i];
        if (v === null || !Number.isFinite(v) || ms === undefined) return;
        out.push(`<circle cx="${coord(px(ms))}" cy="${coord(py(v))}" r="2.5" fill="${color}"/>`);
      });
    }
  });
  if (scale.lo < 0 && scale.hi > 0) {
    const y = coord(py(0));
    out.push(
      `<line x1="${box.x}" x2="${box.x + box.w}" y1="${y}" y2="${y}" stroke="#555" stroke-width="1"/>`,
    );
  }
  // The frame names its x extent so tests (and readers of the file) can check that charts line up.
  out.push(
    `<rect class="plot" data-x-from="${new Date(x0).toISOString()}" data-x-to="${new Date(x1).toISOString()}" x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#999"/>`,
  );

  // Legend (stacks listed top-down, as drawn).
  const legend = panel.series.map((s, k) => ({ s, k }));
  if (panel.kind === 'stacked') legend.reverse();
  legend.forEach(({ s, k }, row) => {
    const color = s.color ?? PALETTE[k % PALETTE.length] ?? '#333';
    const y = box.y + 6 + row * 18;
    out.push(`<rect x="${box.x + box.w + 14}" y="${y}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${box.x + box.w + 32}" y="${y + 10}">${escapeXml(s.name)}</text>`);
  });
  return out.join('\n');
}

/** A complete SVG document for `spec` (time on x, one y axis per panel). */
export function timeChartSvg(spec: ChartSpec): string {
  const width = spec.width ?? 960;
  const panelHeight = spec.panelHeight ?? 300;
  const plotW = width - MARGIN.left - MARGIN.right;
  const height =
    MARGIN.top + spec.panels.length * panelHeight + (spec.panels.length - 1) * PANEL_GAP + MARGIN.bottom;
  const title = escapeXml(spec.title);
  const panels = spec.panels.map((panel, i) =>
    panelSvg(
      panel,
      spec.xMs,
      {
        x: MARGIN.left,
        y: MARGIN.top + i * (panelHeight + PANEL_GAP) + (panel.subtitle ? 8 : 0),
        w: plotW,
        h: panelHeight - (panel.subtitle ? 8 : 0),
      },
      spec.xRangeMs,
    ),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12" role="img" aria-label="${title}">`,
    `<title>${title}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="600">${title}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
