// bench:api — latency of the admin API's schedule routes at a fixed request rate, on loopback, against a
// schedule of 5k jobs × 20 clusters × 24 hourly slots (and a second one to diff against) in PostgreSQL.
//   npm run bench:api [-- --rate 200] [--duration 15] [--jobs 5000] [--clusters 20] [--slots 24] [--json FILE]
//
// Two load shapes per route:
//   paced  — an open-loop generator sends one request every 1000/rate ms (evenly spaced, as independent
//            operators and dashboards would) and measures latency from the *scheduled* send time, so a
//            server that falls behind cannot hide its queue (no coordinated omission).
//   burst  — autocannon with --overallRate: each of its connections sends its per-second quota back to
//            back at the start of every second, so all `rate` requests of a second arrive at once.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { analyzeSchema, createDataSource, dropSchema, migrate } from '#gridshift/persistence';
import {
  buildSchedule,
  insertSchedule,
  movedCopy,
} from '../apps/admin-api/test-support/schedule-fixtures.js';
import { startNode, waitForHttp } from '../tests/support/processes.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { ensureServices } from './lib/services.js';

const usage = `usage: npm run bench:api -- [--rate N] [--duration S] [--connections N] [--jobs N] [--clusters N] [--slots N] [--json FILE]
  --rate N         requests per second offered to each route          (default: 200)
  --duration S     seconds per route                                  (default: 15)
  --connections N  autocannon connections for the burst runs           (default: 10)
  --jobs N --clusters N --slots N   size of the benchmark schedule    (default: 5000 × 20 × 24)
  --json FILE      also write rows {route, rps, p50Ms, p99Ms, ...} as JSON
  --keep           keep the benchmark schema (for EXPLAIN) instead of dropping it`;

interface AutocannonResult {
  latency: { p50: number; p99: number; max: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (options: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  overallRate: number;
  duration: number;
}) => Promise<AutocannonResult>;
// autocannon ships no types; this is the one call used.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Row {
  route: string;
  mode: 'paced' | 'burst';
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  targetRps: number;
}

/** p-th percentile (0–100) of sorted values, nearest rank. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Open-loop load: request i is due at start + i × (1000 / rate) ms and its latency runs from that due time
 * to the end of the response, whether or not the generator could send it on time.
 */
async function pacedLoad(
  url: string,
  headers: Record<string, string>,
  rate: number,
  durationS: number,
): Promise<{ latenciesMs: number[]; non2xx: number; errors: number; seconds: number }> {
  // Idle sockets are dropped before the server's 5 s keep-alive timeout, so a reused socket is never a closed one.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
  const target = new URL(url);
  const intervalMs = 1000 / rate;
  const total = Math.round(rate * durationS);
  const latenciesMs: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const one = (dueMs: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          headers,
          agent,
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => {
            latenciesMs.push(performance.now() - dueMs);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end();
    });
  for (let i = 0; i < total; i += 1) {
    const dueMs = start + i * intervalMs;
    const waitMs = dueMs - performance.now();
    if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
    inFlight.push(one(dueMs));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latenciesMs.sort((a, b) => a - b);
  return { latenciesMs, non2xx, errors, seconds };
}

const positive = (flag: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  return n;
};

async function main(): Promise<void> {
  const args = parseCli(usage, {
    rate: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    jobs: { type: 'string' },
    clusters: { type: 'string' },
    slots: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const rate = positive('--rate', args.rate, 200);
  const duration = positive('--duration', args.duration, 15);
  const connections = positive('--connections', args.connections, 10);
  const size = {
    jobs: positive('--jobs', args.jobs, 5000),
    clusters: positive('--clusters', args.clusters, 20),
    slots: positive('--slots', args.slots, 24),
  };
  const { databaseUrl, brokers } = ensureServices({ quiet: true });
  const schema = `bench_api_${randomBytes(4).toString('hex')}`;
  const db = createDataSource({ url: databaseUrl, schema, poolMax: 4 });
  await db.initialize();
  await migrate(db);
  const port = 23199;
  const adminKey = `bench-${randomBytes(24).toString('hex')}`;
  let app: ReturnType<typeof startNode> | undefined;
  try {
    process.stderr.write(
      `seeding ${size.jobs} jobs × ${size.clusters} clusters × ${size.slots} slots into ${schema}…\n`,
    );
    const seedStarted = performance.now();
    const horizonStart = '2024-03-02T00:00:00.000Z';
    const published = buildSchedule({
      seed: 1,
      ...size,
      horizonStart,
      status: 'published',
      version: 1,
      publishedAt: horizonStart,
    });
    const draft = movedCopy(published, {
      seed: 2,
      share: 0.1,
      version: 2,
      status: 'draft',
      horizonShiftSlots: 1,
    });
    await insertSchedule(db, published);
    await insertSchedule(db, draft);
    // History for the list: 300 small schedules around the big ones.
    for (let i = 0; i < 300; i += 1) {
      await insertSchedule(
        db,
        buildSchedule({
          seed: 100 + i,
          jobs: 2,
          clusters: 2,
          slots: 2,
          horizonStart,
          status: i % 3 === 0 ? 'rejected' : 'superseded',
          version: null,
          createdAt: new Date(Date.parse(horizonStart) - (i + 1) * 3_600_000).toISOString(),
        }),
      );
    }
    await analyzeSchema(db);
    const placements = published.placements.length + draft.placements.length;
    process.stderr.write(
      `seeded ${placements} placements in ${Math.round(performance.now() - seedStarted)} ms\n`,
    );

    app = startNode('dist/apps/admin-api/src/main.js', {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: `${schema}.`,
      PORT: String(port),
      ADMIN_BOOTSTRAP_KEY: adminKey,
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health`, 60_000);
    const headers = { authorization: `Bearer ${adminKey}` };

    // The first detail/diff request of a schedule computes its cached view; measure it once.
    const timed = async (path: string) => {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { headers });
      const bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`${path} → ${res.status}`);
      return { ms: performance.now() - started, bytes };
    };
    const coldDetail = await timed(`/schedules/${draft.id}`);
    const coldDiff = await timed(`/schedules/${draft.id}/diff?limit=100`);
    const warmDetail = await timed(`/schedules/${draft.id}`);
    process.stderr.write(
      `cold detail ${Math.round(coldDetail.ms)} ms (${Math.round(coldDetail.bytes / 1024)} KiB), cold diff ${Math.round(coldDiff.ms)} ms, warm detail ${warmDetail.ms.toFixed(1)} ms\n`,
    );

    const routes: [string, string][] = [
      // A floor for this machine: no key, no database, a few bytes.
      ['GET /health (floor: no auth, no database)', '/health'],
      ['GET /schedules/{id} (detail, 5k×20×24)', `/schedules/${draft.id}`],
      ['GET /schedules?limit=50 (list)', '/schedules?limit=50'],
      ['GET /schedules?status=draft,published&limit=50', '/schedules?status=draft,published&limit=50'],
      ['GET /schedules/{id}/diff?limit=100', `/schedules/${draft.id}/diff?limit=100`],
      ['GET /schedules/{id}/placements?limit=200', `/schedules/${draft.id}/placements?limit=200`],
    ];
    const rows: Row[] = [];
    const round1 = (ms: number) => Math.round(ms * 10) / 10;
    for (const [route, path] of routes) {
      const paced = await pacedLoad(`${base}${path}`, headers, rate, duration);
      rows.push({
        route,
        mode: 'paced',
        rps: Math.round(paced.latenciesMs.length / paced.seconds),
        p50Ms: round1(percentile(paced.latenciesMs, 50)),
        p99Ms: round1(percentile(paced.latenciesMs, 99)),
        maxMs: round1(paced.latenciesMs.at(-1) ?? Number.NaN),
        requests: paced.latenciesMs.length,
        non2xx: paced.non2xx,
        errors: paced.errors,
        targetRps: rate,
      });
      const burst = await autocannon({
        url: `${base}${path}`,
        headers,
        connections,
        overallRate: rate,
        duration,
      });
      rows.push({
        route,
        mode: 'burst',
        rps: Math.round(burst.requests.average),
        p50Ms: burst.latency.p50,
        p99Ms: burst.latency.p99,
        maxMs: burst.latency.max,
        requests: burst.requests.total,
        non2xx: burst.non2xx,
        errors: burst.errors + burst.timeouts,
        targetRps: rate,
      });
      for (const row of rows.slice(-2)) {
        process.stderr.write(
          `${route} [${row.mode}]: ${row.rps} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, non-2xx ${row.non2xx}\n`,
        );
      }
    }
    process.stdout.write(
      `\nadmin API at ${rate} req/s offered (paced: evenly spaced, open loop; burst: autocannon, ${connections} connections), ${duration} s per route and mode (${placements} placements stored)\n`,
    );
    process.stdout.write(
      `${'route'.padEnd(50)} ${'mode'.padEnd(6)} ${'req/s'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} non-2xx\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.route.padEnd(50)} ${r.mode.padEnd(6)} ${String(r.rps).padStart(6)} ${String(r.p50Ms).padStart(7)} ${String(r.p99Ms).padStart(7)} ${String(r.maxMs).padStart(7)} ${r.non2xx}\n`,
      );
    }
    process.stdout.write(
      `cold detail (first request, computes the cached view): ${Math.round(coldDetail.ms)} ms; cold diff: ${Math.round(coldDiff.ms)} ms\n`,
    );
    if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
    if (rows.some((r) => r.non2xx > 0 || r.errors > 0))
      throw new Error('some requests failed (see non-2xx / errors)');
  } finally {
    await app?.stop('SIGTERM');
    if (args.keep)
      process.stderr.write(`kept schema ${schema} (drop it with: drop schema "${schema}" cascade)\n`);
    else await dropSchema(db);
    await db.destroy();
  }
}

runCli(usage, main);
