/**
 * The real stack the browser tests drive: `npm run demo` (Kafka, PostgreSQL, ingest, planner, admin API
 * serving the console, the capacity-binds scenario planned and published) on its own schema, topic prefix
 * and ports, with manual approval so re-plans wait as drafts. Adds a 5,000 jobs × 20 clusters × 24 h what-if
 * schedule (the heatmap's size budget) and a viewer and an operator key. Everything is removed at the end.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FullConfig } from '@playwright/test';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** What the tests read from process.env (Playwright passes globalSetup's env to the workers). */
export interface StackInfo {
  base: string;
  adminKey: string;
  operatorKey: string;
  viewerKey: string;
  brokers: string;
  topicPrefix: string;
  bigScheduleId: string;
}

const ENV = 'GRIDSHIFT_BROWSER_STACK';

export function stackInfo(): StackInfo {
  const raw = process.env[ENV];
  if (!raw) throw new Error(`${ENV} is not set: run the browser tests through playwright.config.ts`);
  return JSON.parse(raw) as StackInfo;
}

async function importDist<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(repoRoot, 'dist', path)).href)) as T;
}

function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo did not get ready in ${timeoutMs} ms:\n${output().slice(-4000)}`)),
      timeoutMs,
    );
    const check = () => {
      if (pattern.test(output())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before it was ready:\n${output().slice(-4000)}`));
    });
  });
}

async function call<T>(base: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Playwright's global setup: starts the stack, hands its coordinates to the workers, returns the teardown. */
/**
 * kafkajs for the browser tests' own clients, with libs/messaging's request-queue fix installed first (as every
 * gridshift process has it: no 1 ms timer loop per connection, no TimeoutNegativeWarning on teardown).
 */
export async function kafkajsWithFix(): Promise<typeof import('kafkajs')> {
  const messaging = await importDist<typeof import('../../libs/messaging/src/index.js')>(
    'libs/messaging/src/index.js',
  );
  messaging.installRequestQueueFix();
  return import('kafkajs');
}

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const { info, stop } = await startStack();
  process.env[ENV] = JSON.stringify(info);
  return stop;
}

/**
 * Builds, starts the demo stack on its own schema, topic prefix and ports, adds the keys and the 5k × 20 × 24
 * schedule; `stop` removes everything (also used by `npm run bench:console`).
 */
export async function startStack(): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  const node = process.execPath;
  execFileSync(node, ['scripts/build.mjs'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('bash', ['scripts/console-build.sh', '--force'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  const services =
    await importDist<typeof import('../../scripts/lib/services.js')>('scripts/lib/services.js');
  const { databaseUrl, brokers } = services.ensureServices({
    database: 'gridshift_test',
    ignoreDatabaseUrl: true,
    quiet: true,
  });
  const suffix = randomBytes(4).toString('hex');
  const schema = `t_console_${suffix}`;
  const topicPrefix = `t-console-${suffix}.`;
  const portBase = 24000 + (parseInt(suffix.slice(0, 4), 16) % 200) * 5;

  const demo = spawn(
    node,
    [
      'dist/scripts/demo.js',
      '--schema',
      schema,
      '--topic-prefix',
      topicPrefix,
      '--port-base',
      String(portBase),
      '--approval',
      'manual',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers.join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  demo.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const persistence = await importDist<typeof import('../../libs/persistence/src/index.js')>(
    'libs/persistence/src/index.js',
  );
  const stop = async () => {
    if (demo.exitCode === null && demo.signalCode === null) {
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      demo.kill('SIGINT');
      const timer = setTimeout(() => demo.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    const db = persistence.createDataSource({ url: databaseUrl, schema: 'public', poolMax: 1 });
    await db.initialize();
    await db.query(`drop schema if exists "${schema}" cascade`);
    await db.destroy();
    const { Kafka, logLevel } = await kafkajsWithFix();
    const admin = new Kafka({
      brokers,
      clientId: `console-teardown-${suffix}`,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  };
  try {
    await waitForLine(demo, /Ctrl-C stops everything/, 240_000, () => output);
    const adminKey = /API key\s+(\S+)/.exec(output)?.[1];
    if (!adminKey) throw new Error(`no API key in the demo's output:\n${output.slice(-2000)}`);
    const base = `http://127.0.0.1:${portBase}`;
    const operatorKey = (
      await call<{ key: string }>(base, adminKey, 'POST', '/api-keys', {
        name: 'ops-browser',
        role: 'operator',
      })
    ).key;
    const viewerKey = (
      await call<{ key: string }>(base, adminKey, 'POST', '/api-keys', {
        name: 'viewer-browser',
        role: 'viewer',
      })
    ).key;

    // The size budget's schedule: 5,000 jobs × 20 clusters × 24 slots (~136k placements), a what-if so the
    // planner and relay never act on it.
    const fixtures = await importDist<
      typeof import('../../apps/admin-api/test-support/schedule-fixtures.js')
    >('apps/admin-api/test-support/schedule-fixtures.js');
    const big = fixtures.buildSchedule({
      seed: 5,
      jobs: 5000,
      clusters: 20,
      slots: 24,
      horizonStart: '2023-03-15T00:00:00.000Z',
      kind: 'what-if',
      status: 'what-if',
      version: null,
      // Day-ahead prices for the first 16 hours, gridshift's forecast (with its bands) for the last 8.
      forecastFromSlot: 16,
    });
    const db = persistence.createDataSource({ url: databaseUrl, schema, poolMax: 2 });
    await db.initialize();
    await fixtures.insertSchedule(db, big);
    await db.destroy();

    const info: StackInfo = {
      base,
      adminKey,
      operatorKey,
      viewerKey,
      brokers: brokers.join(','),
      topicPrefix,
      bigScheduleId: big.id,
    };
    return { info, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
