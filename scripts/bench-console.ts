// bench:console — the operator console's first load and heatmap drawing in Chromium, against the real stack
// (tests/browser/stack.ts: the demo plus a 5,000 jobs × 20 clusters × 24 h schedule), each beside a reference
// measured in the same run, plus the bundle's size against its budget.
//   npm run bench:console [-- --runs 5] [--json FILE]
//
// Per run, serially: the reference (a fresh browser context loading `/health`: browser, loopback and server
// costs with no console in them), then a first load (a fresh context — empty cache — signed in through this
// tab's sessionStorage, as when an operator opens a shared link: from `page.goto` until the heatmap has drawn
// all its cells and says how long drawing took), then a redraw of the heatmap as cost. The page's own marks
// and resource timings say where the first load's time went.
//
// "Drawn" is watched in the page on every animation frame (`waitForFunction`, polling 'raf'). Playwright's
// `locator.waitFor` polls from Node at 20, 50, 100, 100, then every 500 ms: it saw a heatmap drawn at 1.1 s
// only at the next poll, up to 0.5 s later, and added that to every first load measured before this change.
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from '@playwright/test';
import { repoRoot, type StackInfo, startStack } from '../tests/browser/stack.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { bundleSizes, CONSOLE_BUDGETS } from './lib/console-budgets.js';

const usage = `usage: npm run bench:console -- [--runs N] [--compare DIR] [--json FILE] [--screenshot FILE]
  --runs N       cold loads measured, each beside its reference (default: 5)
  --compare DIR  another build of the console (e.g. of an earlier commit: its index.html and assets/), loaded
                 in turns with this one in the same run (rows prefixed "compared build:")
  --json FILE    also write rows {metric, value, unit} as JSON
  --screenshot FILE  after the runs, a PNG of the top of that schedule's page (1280 × 900) —
                 README's picture, docs/img/console-schedule.png`;

/** Where a compared build's index.html is served during the run (its assets go beside the current ones). */
const COMPARE_PAGE = 'compare-build.html';

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
  /** The script or style of the first view that arrived last: its file, when it was asked for. */
  lastScript: string;
  lastScriptStartMs: number;
  signedInMs: number;
  detailReceivedMs: number;
  setOptionMs: number;
  drawnMs: number;
  detailResponseMs: number;
  detailBytes: number;
  detailTransferBytes: number;
  /**
   * The page's main-thread time from navigation until the heatmap was seen drawn (Chromium's Performance
   * domain: all tasks, and the script part of them) — CPU work, which a busy machine stretches but does not add.
   */
  mainThreadMs: number;
  scriptMs: number;
}

/** The numeric fields of a run (what medians are taken of). */
type NumberOfRun = { [K in keyof Run]: Run[K] extends number ? K : never }[keyof Run];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Waits, checking on every animation frame in the page, until the heatmap says it has drawn. */
async function heatmapDrawn(page: Page, timeoutMs: number): Promise<void> {
  // The root tsconfig has no DOM types (the page's document is spelled out); no string either: the console's
  // CSP forbids eval.
  type PageDocument = {
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
  await page.waitForFunction(
    () =>
      ((globalThis as unknown as { document: PageDocument }).document
        .querySelector('[data-testid="heatmap"]')
        ?.getAttribute('data-render-ms') ?? '') !== '',
    undefined,
    { polling: 'raf', timeout: timeoutMs },
  );
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
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const heatmap = page.getByTestId('heatmap');
    const started = performance.now();
    await page.goto(`${stack.base}/console/${page0}#/schedules/${stack.bigScheduleId}`);
    await heatmapDrawn(page, 120_000);
    const firstLoadMs = performance.now() - started;
    const { metrics } = await cdp.send('Performance.getMetrics');
    const seconds = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
    const mainThreadMs = seconds('TaskDuration') * 1000;
    const scriptMs = seconds('ScriptDuration') * 1000;
    const heatmapMs = Number(await heatmap.getAttribute('data-render-ms'));
    const cells = Number(await heatmap.getAttribute('data-cells'));
    if (cells !== 20 * 24) throw new Error(`the heatmap drew ${cells} cells, expected ${20 * 24}`);
    const timings = await page.evaluate((id) => {
      // Resource timings (the root tsconfig has no DOM types: the fields read are spelled out).
      const resources = performance.getEntriesByType('resource') as unknown as {
        name: string;
        startTime: number;
        responseEnd: number;
        decodedBodySize: number;
        transferSize: number;
      }[];

      const detail = resources.find((r) => new URL(r.name).pathname === `/schedules/${id}`);
      // The first of each mark (no named functions in here: tsx's __name helper does not exist in the page).
      const marks: Record<string, number> = {};
      for (const m of performance.getEntriesByType('mark'))
        if (!(m.name in marks)) marks[m.name] = m.startTime;
      // The scripts and styles the first view waited for (ECharts, for the price curves, comes after it).
      const drawnAt = marks['gridshift:heatmap-drawn'] ?? Number.POSITIVE_INFINITY;
      const scripts = resources.filter(
        (r) => /\/console\/assets\/.*\.(js|css)$/.test(r.name) && r.startTime < drawnAt,
      );
      const last = scripts.reduce<(typeof scripts)[number] | undefined>(
        (a, r) => (a === undefined || r.responseEnd > a.responseEnd ? r : a),
        undefined,
      );
      return {
        signedInMs: marks['gridshift:signed-in'] ?? Number.NaN,
        detailReceivedMs: marks['gridshift:detail-received'] ?? Number.NaN,
        setOptionMs: marks['gridshift:heatmap-set-option'] ?? Number.NaN,
        drawnMs: marks['gridshift:heatmap-drawn'] ?? Number.NaN,
        scriptsLoadedMs: Math.max(0, ...scripts.map((r) => r.responseEnd)),
        lastScript: last?.name.replace(/^.*\//, '') ?? '',
        lastScriptStartMs: last?.startTime ?? Number.NaN,
        detailResponseMs: detail?.responseEnd ?? Number.NaN,
        detailBytes: detail?.decodedBodySize ?? Number.NaN,
        detailTransferBytes: detail?.transferSize ?? Number.NaN,
      };
    }, stack.bigScheduleId);
    await page.getByRole('button', { name: /^Cost/ }).click();
    await heatmapDrawn(page, 60_000);
    const redrawMs = Number(await heatmap.getAttribute('data-render-ms'));
    return { firstLoadMs, heatmapMs, redrawMs, mainThreadMs, scriptMs, ...timings };
  } finally {
    await context.close();
  }
}

/** Where a first load's time went (medians, ms since navigation), each row's name prefixed. */
function timelineRows(runs: Run[], prefix: string): BenchRow[] {
  const col = (k: NumberOfRun) => runs.map((r) => r[k]);
  return (
    [
      ['scripts and styles of the first view loaded', 'scriptsLoadedMs'],
      ['schedule detail answered', 'detailResponseMs'],
      ['key checked, signed in', 'signedInMs'],
      ['detail parsed by the page', 'detailReceivedMs'],
      ['heatmap painting starts', 'setOptionMs'],
      ['heatmap drawn, in-page clock', 'drawnMs'],
      ['main thread busy until drawn', 'mainThreadMs'],
      ['of which scripts', 'scriptMs'],
    ] as const
  )
    .map(([what, k]): BenchRow => ({
      metric: `${prefix}${what} (median)`,
      value: round(median(col(k))),
      unit: 'ms',
    }))
    .concat({
      // The page's own latency, per load: from the moment its scripts and the detail had both arrived until
      // the heatmap was drawn (what the page does with them, less sensitive to how slow the network side was).
      metric: `${prefix}scripts and detail arrived → drawn (median)`,
      value: round(median(runs.map((r) => r.drawnMs - Math.max(r.scriptsLoadedMs, r.detailResponseMs)))),
      unit: 'ms',
    });
}

/** One load's marks, for the progress lines (ms since navigation). */
const timeline = (r: Run) =>
  `scripts ${round(r.scriptsLoadedMs)} (last ${r.lastScript}, asked at ${round(r.lastScriptStartMs)}), detail ${round(r.detailResponseMs)}, signed in ${round(r.signedInMs)}, ` +
  `parsed ${round(r.detailReceivedMs)}, painting ${round(r.setOptionMs)}, drawn ${round(r.drawnMs)}, ` +
  `main thread ${round(r.mainThreadMs)} (scripts ${round(r.scriptMs)})`;

/** The bench's rows from its runs (medians, best, ratios to the same run's reference) and the bundle. */
export function benchRows(
  runs: Run[],
  bundle: ReturnType<typeof bundleSizes>,
  loadPerCore: number,
): BenchRow[] {
  const col = (k: NumberOfRun) => runs.map((r) => r[k]);
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
    { metric: 'first load budget', value: CONSOLE_BUDGETS.firstLoadMs.limit, unit: 'ms' },
    {
      metric: 'heatmap drawn: data → frame drawn (median)',
      value: round(median(col('heatmapMs'))),
      unit: 'ms',
    },
    {
      metric: 'heatmap / reference (median of per-run ratios)',
      value: round(median(runs.map((r) => r.heatmapMs / r.referenceMs)), 2),
      unit: 'ratio',
    },
    { metric: 'heatmap budget', value: CONSOLE_BUDGETS.heatmapMs.limit, unit: 'ms' },
    { metric: 'heatmap redrawn as cost (median)', value: round(median(col('redrawMs'))), unit: 'ms' },
    ...timelineRows(runs, 'first load: '),
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
    { metric: 'bundle budget', value: CONSOLE_BUDGETS.bundleGzipKiB.limit, unit: 'KiB' },
    {
      metric: 'bundle: entry (what index.html loads before any page)',
      value: round(bundle.entryGzipBytes / 1024, 1),
      unit: 'KiB',
    },
    { metric: 'entry budget', value: CONSOLE_BUDGETS.entryGzipKiB.limit, unit: 'KiB' },
    { metric: 'runs', value: runs.length, unit: 'count' },
    { metric: 'load average (1 min) per core', value: round(loadPerCore, 2), unit: 'ratio' },
  ];
}

/**
 * The compared build's rows: its first loads and heatmap beside the same references, and this build's
 * first loads against it pair by pair (the two loads of a round ran one after the other, under the same load).
 */
function compareRows(runs: Run[], current: Run[]): BenchRow[] {
  const col = (k: NumberOfRun) => runs.map((r) => r[k]);
  const pairs = current.map((r, i) => r.firstLoadMs / runs[i]!.firstLoadMs);
  return [
    {
      metric: 'this build / compared build, first load (median of per-pair ratios)',
      value: round(median(pairs), 2),
      unit: 'ratio',
    },
    {
      metric: 'pairs where this build loaded faster',
      value: pairs.filter((p) => p < 1).length,
      unit: 'count',
    },
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
    ...timelineRows(runs, 'compared build: '),
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

/** README's picture: the top of the 5k schedule's page as an operator sees it (summary, savings, heatmap). */
async function screenshot(browser: Browser, stack: StackInfo, file: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(
      (key) => sessionStorage.setItem('gridshift.console.key', key),
      stack.operatorKey,
    );
    await page.goto(`${stack.base}/console/#/schedules/${stack.bigScheduleId}`);
    await heatmapDrawn(page, 120_000);
    await page.waitForTimeout(1000); // the price curves below load after the heatmap
    await page.screenshot({ path: file });
    process.stderr.write(`[bench:console] screenshot written to ${file}\n`);
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    runs: { type: 'string' },
    compare: { type: 'string' },
    json: { type: 'string' },
    screenshot: { type: 'string' },
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
  const bundle = bundleSizes(join(repoRoot, 'apps/console/dist'));
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
          `run ${i + 1}: compared build: first load ${round(compared.at(-1)!.firstLoadMs)} ms, heatmap ${round(compared.at(-1)!.heatmapMs)} ms; ${timeline(compared.at(-1)!)}\n`,
        );
      loads.push(loadavg()[0]! / availableParallelism());
      process.stderr.write(
        `run ${i + 1}: reference ${round(referenceMs)} ms, first load ${round(run.firstLoadMs)} ms, heatmap ${round(run.heatmapMs)} ms; ${timeline(run)}\n`,
      );
    }
    const rows = [
      ...benchRows(runs, bundle, median(loads)),
      ...(compared.length > 0 ? compareRows(compared, runs) : []),
    ];
    process.stdout.write(
      `\nconsole, 5,000 jobs × 20 clusters × 24 h schedule, localhost, Chromium (${runCount} cold loads)\n`,
    );
    for (const r of rows)
      process.stdout.write(`${r.metric.padEnd(60)} ${String(r.value).padStart(9)} ${r.unit}\n`);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
    if (args.screenshot) await screenshot(browser, stack, args.screenshot);
  } finally {
    removeCompared();
    await browser.close();
    await stop();
  }
}

runCli(usage, main);
