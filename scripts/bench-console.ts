// bench:console — the operator console's first load and heatmap drawing in Chromium, against the real stack
// (tests/browser/stack.ts: the demo plus a 5,000 jobs × 20 clusters × 24 h schedule), each beside a reference
// measured in the same run, plus the bundle's size against its budget.
//   npm run bench:console [-- --runs 5] [--json FILE]
//
// Per run, serially: the reference (a fresh browser context loading `/health`: browser, loopback and server
// costs with no console in them), then a first load (a fresh context — empty cache — signed in through this
// tab's sessionStorage, as when an operator opens a shared link: navigation → heatmap drawn), then a redraw
// of the heatmap as cost. The page's own resource timings say where the first load's time went.
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from '@playwright/test';
import { repoRoot, type StackInfo, startStack } from '../tests/browser/stack.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const usage = `usage: npm run bench:console -- [--runs N] [--compare DIR] [--json FILE]
  --runs N       cold loads measured, each beside its reference (default: 5)
  --compare DIR  another build of the console (e.g. of an earlier commit: its index.html and assets/), loaded
                 in turns with this one in the same run (rows prefixed "compared build:")
  --json FILE    also write rows {metric, value, unit} as JSON`;

/** Where a compared build's index.html is served during the run (its assets go beside the current ones). */
const COMPARE_PAGE = 'compare-build.html';

/** Budgets (apps/console/README.md, "Budgets"). */
export const CONSOLE_BUDGETS = { firstLoadMs: 1000, heatmapMs: 500, bundleGzipKiB: 320 } as const;

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
}

interface Run {
  referenceMs: number;
  firstLoadMs: number;
  heatmapMs: number;
  redrawMs: number;
  /** From the page's Performance API (marks of src/shared/marks.ts, resource timings), ms since navigation start. */
  scriptsLoadedMs: number;
  signedInMs: number;
  detailReceivedMs: number;
  echartsReadyMs: number;
  setOptionMs: number;
  drawnMs: number;
  detailResponseMs: number;
  detailBytes: number;
  detailTransferBytes: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Gzip (level 9) sizes of the built console: all assets, and the first chunk (the script and styles index.html
 * runs; the modulepreloaded ECharts chunk is fetched beside it but not needed to sign in).
 */
export function bundleSizes(): { totalGzipBytes: number; entryGzipBytes: number; files: number } {
  const dir = join(repoRoot, 'apps/console/dist');
  const assets = readdirSync(join(dir, 'assets')).filter((f) => /\.(js|css)$/.test(f));
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  const entryFiles = new Set(
    [
      ...index.matchAll(
        /<(?:script[^>]*\bsrc|link[^>]*rel="stylesheet"[^>]*\bhref)="[^"]*\/assets\/([^"]+)"/g,
      ),
    ].map((m) => m[1]!),
  );
  let total = 0;
  let entry = 0;
  for (const f of assets) {
    const bytes = gzipSync(readFileSync(join(dir, 'assets', f)), { level: 9 }).length;
    total += bytes;
    if (entryFiles.has(f)) entry += bytes;
  }
  return { totalGzipBytes: total, entryGzipBytes: entry, files: assets.length };
}

async function referenceLoad(browser: Browser, stack: StackInfo): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(`${stack.base}/health`);
    return performance.now() - started;
  } finally {
    await context.close();
  }
}

async function firstLoad(browser: Browser, stack: StackInfo, page0 = ''): Promise<Omit<Run, 'referenceMs'>> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(
      (key) => sessionStorage.setItem('gridshift.console.key', key),
      stack.operatorKey,
    );
    const heatmap = page.getByTestId('heatmap');
    const started = performance.now();
    await page.goto(`${stack.base}/console/${page0}#/schedules/${stack.bigScheduleId}`);
    await heatmap
      .and(page.locator('[data-render-ms]:not([data-render-ms=""])'))
      .waitFor({ timeout: 120_000 });
    const firstLoadMs = performance.now() - started;
    const heatmapMs = Number(await heatmap.getAttribute('data-render-ms'));
    const cells = Number(await heatmap.getAttribute('data-cells'));
    if (cells !== 20 * 24) throw new Error(`the heatmap drew ${cells} cells, expected ${20 * 24}`);
    const timings = await page.evaluate((id) => {
      // Resource timings (the root tsconfig has no DOM types: the fields read are spelled out).
      const resources = performance.getEntriesByType('resource') as unknown as {
        name: string;
        responseEnd: number;
        decodedBodySize: number;
        transferSize: number;
      }[];
      const scripts = resources.filter((r) => /\/console\/assets\/.*\.(js|css)$/.test(r.name));
      const detail = resources.find((r) => new URL(r.name).pathname === `/schedules/${id}`);
      // The first of each mark (no named functions in here: tsx's __name helper does not exist in the page).
      const marks: Record<string, number> = {};
      for (const m of performance.getEntriesByType('mark'))
        if (!(m.name in marks)) marks[m.name] = m.startTime;
      return {
        signedInMs: marks['gridshift:signed-in'] ?? Number.NaN,
        detailReceivedMs: marks['gridshift:detail-received'] ?? Number.NaN,
        echartsReadyMs: marks['gridshift:echarts-ready'] ?? Number.NaN,
        setOptionMs: marks['gridshift:heatmap-set-option'] ?? Number.NaN,
        drawnMs: marks['gridshift:heatmap-drawn'] ?? Number.NaN,
        scriptsLoadedMs: Math.max(0, ...scripts.map((r) => r.responseEnd)),
        detailResponseMs: detail?.responseEnd ?? Number.NaN,
        detailBytes: detail?.decodedBodySize ?? Number.NaN,
        detailTransferBytes: detail?.transferSize ?? Number.NaN,
      };
    }, stack.bigScheduleId);
    await page.getByRole('button', { name: /^Cost/ }).click();
    await heatmap.and(page.locator('[data-render-ms]:not([data-render-ms=""])')).waitFor({ timeout: 60_000 });
    const redrawMs = Number(await heatmap.getAttribute('data-render-ms'));
    return { firstLoadMs, heatmapMs, redrawMs, ...timings };
  } finally {
    await context.close();
  }
}

/** The bench's rows from its runs (medians, best, ratios to the same run's reference) and the bundle. */
export function benchRows(
  runs: Run[],
  bundle: ReturnType<typeof bundleSizes>,
  loadPerCore: number,
): BenchRow[] {
  const col = (k: keyof Run) => runs.map((r) => r[k]);
  const ratios = runs.map((r) => r.firstLoadMs / r.referenceMs);
  return [
    {
      metric: 'reference: fresh context loads /health (median)',
      value: round(median(col('referenceMs'))),
      unit: 'ms',
    },
    {
      metric: 'first load: fresh context → heatmap drawn (median)',
      value: round(median(col('firstLoadMs'))),
      unit: 'ms',
    },
    { metric: 'first load (best)', value: round(Math.min(...col('firstLoadMs'))), unit: 'ms' },
    {
      metric: 'first load / reference (median of per-run ratios)',
      value: round(median(ratios), 2),
      unit: 'ratio',
    },
    { metric: 'first load budget', value: CONSOLE_BUDGETS.firstLoadMs, unit: 'ms' },
    {
      metric: 'heatmap drawn: setOption → finished (median)',
      value: round(median(col('heatmapMs'))),
      unit: 'ms',
    },
    {
      metric: 'heatmap / reference (median of per-run ratios)',
      value: round(median(runs.map((r) => r.heatmapMs / r.referenceMs)), 2),
      unit: 'ratio',
    },
    { metric: 'heatmap budget', value: CONSOLE_BUDGETS.heatmapMs, unit: 'ms' },
    { metric: 'heatmap redrawn as cost (median)', value: round(median(col('redrawMs'))), unit: 'ms' },
    {
      metric: 'first load: scripts and styles loaded (median)',
      value: round(median(col('scriptsLoadedMs'))),
      unit: 'ms',
    },
    {
      metric: 'first load: schedule detail answered (median)',
      value: round(median(col('detailResponseMs'))),
      unit: 'ms',
    },
    ...(
      [
        ['key checked, signed in', 'signedInMs'],
        ['detail parsed by the page', 'detailReceivedMs'],
        ['ECharts loaded, chart created', 'echartsReadyMs'],
        ['heatmap setOption', 'setOptionMs'],
        ['heatmap drawn, in-page clock', 'drawnMs'],
      ] as const
    ).map(([what, k]) => ({
      metric: `first load: ${what} (median)`,
      value: round(median(col(k))),
      unit: 'ms',
    })),
    { metric: 'schedule detail body', value: round(median(col('detailBytes')) / 1024, 1), unit: 'KiB' },
    {
      metric: 'schedule detail transferred',
      value: round(median(col('detailTransferBytes')) / 1024, 1),
      unit: 'KiB',
    },
    {
      metric: 'bundle: JS + CSS, gzip level 9, all chunks',
      value: round(bundle.totalGzipBytes / 1024, 1),
      unit: 'KiB',
    },
    {
      metric: 'bundle: first chunk (script + styles index.html runs)',
      value: round(bundle.entryGzipBytes / 1024, 1),
      unit: 'KiB',
    },
    { metric: 'bundle budget', value: CONSOLE_BUDGETS.bundleGzipKiB, unit: 'KiB' },
    { metric: 'runs', value: runs.length, unit: 'count' },
    { metric: 'load average (1 min) per core', value: round(loadPerCore, 2), unit: 'ratio' },
  ];
}

/** The compared build's rows: its first loads and heatmap beside the same references. */
function compareRows(runs: Run[]): BenchRow[] {
  const col = (k: keyof Run) => runs.map((r) => r[k]);
  return [
    {
      metric: 'compared build: first load (median)',
      value: round(median(col('firstLoadMs'))),
      unit: 'ms',
    },
    {
      metric: 'compared build: first load (best)',
      value: round(Math.min(...col('firstLoadMs'))),
      unit: 'ms',
    },
    {
      metric: 'compared build: first load / reference (median of per-run ratios)',
      value: round(median(runs.map((r) => r.firstLoadMs / r.referenceMs)), 2),
      unit: 'ratio',
    },
    {
      metric: 'compared build: heatmap drawn (median)',
      value: round(median(col('heatmapMs'))),
      unit: 'ms',
    },
    {
      metric: 'compared build: schedule detail answered (median)',
      value: round(median(col('detailResponseMs'))),
      unit: 'ms',
    },
  ];
}

/** Copies a compared build next to the current one; returns how to remove it again. */
function installCompared(dir: string): () => void {
  const dist = join(repoRoot, 'apps/console/dist');
  const added: string[] = [];
  for (const f of readdirSync(join(dir, 'assets'))) {
    const target = join(dist, 'assets', f);
    if (existsSync(target)) continue;
    copyFileSync(join(dir, 'assets', f), target);
    added.push(target);
  }
  const page = join(dist, COMPARE_PAGE);
  copyFileSync(join(dir, 'index.html'), page);
  added.push(page);
  return () => {
    for (const f of added) rmSync(f, { force: true });
  };
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    runs: { type: 'string' },
    compare: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean' },
  });
  const runCount = args.runs === undefined ? 5 : Number(args.runs);
  if (!Number.isInteger(runCount) || runCount < 1 || runCount > 50)
    throw new UsageError(`--runs must be an integer 1..50, got ${args.runs}`);
  if (args.compare !== undefined && !existsSync(join(args.compare, 'index.html')))
    throw new UsageError(`--compare ${args.compare}: no index.html there (build that console first)`);
  process.stderr.write('[bench:console] starting the stack (build, demo, 5k × 20 × 24 schedule)…\n');
  const { info: stack, stop } = await startStack();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  // Sizes of this build alone, before a compared build's assets are put beside it.
  const bundle = bundleSizes();
  const removeCompared = args.compare === undefined ? () => undefined : installCompared(args.compare);
  try {
    // Warm the API's cache of the schedule's derived views (computed once per schedule, then kept).
    await fetch(`${stack.base}/schedules/${stack.bigScheduleId}`, {
      headers: { authorization: `Bearer ${stack.adminKey}` },
    });
    // One unmeasured load: the browser's own first-start costs are not the console's.
    await firstLoad(browser, stack);
    if (args.compare !== undefined) await firstLoad(browser, stack, COMPARE_PAGE);
    const runs: Run[] = [];
    const compared: Run[] = [];
    const loads: number[] = [];
    for (let i = 0; i < runCount; i += 1) {
      const referenceMs = await referenceLoad(browser, stack);
      // In turns (which build goes first alternates), each beside the reference of its round.
      const measure = async () => ({ referenceMs, ...(await firstLoad(browser, stack)) });
      const measureCompared = async () => ({
        referenceMs,
        ...(await firstLoad(browser, stack, COMPARE_PAGE)),
      });
      let run: Run;
      if (args.compare === undefined) run = await measure();
      else if (i % 2 === 0) {
        run = await measure();
        compared.push(await measureCompared());
      } else {
        compared.push(await measureCompared());
        run = await measure();
      }
      runs.push(run);
      if (compared.length > 0)
        process.stderr.write(
          `run ${i + 1}: compared build: first load ${round(compared.at(-1)!.firstLoadMs)} ms, heatmap ${round(compared.at(-1)!.heatmapMs)} ms\n`,
        );
      loads.push(loadavg()[0]! / availableParallelism());
      process.stderr.write(
        `run ${i + 1}: reference ${round(referenceMs)} ms, first load ${round(run.firstLoadMs)} ms, heatmap ${round(run.heatmapMs)} ms\n`,
      );
    }
    const rows = [
      ...benchRows(runs, bundle, median(loads)),
      ...(compared.length > 0 ? compareRows(compared) : []),
    ];
    process.stdout.write(
      `\nconsole, 5,000 jobs × 20 clusters × 24 h schedule, localhost, Chromium (${runCount} cold loads)\n`,
    );
    for (const r of rows)
      process.stdout.write(`${r.metric.padEnd(60)} ${String(r.value).padStart(9)} ${r.unit}\n`);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    removeCompared();
    await browser.close();
    await stop();
  }
}

runCli(usage, main);
