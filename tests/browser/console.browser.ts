/**
 * The operator console in Chromium against the real stack (tests/browser/stack.ts): sign in, the heatmap's
 * cells and the price curves' forecast bands on a 5k × 20 × 24 schedule, a dead letter in the overview's alerts,
 * the bundle budget, a pin → re-plan → draft whose diff lists the moved job, a viewer who sees no approve
 * button and whose crafted approve gets 403, the operator's approve → orders on Kafka, a what-if beside the
 * plan in force, axe-core checks, and no Content-Security-Policy violation anywhere. Load and drawing times
 * are a benchmark (`npm run bench:console`), not asserted here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { bundleSizes, CONSOLE_BUDGETS } from '../../scripts/lib/console-budgets.js';
import { kafkajsWithFix, repoRoot, stackInfo } from './stack.js';

const stack = stackInfo();

interface Summary {
  id: string;
  version: number | null;
  status: string;
  kind: string;
  trigger: string;
}
interface Detail extends Summary {
  grid: { slotStarts: string[]; clusters: { clusterId: string; gpus: number[] }[] };
}

async function api<T>(
  path: string,
  key = stack.adminKey,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as T };
}

const cspViolations: string[] = [];

/** Opens the console signed in with `key` (typed into the sign-in form like an operator would). */
async function signIn(page: Page, key: string, name: string) {
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(`${stack.base}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('caller')).toContainText(name);
}

/** axe-core on the current page: no serious or critical violation. */
async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes)`)).toEqual([]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test.describe.configure({ mode: 'serial' });

test('the typed client was generated from the running API’s OpenAPI document', async () => {
  const live: unknown = await (await fetch(`${stack.base}/docs-json`)).json();
  const committed: unknown = JSON.parse(
    readFileSync(join(repoRoot, 'apps/console/src/api/generated/openapi.json'), 'utf8'),
  );
  expect(isDeepStrictEqual(live, committed)).toBe(true);
});

test('the bundle and its entry stay within their gzip budgets; no ECharts in the entry, no inline script', () => {
  // Budgets: scripts/lib/console-budgets.ts (load and drawing times are `npm run bench:console`'s).
  const dir = join(repoRoot, 'apps/console/dist');
  const sizes = bundleSizes(dir);
  console.log(
    `console bundle: ${sizes.files} files, ${(sizes.totalGzipBytes / 1024).toFixed(1)} KiB gzip (budget ${CONSOLE_BUDGETS.bundleGzipKiB.limit} KiB); entry ${sizes.entryFiles.join(', ')}: ${(sizes.entryGzipBytes / 1024).toFixed(1)} KiB (budget ${CONSOLE_BUDGETS.entryGzipKiB.limit} KiB)`,
  );
  expect(sizes.totalGzipBytes).toBeLessThanOrEqual(CONSOLE_BUDGETS.bundleGzipKiB.limit * 1024);
  expect(sizes.entryGzipBytes).toBeLessThanOrEqual(CONSOLE_BUDGETS.entryGzipKiB.limit * 1024);
  // ECharts loads with the first chart that needs it (price curves, after the heatmap), never at entry.
  for (const f of sizes.entryFiles)
    expect(readFileSync(join(dir, 'assets', f), 'utf8')).not.toMatch(/echarts|zrender/i);
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
  expect(index).not.toMatch(/\sstyle=/);
});

test('sign in: the overview shows the plan in force, savings, freshness; a bad key is refused', async ({
  page,
}) => {
  await page.goto(`${stack.base}/console/`);
  await page.getByLabel('API key').fill('gsk_00000000_not-a-real-key-not-a-real-key-not-a-real');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText(/401|key/i);

  await signIn(page, stack.operatorKey, 'ops-browser');
  const inForce = (await api<{ items: Summary[] }>('/schedules?status=published&limit=1')).body.items[0]!;
  await expect(page.getByTestId('in-force-link')).toHaveText(`v${inForce.version}`);
  await expect(page.getByTestId('measured-savings')).toContainText(/not reported yet|realized .* GPU-h/);
  await expect(page.getByRole('table').filter({ hasText: 'Cluster load' })).toContainText('fra-1');
  await expectAccessible(page);
});

test('a saved key the API refuses: a shared link lands on sign-in, says why and forgets the key', async ({
  page,
}) => {
  // The session is decided before the console's first render (apps/console/src/app/restore.ts).
  await page.addInitScript(
    (key) => sessionStorage.setItem('gridshift.console.key', key),
    'gsk_00000000_not-a-real-key-not-a-real-key-not-a-real',
  );
  await page.goto(`${stack.base}/console/#/schedules/${stack.bigScheduleId}`);
  await expect(page.getByRole('status')).toHaveText('The saved key was refused: sign in again.');
  await expect(page.getByLabel('API key')).toBeVisible();
  await expect(page.getByTestId('heatmap')).toHaveCount(0);
  expect(await page.evaluate(() => sessionStorage.getItem('gridshift.console.key'))).toBeNull();
  // Signing in from there opens the page the link named.
  await page.getByLabel('API key').fill(stack.operatorKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('caller')).toContainText('ops-browser');
  await expect(page.getByTestId('heatmap')).toHaveAttribute('data-cells', String(20 * 24));
  await expectAccessible(page);
});

test('the schedule page: heatmap with one cell per cluster and hour, prices, placements with their why', async ({
  page,
}) => {
  const inForce = (await api<{ items: Summary[] }>('/schedules?status=published&limit=1')).body.items[0]!;
  const detail = (await api<Detail>(`/schedules/${inForce.id}`)).body;
  await signIn(page, stack.viewerKey, 'viewer-browser');
  await page.goto(`${stack.base}/console/#/schedules/${inForce.id}`);
  const heatmap = page.getByTestId('heatmap');
  await expect(heatmap).toHaveAttribute('data-render-ms', /\d/);
  // 8 clusters × 24 hours on the demo day, as the API's grid says.
  expect(detail.grid.clusters.length * detail.grid.slotStarts.length).toBe(8 * 24);
  await expect(heatmap).toHaveAttribute('data-cells', String(8 * 24));
  // The tooltip under the pointer names the cell and its value: the first cluster's first hour (the cells
  // start 90 px right of and 10 px below the canvas' corner: features/schedules/heatmap-canvas.ts).
  await heatmap.locator('canvas').scrollIntoViewIfNeeded();
  const canvas = (await heatmap.locator('canvas').boundingBox())!;
  await page.mouse.move(canvas.x + 95, canvas.y + 15);
  const first = detail.grid.clusters[0]!;
  const gpus = (first.gpus[0] ?? 0).toLocaleString('en-US', { maximumFractionDigits: 0 });
  await expect(page.getByTestId('heatmap-tip')).toHaveText(
    `${first.clusterId} ${detail.grid.slotStarts[0]!.slice(11, 16)}: ${gpus} GPUs`,
  );
  await expect(page.getByTestId('price-curves')).toBeVisible();
  await page.getByRole('button', { name: 'Show as table' }).click();
  await expect(
    page.getByRole('table').filter({ hasText: 'GPUs placed per cluster and hour' }).locator('tbody tr'),
  ).toHaveCount(8);
  await page
    .getByRole('button', { name: /^why .* here\?$/ })
    .first()
    .click();
  await expect(page.getByTestId('explanation')).not.toBeEmpty();
  await expect(page.getByRole('button', { name: 'Approve' })).toHaveCount(0); // published, and a viewer
  await expectAccessible(page);
  if (process.env.CONSOLE_SCREENSHOT) {
    await page.getByRole('button', { name: 'Show as table' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('heading', { level: 1 }).scrollIntoViewIfNeeded();
    await page.getByRole('heading', { name: 'Where work goes, hour by hour' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: false });
  }
});

test('5,000 jobs × 20 clusters × 24 h: one heatmap cell per cluster and hour, price curves with forecast bands', async ({
  page,
}) => {
  // Timings of this page are a benchmark (`npm run bench:console`), not asserted here.
  const prices = (
    await api<{ zones: { zone: string; p10: (number | null)[]; p90: (number | null)[] }[] }>(
      `/schedules/${stack.bigScheduleId}/prices`,
    )
  ).body;
  // The fixture: 8 zones, day-ahead for 16 hours then gridshift's forecast (p10/p50/p90) for the last 8.
  const banded = prices.zones.map((z) => z.p10.filter((p, t) => p !== null && z.p90[t] !== null).length);
  expect(banded).toEqual(new Array(8).fill(8));
  await page.addInitScript((key) => sessionStorage.setItem('gridshift.console.key', key), stack.operatorKey);
  await page.goto(`${stack.base}/console/#/schedules/${stack.bigScheduleId}`);
  const heatmap = page.getByTestId('heatmap');
  await expect(heatmap).toHaveAttribute('data-render-ms', /\d/);
  await expect(heatmap).toHaveAttribute('data-cells', String(20 * 24));
  // Switching the metric redraws every cell.
  await page.getByRole('button', { name: /^Cost/ }).click();
  await expect(heatmap).toHaveAttribute('data-render-ms', /\d/);
  await expect(heatmap).toHaveAttribute('data-cells', String(20 * 24));
  const curves = page.getByTestId('price-curves');
  await expect(curves).toHaveAttribute('data-band-zones', '8');
  await expect(curves).toHaveAttribute('data-band-slots', String(8 * 8));
  await expect(page.getByTestId('price-forecast-note')).toContainText('p10–p90 band');
  await expect(page.getByTestId('price-forecast-note')).toContainText('Z0 from 2023-03-15 16:00');
  await expectAccessible(page);
});

test('a bad message on the prices topic shows up in the overview’s alerts as a dead letter', async ({
  page,
}) => {
  const { Kafka, logLevel } = await kafkajsWithFix();
  const kafka = new Kafka({
    brokers: stack.brokers.split(','),
    clientId: 'console-browser-poison',
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  const key = `browser-poison-${Date.now()}`;
  try {
    await producer.send({
      topic: `${stack.topicPrefix}gridshift.prices.v1`,
      messages: [{ key, value: '{"zone": "DE-LU", not json', headers: { 'message-id': key } }],
    });
  } finally {
    await producer.disconnect();
  }
  // The ingest dead-letters it (MALFORMED_JSON) and records it for the admin API.
  await waitFor('the dead letter in the admin API', async () => {
    const report = (
      await api<{ items: { key: string | null; code: string }[] }>('/dead-letters?windowMinutes=60&limit=50')
    ).body;
    return report.items.find((d) => d.key === key);
  });
  await signIn(page, stack.viewerKey, 'viewer-browser');
  await expect(page.getByTestId('alerts')).toContainText(
    /dead letter\(s\) in the last 24 h: .*gridshift\.prices\.v1 MALFORMED_JSON/,
  );
  const row = page.getByTestId('dead-letters').locator('tr', { hasText: key });
  await expect(row).toContainText('MALFORMED_JSON');
  // Unacknowledged orders are served fleet-wide too (the demo's data centers acknowledge theirs).
  const unacked = await api<{ count: number; timeoutSeconds: number }>('/deliveries/unacknowledged');
  expect(unacked.status).toBe(200);
  expect(unacked.body.timeoutSeconds).toBeGreaterThan(0);
  await expectAccessible(page);
});

test('pin → re-plan → a draft: the diff lists the moved job; a viewer cannot approve; the operator’s approve sends orders to Kafka', async ({
  page,
  browser,
}) => {
  const before = (await api<{ items: Summary[] }>('/schedules?status=published&limit=1')).body.items[0]!;
  await signIn(page, stack.operatorKey, 'ops-browser');
  await page.goto(`${stack.base}/console/#/jobs`);
  await page.getByRole('button', { name: 'Pins of chat-eu' }).click();
  const form = page.getByRole('form', { name: 'pins of chat-eu' });
  await form.getByLabel('override').selectOption('forbid');
  await form.getByLabel('cluster').fill('fra-1');
  await form.getByLabel('reason').fill('browser test: fra-1 maintenance');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status')).toContainText('forbid fra-1 for chat-eu; re-plan requested');

  const draft = await waitFor('the re-planned draft', async () => {
    const drafts = (await api<{ items: Summary[] }>('/schedules?status=draft&kind=plan&limit=5')).body.items;
    // The override's own re-plan (the demo's data centers and grid event can cause other drafts meanwhile).
    return drafts.find((d) => d.trigger === 'override' && (d.version ?? 0) > (before.version ?? 0));
  });

  // The diff page lists chat-eu: it left fra-1.
  await page.goto(`${stack.base}/console/#/schedules/${draft.id}/diff`);
  const moved = page.getByTestId('diff-jobs').locator('tr', { hasText: 'chat-eu' });
  await expect(moved).toContainText('fra-1');
  await expectAccessible(page);

  // A viewer sees the draft but no decision buttons; a crafted approve with the viewer's key gets 403.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, stack.viewerKey, 'viewer-browser');
  await viewer.goto(`${stack.base}/console/#/schedules/${draft.id}`);
  await expect(viewer.getByTestId('schedule-status')).toHaveText('draft');
  await expect(viewer.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: 'Reject' })).toHaveCount(0);
  const crafted = await viewer.evaluate(
    async ([id, key]) => {
      const res = await fetch(`/schedules/${id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      return res.status;
    },
    [draft.id, stack.viewerKey] as const,
  );
  expect(crafted).toBe(403);
  await viewerContext.close();

  // The operator approves; the planner's relay publishes one order per cluster with the draft's version.
  const { Kafka, logLevel } = await kafkajsWithFix();
  const kafka = new Kafka({
    brokers: stack.brokers.split(','),
    clientId: 'console-browser-test',
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `console-browser-${Date.now()}` });
  const versions: { cluster: string; version: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: `${stack.topicPrefix}gridshift.placements.v1`, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const order = JSON.parse(message.value?.toString() ?? '{}') as {
        scheduleVersion: number;
        clusterId: string;
      };
      versions.push({ cluster: order.clusterId, version: order.scheduleVersion });
      return Promise.resolve();
    },
  });
  try {
    await page.goto(`${stack.base}/console/#/schedules/${draft.id}`);
    await page.getByLabel(/^Reason/).fill('browser test: checked the diff');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByTestId('schedule-status')).toHaveText(/approved|published/);
    const orders = await waitFor('orders of the approved version on Kafka', () =>
      Promise.resolve(
        versions.some((v) => v.version === draft.version)
          ? versions.filter((v) => v.version === draft.version)
          : undefined,
      ),
    );
    expect(orders.length).toBeGreaterThan(0);
    const audit = (
      await api<{ items: { action: string; targetId: string; actor: string }[] }>(
        `/audit-log?targetId=${draft.id}`,
      )
    ).body;
    expect(audit.items.find((a) => a.action === 'schedule.approve')?.actor).toMatch(/^ops-browser /);
  } finally {
    await consumer.disconnect();
  }
});

test('what-if: a price scenario planned and shown beside the plan in force', async ({ page }) => {
  await signIn(page, stack.operatorKey, 'ops-browser');
  await page.goto(`${stack.base}/console/#/what-if`);
  await page.getByLabel('price multiplier DE-LU').fill('4');
  await page.getByLabel('price multiplier NL').fill('4');
  await page.getByLabel('Reason').fill('browser test: EU price spike');
  await page.getByRole('button', { name: 'Plan the what-if' }).click();
  const comparison = page.getByTestId('what-if-comparison');
  await expect(comparison).toBeVisible({ timeout: 60_000 });
  await expect(comparison.getByRole('heading', { name: /^In force v\d+/ })).toBeVisible();
  await expect(page.getByTestId('what-if-diff')).toContainText(/\d+ jobs change/);
  await expectAccessible(page);
});

test('audit log and schedule list render; no CSP violation was reported on any page', async ({ page }) => {
  await signIn(page, stack.viewerKey, 'viewer-browser');
  await page.goto(`${stack.base}/console/#/audit`);
  await expect(page.getByTestId('audit')).toContainText('job.create');
  await page.getByLabel('action').fill('schedule.approve');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('audit').locator('tbody tr').first()).toContainText('ops-browser');
  await expectAccessible(page);
  await page.goto(`${stack.base}/console/#/schedules?status=what-if`);
  await expect(page.getByTestId('schedule-list').locator('tbody tr').first()).toContainText('what-if');
  await expectAccessible(page);
  expect(cspViolations).toEqual([]);
});
