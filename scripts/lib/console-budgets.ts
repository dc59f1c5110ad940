// The operator console's budgets — the one place they are written. `npm run bench:console` reports against
// them, the browser tests check the bundle ones, and apps/console/README.md's "Budgets" table must say the
// same (console-budgets.spec.ts compares them).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ConsoleBudget {
  /** What is measured, as the README's table says it. */
  what: string;
  limit: number;
  unit: 'ms' | 'KiB';
  /** What checks it, as the README's table says it. */
  checkedBy: string;
}

export const CONSOLE_BUDGETS = {
  bundleGzipKiB: {
    what: 'JS + CSS, gzip (level 9), all chunks (ECharts included)',
    limit: 320,
    unit: 'KiB',
    checkedBy: '`tests/browser/console.browser.ts` (fails above it), bench row',
  },
  entryGzipKiB: {
    what: 'what `index.html` loads before any page: entry script, modulepreloads, styles (gzip 9)',
    limit: 100,
    unit: 'KiB',
    checkedBy: '`tests/browser/console.browser.ts` (fails above it, or with ECharts in it), bench row',
  },
  heatmapMs: {
    what: 'heatmap of a 5,000 jobs × 20 clusters × 24 h schedule (480 cells): data → frame drawn',
    limit: 500,
    unit: 'ms',
    checkedBy: '`npm run bench:console`, not a test',
  },
  firstLoadMs: {
    what: 'first load of that schedule’s page on localhost: fresh browser context → heatmap drawn',
    limit: 1000,
    unit: 'ms',
    checkedBy: '`npm run bench:console` (navigation → heatmap drawn), not a test',
  },
} as const satisfies Record<string, ConsoleBudget>;

/** The README's table rows: what, budget (`≤ 320 KiB`), checked by. */
export function budgetTableRows(): [string, string, string][] {
  return Object.values(CONSOLE_BUDGETS).map((b) => [b.what, `≤ ${b.limit} ${b.unit}`, b.checkedBy]);
}

/** Reads the rows of the first Markdown table after `heading` in `markdown` (header and rule skipped). */
export function markdownTableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  if (start < 0) return [];
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((l) => l.trimStart().startsWith('|'));
  if (first < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.trimStart().startsWith('|')) break;
    rows.push(
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/**
 * Gzip (level 9) sizes of a built console (`dir`: its index.html and assets/): all scripts and styles, and
 * the entry — what index.html itself loads (module script, modulepreloads, stylesheets) before any page.
 */
export function bundleSizes(dir: string): {
  totalGzipBytes: number;
  entryGzipBytes: number;
  entryFiles: string[];
  files: number;
} {
  const assets = readdirSync(join(dir, 'assets')).filter((f) => /\.(js|css)$/.test(f));
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  const entryFiles = [
    ...new Set(
      [
        ...index.matchAll(
          /<(?:script[^>]*\bsrc|link[^>]*rel="(?:stylesheet|modulepreload)"[^>]*\bhref)="[^"]*\/assets\/([^"]+)"/g,
        ),
      ].map((m) => m[1]!),
    ),
  ];
  let total = 0;
  let entry = 0;
  for (const f of assets) {
    const bytes = gzipSync(readFileSync(join(dir, 'assets', f)), { level: 9 }).length;
    total += bytes;
    if (entryFiles.includes(f)) entry += bytes;
  }
  return { totalGzipBytes: total, entryGzipBytes: entry, entryFiles, files: assets.length };
}
