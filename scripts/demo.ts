// The main job: the whole gridshift pipeline on real sample data.
//   npm run demo [-- --once] [--date 2023-03-15]
// Brings up Kafka and PostgreSQL, starts ingest, planner and admin-api, registers a fleet and jobs (by default
// the capacity-binds scenario, data/scenarios/capacity-binds/) through the admin API, replays a day of real
// prices and cluster load through Kafka, lets the planner plan and publish, consumes the placement orders like
// a data center would, and prints a summary: the optimum beside the home and greedy baselines.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  decodePlacementOrder,
  TOPICS,
  type GridEventMessageV1,
  type PlacementOrderV1,
} from '#gridshift/contracts';
import { findDataDir, SHIPPED_DATA, zoneRule } from '#gridshift/datasets';
import {
  interactiveTokensPerHour,
  parseFleetFile,
  parseJobFile,
  readTraceProfiles,
  validateFleetJobs,
  type FleetFile,
  type JobFile,
} from '#gridshift/fleet';
import { createKafka, JsonProducer } from '#gridshift/messaging';
import { createDataSource, dropSchema } from '#gridshift/persistence';
import { DataCenterAgent, MemoryStateStore } from '#gridshift/datacenter-agent';
import { savingsAgainst } from '#gridshift/placement';
import { loadReportMessages, replay } from '#gridshift/simulation';
import { parseCli, parseUtc, runCli, UsageError } from './lib/cli.js';
import { batchReleases } from './lib/demo-jobs.js';
import { comparisonTable, savingsLines, shortfallLine, type TotalsFigures } from './lib/demo-summary.js';
import { ensureServices, repoRoot } from './lib/services.js';
import { partnerMessages } from './simulate-partner.js';
import { startNode, waitForHttp, type RunningProcess } from '../tests/support/processes.js';

const usage = `usage: npm run demo -- [--once] [options]
  --once               exit after the first schedule is published and its orders were consumed
  --date YYYY-MM-DD    the day to plan (UTC); the shipped data covers 2023-03-01..2023-03-31 (default 2023-03-15)
  --fleet FILE         fleet file              (default: data/scenarios/capacity-binds/fleet.yaml)
  --jobs FILE          job file                (default: data/scenarios/capacity-binds/jobs.yaml)
  --schema NAME        PostgreSQL schema of the demo, reset at start  (default: demo)
  --topic-prefix P     prefix of the demo's Kafka topics, reset      (default: demo.)
  --port-base N        admin-api on N, ingest N+1, planner N+2        (default: 3100)
  --approval MODE      the planner's approval mode, auto or manual (manual: re-plans wait as drafts for an
                       operator; the demo approves its own first plan either way)  (default: auto)
  --refuse C:JOB,...   data-center site rules: cluster C refuses JOB   (default: ams-1:code-uk)
  --noise SHARE        ± noise of the agents' realized GPU-hours       (default: 0.03)`;

const HOUR_MS = 3_600_000;
const started = Date.now();
const say = (message: string) =>
  process.stdout.write(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);

interface Api {
  base: string;
  key: string;
  call: <T>(method: string, path: string, body?: unknown) => Promise<T>;
}

function api(base: string, key: string): Api {
  return {
    base,
    key,
    call: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Registers zones, clusters and jobs through the admin API, as an operator would. A batch job released
 * several times a day becomes one job per release in the planning day (`batchReleases`). Returns the job
 * file's id of every registered job.
 */
async function register(
  admin: Api,
  fleet: FleetFile,
  jobs: JobFile,
  dayMs: number,
  dataDir: string,
  jobsDir: string,
) {
  for (const zone of new Set(fleet.clusters.map((c) => c.zone))) {
    const rule = zoneRule(zone);
    await admin.call('PUT', `/zones/${encodeURIComponent(zone)}`, {
      name: zone,
      currency: rule.currency,
      timeZone: fleet.clusters.find((c) => c.zone === zone)?.timeZone ?? 'UTC',
    });
  }
  for (const c of fleet.clusters) {
    await admin.call('POST', '/clusters', {
      id: c.id,
      name: c.name ?? c.id,
      region: c.region,
      zone: c.zone,
      gpuModel: c.gpuModel,
      gpuTotal: c.gpuTotal,
      kwPerGpu: c.kwPerGpu,
      pue: c.pue,
      powerCapKw: c.powerCapKw ?? null,
      latencyMsByOrigin: c.latencyMsByOrigin,
    });
  }
  const traces = readTraceProfiles(jobs.jobs, dataDir, jobsDir);
  const specIdOf = new Map<string, string>();
  for (const j of jobs.jobs) {
    const common = {
      id: j.id,
      name: j.name ?? j.id,
      model: j.model,
      tokensPerSecondPerGpu: j.tokensPerSecondPerGpu,
      origin: j.origin,
      latencySlaMs: j.latencySlaMs ?? null,
      residency: j.residency,
      tier: j.tier,
      maxGpus: j.maxGpus,
      homeClusterId: j.homeClusterId ?? null,
    };
    if (j.kind === 'interactive') {
      specIdOf.set(j.id, j.id);
      const perHour = Array.from({ length: 24 }, (_, h) => interactiveTokensPerHour(j, h, traces));
      const mean = perHour.reduce((s, v) => s + v, 0) / 24;
      await admin.call('POST', '/jobs', {
        ...common,
        kind: 'interactive',
        tokensPerHour: mean,
        demandProfile: perHour.map((v) => (mean > 0 ? Math.round((v / mean) * 1e6) / 1e6 : 0)),
      });
    } else {
      for (const release of batchReleases(j, dayMs)) {
        specIdOf.set(release.id, j.id);
        await admin.call('POST', '/jobs', {
          ...common,
          id: release.id,
          name: release.name,
          kind: 'batch',
          totalTokens: release.totalTokens,
          windowStart: release.windowStartUtc,
          deadline: release.deadlineUtc,
        });
      }
    }
  }
  return specIdOf;
}

/** A data center's view: consumes placement orders, validates them, keeps the newest version per cluster. */
async function consumeOrders(brokers: string[], topic: string, signal: AbortSignal) {
  const kafka = createKafka({ brokers, clientId: 'gridshift-demo-datacenter' });
  const consumer = kafka.consumer({ groupId: `demo-datacenter-${randomBytes(4).toString('hex')}` });
  const latest = new Map<string, PlacementOrderV1>();
  let received = 0;
  let invalid = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      received += 1;
      const decoded = decodePlacementOrder(message.key, message.value);
      if (!decoded.ok) invalid += 1;
      else {
        const seen = latest.get(decoded.value.clusterId);
        if (!seen || seen.scheduleVersion < decoded.value.scheduleVersion)
          latest.set(decoded.value.clusterId, decoded.value);
      }
      return Promise.resolve();
    },
  });
  signal.addEventListener('abort', () => void consumer.disconnect());
  return { latest, stats: () => ({ received, invalid }) };
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    once: { type: 'boolean' },
    date: { type: 'string' },
    fleet: { type: 'string' },
    jobs: { type: 'string' },
    schema: { type: 'string' },
    'topic-prefix': { type: 'string' },
    'port-base': { type: 'string' },
    approval: { type: 'string' },
    refuse: { type: 'string' },
    noise: { type: 'string' },
    help: { type: 'boolean' },
  });
  const refusals = new Map<string, string[]>();
  for (const rule of (args.refuse ?? 'ams-1:code-uk').split(',').filter(Boolean)) {
    const [clusterId, jobId] = rule.split(':');
    if (!clusterId || !jobId) throw new UsageError(`--refuse takes CLUSTER:JOB pairs, got ${rule}`);
    refusals.set(clusterId, [...(refusals.get(clusterId) ?? []), jobId]);
  }
  const noise = Number(args.noise ?? 0.03);
  if (!Number.isFinite(noise) || noise < 0 || noise > 1) throw new UsageError('--noise must be in [0, 1]');
  const dayMs = parseUtc('--date', args.date ?? '2023-03-15');
  if (dayMs % (24 * HOUR_MS) !== 0) throw new UsageError('--date must be a UTC day, like 2023-03-15');
  const dataDir = findDataDir(repoRoot);
  if (
    dayMs - 24 * HOUR_MS < Date.parse(SHIPPED_DATA.fromUtc) ||
    dayMs + 24 * HOUR_MS > Date.parse(SHIPPED_DATA.toUtc)
  )
    throw new UsageError(
      `--date must leave a day of shipped data on both sides (${SHIPPED_DATA.fromUtc} .. ${SHIPPED_DATA.toUtc})`,
    );
  const fleetPath = args.fleet ?? join(dataDir, 'scenarios/capacity-binds/fleet.yaml');
  const jobsPath = args.jobs ?? join(dataDir, 'scenarios/capacity-binds/jobs.yaml');
  const fleet = parseFleetFile(fleetPath, readFileSync(fleetPath, 'utf8'));
  const jobs = parseJobFile(jobsPath, readFileSync(jobsPath, 'utf8'));
  validateFleetJobs({ fleetFile: fleetPath, jobsFile: jobsPath }, fleet, jobs); // every mismatch, one per line
  const schema = args.schema ?? 'demo';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new UsageError('--schema must be a lower-case SQL identifier');
  const prefix = args['topic-prefix'] ?? 'demo.';
  const portBase = Number(args['port-base'] ?? 3100);
  const approval = args.approval ?? 'auto';
  if (approval !== 'auto' && approval !== 'manual') throw new UsageError('--approval must be auto or manual');

  say('bringing up Kafka and PostgreSQL');
  const { databaseUrl, brokers } = ensureServices({ quiet: true });
  say(`PostgreSQL ${databaseUrl.replace(/\/\/[^@]*@/, '//')} (schema ${schema}), Kafka ${brokers.join(',')}`);

  // A clean slate: the demo's schema and topics are recreated on every run.
  const ds = createDataSource({ url: databaseUrl, schema, poolMax: 2 });
  await ds.initialize();
  await dropSchema(ds);
  await ds.destroy();
  const kafka = createKafka({ brokers, clientId: 'gridshift-demo' });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const stale = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(prefix));
  if (stale.length > 0) await kafkaAdmin.deleteTopics({ topics: stale });
  await kafkaAdmin.disconnect();

  const adminKey = `gsk_demo_${randomBytes(24).toString('base64url')}`;
  const common = {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    // The ingest's consumer groups belong to the demo's topics: two demos (or a demo and a test) on one
    // broker must not share a group that subscribes to different topics.
    INGEST_GROUP_ID: `${prefix}gridshift-ingest`,
    LOG_LEVEL: 'warn',
  };
  const apps: RunningProcess[] = [];
  const stopAll = async () => {
    await Promise.all(apps.map((a) => a.stop('SIGTERM')));
  };
  const abort = new AbortController();
  try {
    say('starting admin-api, ingest and planner');
    const adminApp = startNode('dist/apps/admin-api/src/main.js', {
      ...common,
      PORT: String(portBase),
      ADMIN_BOOTSTRAP_KEY: adminKey,
    });
    apps.push(adminApp);
    await waitForHttp(`http://127.0.0.1:${portBase}/ready`, 90_000).catch((e: unknown) => {
      throw new Error(`admin-api did not become ready: ${String(e)}\n${adminApp.output().slice(-3000)}`);
    });
    const ingest = startNode('dist/apps/ingest/src/main.js', { ...common, PORT: String(portBase + 1) });
    const planner = startNode('dist/apps/planner/src/main.js', {
      ...common,
      PORT: String(portBase + 2),
      PLANNER_NOW: new Date(dayMs).toISOString(),
      PLANNER_CRON: '0 0 1 1 *',
      PLANNER_PRICE_MAX_AGE_HOURS: '48',
      PLANNER_LOAD_MAX_AGE_MINUTES: '120',
      PLANNER_APPROVAL_MODE: approval,
    });
    apps.push(ingest, planner);
    for (const [name, app, port] of [
      ['ingest', ingest, portBase + 1],
      ['planner', planner, portBase + 2],
    ] as const) {
      await waitForHttp(`http://127.0.0.1:${port}/ready`, 90_000).catch((e: unknown) => {
        throw new Error(`${name} did not become ready: ${String(e)}\n${app.output().slice(-3000)}`);
      });
    }
    const admin = api(`http://127.0.0.1:${portBase}`, adminKey);

    say(
      `registering ${fleet.clusters.length} clusters and ${jobs.jobs.length} job specs through the admin API`,
    );
    const specIdOf = await register(admin, fleet, jobs, dayMs, dataDir, dirname(jobsPath));
    say(`${specIdOf.size} jobs registered (a batch job released every few hours is one job per release)`);

    const orders = await consumeOrders(brokers, `${prefix}${TOPICS.placements}`, abort.signal);
    // One reference agent per cluster (libs/datacenter-agent): applies orders, acknowledges them, reports usage.
    // A refused job (a site rule) is a rejection gridshift re-plans around. The day is in the past, so usage is
    // reported once the final orders are in (see autoReportUsage).
    const agents = startAgents(kafka, fleet, prefix, refusals, noise);
    await Promise.all(agents.map((a) => a.start()));
    say(
      `${agents.length} data-center agents running${refusals.size ? ` (site rules: ${args.refuse ?? 'ams-1:code-uk'})` : ''}`,
    );

    const producer = new JsonProducer(kafka);
    const zones = [...new Set(fleet.clusters.map((c) => c.zone))];
    const priceMessages = partnerMessages({
      dataDir,
      zones,
      fromUtc: new Date(dayMs - 24 * HOUR_MS).toISOString(),
      toUtc: new Date(dayMs + 24 * HOUR_MS).toISOString(),
      partnerId: 'demo-partner',
    });
    const loadMessages = loadReportMessages({
      clusters: fleet.clusters,
      fromUtc: new Date(dayMs - 24 * HOUR_MS).toISOString(),
      toUtc: new Date(dayMs).toISOString(),
      intervalMinutes: 15,
    });
    say(
      `replaying ${loadMessages.length} load reports and ${priceMessages.length} day-ahead curves (real prices) through Kafka`,
    );
    await replay(
      loadMessages,
      (b) => producer.send(`${prefix}${TOPICS.clusterLoad}`, b).then(() => undefined),
      { speed: Infinity },
    );
    await replay(priceMessages, (b) => producer.send(`${prefix}${TOPICS.prices}`, b).then(() => undefined), {
      speed: Infinity,
    });
    await producer.disconnect();

    await until('ingest to store every zone and cluster', async () => {
      const fresh = await admin.call<{
        items: { zone: string; market: string; latestIntervalStart: string }[];
      }>('GET', '/prices/freshness');
      const covered = fresh.items.filter(
        (f) => Date.parse(f.latestIntervalStart) >= dayMs + 23 * HOUR_MS,
      ).length;
      const load = await admin.call<{ items: unknown[] }>('GET', '/load/latest');
      return covered >= zones.length && load.items.length >= fleet.clusters.length ? true : undefined;
    });
    say('prices and load stored; asking the planner for a plan');
    const request = await admin.call<{ id: string }>('POST', '/plans', { reason: 'demo' });
    const done = await until('the plan', async () => {
      const r = await admin.call<{ status: string; scheduleId: string | null; error: string | null }>(
        'GET',
        `/plans/${request.id}`,
      );
      if (r.status === 'failed') throw new Error(`planning failed: ${r.error}`);
      return r.status === 'done' && r.scheduleId ? r : undefined;
    });
    const scheduleId = done.scheduleId!;
    let schedule = await admin.call<ScheduleView>('GET', `/schedules/${scheduleId}`);
    say(`schedule v${schedule.version} stored (${schedule.status})`);
    if (schedule.status === 'draft') {
      say('approving it as the operator');
      await admin.call('POST', `/schedules/${scheduleId}/approve`, { reason: 'demo' });
    }
    schedule = await until('publication', async () => {
      const s = await admin.call<ScheduleView>('GET', `/schedules/${scheduleId}`);
      return s.status === 'published' ? s : undefined;
    });
    const version = schedule.version!;
    const clustersWithOrders = await until('placement orders on Kafka', () => {
      const got = [...orders.latest.values()].filter((o) => o.scheduleVersion === version);
      return Promise.resolve(got.length > 0 && got.length >= countAffected(schedule) ? got : undefined);
    });
    say(`schedule v${version} published; ${clustersWithOrders.length} data centers received their orders`);
    await printSummary(admin, schedule, jobs, specIdOf, fleet, clustersWithOrders, orders.stats());
    await eveningEvent(admin, kafka, prefix, dayMs, zones, version, orders);
    await closeTheLoop(admin, agents, dayMs, schedule, fleet.currency);

    if (args.once) {
      say('--once: stopping');
      return;
    }
    process.stdout.write(
      `\nThe stack keeps running. Explore it:\n  console    http://127.0.0.1:${portBase}/console/   (operator console; sign in with the key)\n` +
        `  admin API  http://127.0.0.1:${portBase}/docs   (Swagger UI)\n  API key    ${adminKey}\n` +
        `  e.g.       curl -H "authorization: Bearer ${adminKey}" http://127.0.0.1:${portBase}/schedules\nCtrl-C stops everything.\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    say('stopping');
  } finally {
    abort.abort();
    await Promise.all(agentsToStop.map((a) => a.stop()));
    await stopAll();
  }
}

/**
 * An energy partner asks one zone (DE-LU when the fleet has it) to cut gridshift's load by 30 % from 17:00 to
 * 20:00 UTC: a mandatory grid event on Kafka. The planner re-plans at once (trigger grid-event); the demo waits
 * for the new orders and prints the event's delivery report (GET /grid-events/{id}/performance).
 */
async function eveningEvent(
  admin: Api,
  kafka: ReturnType<typeof createKafka>,
  prefix: string,
  dayMs: number,
  zones: string[],
  afterVersion: number,
  orders: { latest: Map<string, PlacementOrderV1> },
): Promise<void> {
  const zone = zones.includes('DE-LU') ? 'DE-LU' : zones[0]!;
  const event: GridEventMessageV1 = {
    eventId: `demo-evening-${zone}`,
    programId: 'demo-demand-response',
    modificationNumber: 0,
    priority: 0,
    targets: { zones: [zone] },
    intervals: [
      {
        start: new Date(dayMs + 17 * HOUR_MS).toISOString(),
        durationMinutes: 180,
        payloads: [{ type: 'LOAD_REDUCTION', value: 30, unit: 'PERCENT' }],
      },
    ],
    compliance: 'mandatory',
  };
  const producer = new JsonProducer(kafka);
  const sentAt = Date.now();
  await producer.send(`${prefix}${TOPICS.gridEvents}`, [{ key: zone, value: event }]);
  await producer.disconnect();
  say(`grid event ${event.eventId}: −30 % in ${zone} 17:00–20:00 UTC sent to Kafka (mandatory)`);
  const replan = await until('the grid-event re-plan', async () => {
    const page = await admin.call<{
      items: { id: string; version: number | null; status: string; trigger: string }[];
    }>('GET', '/schedules?limit=10');
    return page.items.find((s) => s.trigger === 'grid-event' && (s.version ?? 0) > afterVersion);
  });
  if (replan.status === 'draft') {
    say(`schedule v${replan.version} is a draft (the approval policy held it); approving it as the operator`);
    await admin.call('POST', `/schedules/${replan.id}/approve`, { reason: 'demo: honour the grid event' });
  }
  await until('the re-plan orders on Kafka', () =>
    Promise.resolve(
      [...orders.latest.values()].some((o) => o.scheduleVersion === replan.version) ? true : undefined,
    ),
  );
  say(
    `schedule v${replan.version} (trigger grid-event) published ${((Date.now() - sentAt) / 1000).toFixed(1)} s after the event was sent`,
  );
  const report = await admin.call<{
    summary: string;
    intervals: {
      counterfactualKw: number | null;
      homeKw: number | null;
      plannedKw: number | null;
      capKw: number | null;
    }[];
    totals: { counterfactualKwh: number | null; plannedKwh: number | null };
  }>('GET', `/grid-events/${event.eventId}/performance`);
  const kw = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v).toLocaleString('en-US')} kW`);
  const i = report.intervals[0];
  process.stdout.write(
    `\n${report.summary}\n` +
      (i
        ? `  before the event ${kw(i.counterfactualKw)}, home ${kw(i.homeKw)}, planned ${kw(i.plannedKw)} (cap ${kw(i.capKw)}); realized: not reported\n`
        : ''),
  );
}

const agentsToStop: DataCenterAgent[] = [];

function startAgents(
  kafka: ReturnType<typeof createKafka>,
  fleet: FleetFile,
  prefix: string,
  refusals: ReadonlyMap<string, string[]>,
  noise: number,
): DataCenterAgent[] {
  const store = new MemoryStateStore();
  const agents = fleet.clusters.map(
    (c, i) =>
      new DataCenterAgent({
        kafka,
        clusterId: c.id,
        store,
        groupId: `demo-agent-${c.id}-${randomBytes(4).toString('hex')}`,
        topics: {
          placements: `${prefix}${TOPICS.placements}`,
          placementAcks: `${prefix}${TOPICS.placementAcks}`,
          usage: `${prefix}${TOPICS.usage}`,
        },
        behaviour: {
          refuseJobs: refusals.get(c.id) ?? [],
          usageNoise: noise,
          kwhPerGpuHour: c.kwPerGpu * c.pue,
        },
        autoReportUsage: false,
        seed: 100 + i,
      }),
  );
  agentsToStop.push(...agents);
  return agents;
}

interface DeliveryView {
  counts: Record<string, number>;
  clusters: { clusterId: string; status: string; reasons: { code: string; text: string }[] }[];
}

interface MeasuredView {
  currency: string | null;
  rows: {
    key: string;
    realized: { gpuHours: number; cost: number };
    plan: { gpuHours: number; cost: number };
    home: { gpuHours: number; cost: number };
    greedy: { gpuHours: number; cost: number };
  }[];
  totals: {
    realized: { gpuHours: number; cost: number; energyKwh: number };
    plan: { gpuHours: number; cost: number };
    home: { gpuHours: number; cost: number };
    greedy: { gpuHours: number; cost: number };
    vsHome: number | null;
    vsGreedy: number | null;
    vsPlan: number;
    vsHomePct: number | null;
    vsGreedyPct: number | null;
  };
  comparable: { home: boolean; greedy: boolean };
  energyKwhByMarket: Record<string, number>;
}

/**
 * Waits until the planner is quiet (re-plans after refusals done) and the newest published schedule's orders are
 * settled, has the agents report the day's realized usage, and prints delivery and measured savings.
 */
async function closeTheLoop(
  admin: Api,
  agents: DataCenterAgent[],
  dayMs: number,
  planned: ScheduleView,
  fallbackCurrency: string,
): Promise<void> {
  let newest = '';
  let quietPolls = 0;
  const final = await until(
    'the data centers to acknowledge the newest schedule',
    async () => {
      const page = await admin.call<{ items: { id: string; version: number | null; status: string }[] }>(
        'GET',
        '/schedules?kind=plan&status=published&limit=1',
      );
      const top = page.items[0];
      if (!top) return undefined;
      quietPolls = top.id === newest ? quietPolls + 1 : 0;
      newest = top.id;
      const delivery = await admin.call<DeliveryView>('GET', `/schedules/${top.id}/delivery`);
      const settled = delivery.clusters.length > 0 && delivery.clusters.every((c) => c.status !== 'sent');
      return settled && quietPolls >= 12 ? { ...top, delivery } : undefined;
    },
    180_000,
  );
  const d = final.delivery;
  const total = d.clusters.length;
  const acked = d.clusters.filter((c) => c.status !== 'sent').length;
  const notApplied = d.clusters.filter((c) => c.status === 'rejected' || c.status === 'partially-applied');
  const firstDelivery = await admin.call<DeliveryView>('GET', `/schedules/${planned.id}/delivery`);
  const refusedFirst = firstDelivery.clusters.filter((c) => c.status !== 'applied');
  const out: string[] = ['', `=== closed loop: what the data centers did ===`, ''];
  const line = (v: number | null, view: DeliveryView) =>
    `v${v}: orders acknowledged ${view.clusters.filter((c) => c.status !== 'sent').length}/${view.clusters.length}, ` +
    `applied ${view.counts.applied ?? 0}, partially applied ${view.counts['partially-applied'] ?? 0}, rejected ${view.counts.rejected ?? 0}`;
  if (planned.id !== final.id) {
    out.push(
      `${line(planned.version, firstDelivery)}${refusedFirst.length ? `: ${refusedFirst.map((c) => `${c.clusterId} ${c.reasons.map((r) => `${r.code}: ${r.text}`).join('; ')}`).join(' | ')}` : ''}`,
    );
    out.push(`  → re-planned around the refusal (trigger rejection): v${final.version}`);
  }
  out.push(
    `${line(final.version, d)}${notApplied.length ? `: ${notApplied.map((c) => `${c.clusterId} ${c.reasons.map((r) => `${r.code}: ${r.text}`).join('; ')}`).join(' | ')}` : ''}`,
  );
  if (acked < total) out.push(`  ${total - acked} order(s) not acknowledged yet`);

  // The day is over (a replay): each agent reports what really ran under its final order.
  const rows = (await Promise.all(agents.map((a) => a.reportUsage()))).reduce((s, n) => s + n, 0);
  const from = new Date(dayMs).toISOString();
  const to = new Date(dayMs + 24 * HOUR_MS).toISOString();
  const measured = await until('the usage to be stored', async () => {
    const r = await admin.call<MeasuredView>(
      'GET',
      `/reports/measured-savings?from=${from}&to=${to}&groupBy=cluster`,
    );
    const stored = r.totals.realized.gpuHours;
    // Stored once every agent's rows arrived (the report reads what the ingest stored).
    return stored > 0 && (await stable(stored)) ? r : undefined;
  });
  const currency = measured.currency ?? fallbackCurrency;
  const t = measured.totals;
  const pct = (v: number | null) => (v === null ? '' : ` (${v.toFixed(1)} %)`);
  out.push(
    '',
    `measured savings for ${from.slice(0, 10)} (realized usage × prices paid; ${rows} usage rows from ${agents.length} agents):`,
    '',
    '| | realized | plan | home | greedy |',
    '|---|---:|---:|---:|---:|',
    `| GPU-h | ${fmt(t.realized.gpuHours)} | ${fmt(t.plan.gpuHours)} | ${fmt(t.home.gpuHours)} | ${fmt(t.greedy.gpuHours)} |`,
    `| energy cost | ${money(t.realized.cost, currency)} | ${money(t.plan.cost, currency)} | ${money(t.home.cost, currency)} | ${money(t.greedy.cost, currency)} |`,
    '',
    `measured vs home:   ${t.vsHome === null ? 'home cannot serve the realized work; no saving shown' : `${money(t.vsHome, currency)}${pct(t.vsHomePct)}`}` +
      `   (planned: ${plannedSaving(planned, 'home', currency)})`,
    `measured vs greedy: ${t.vsGreedy === null ? 'greedy cannot serve the realized work; no saving shown' : `${money(t.vsGreedy, currency)}${pct(t.vsGreedyPct)}`}` +
      `   (planned: ${plannedSaving(planned, 'greedy', currency)})`,
    `realized vs plan:   ${money(t.realized.cost - t.plan.cost, currency)} (${fmt(t.realized.gpuHours - t.plan.gpuHours)} GPU-h) — usage noise and refusals`,
    `energy priced by market (kWh): ${Object.entries(measured.energyKwhByMarket)
      .map(([m, k]) => `${m} ${fmt(k)}`)
      .join(', ')}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

let lastStored = -1;
/** True when the stored total did not move since the previous call (the ingest has caught up). */
async function stable(stored: number): Promise<boolean> {
  const same = Math.abs(stored - lastStored) < 1e-9;
  lastStored = stored;
  if (!same) await new Promise((resolve) => setTimeout(resolve, 500));
  return same;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The planned saving of the schedule the summary showed, against one baseline (`savingsAgainst`, as the planner). */
function plannedSaving(schedule: ScheduleView, baseline: 'home' | 'greedy', currency: string): string {
  const base = schedule.baselines?.[baseline];
  const own = schedule.totals;
  if (!base || !own) return 'not stored';
  const figures = (x: TotalsFigures) => ({
    energyCost: x.energyCost ?? 0,
    carbonCost: x.carbonCost ?? 0,
    penaltyCost: x.penaltyCost ?? 0,
    servedGpuHours: x.servedGpuHours ?? 0,
  });
  const saving = savingsAgainst(figures(base), figures(own));
  if (saving.amount === null) return 'baseline serves less work; no saving';
  return `${money(saving.amount, currency)}${saving.pct === null ? '' : ` (${saving.pct.toFixed(1)} %)`}`;
}
interface ScheduleView {
  id: string;
  status: string;
  version: number | null;
  currency?: string | null;
  horizonStart?: string;
  horizonEnd?: string;
  /** The planner's ScheduleTotals (the figures the summary reads). */
  totals?: TotalsFigures;
  /** ScheduleTotals of the home and greedy baselines on the same problem, as stored. */
  baselines?: { home: TotalsFigures | null; greedy: TotalsFigures | null };
  byCluster?: { clusterId: string; gpuHours: number; energyMwh: number; energyCost: number; cost: number }[];
  shortfalls?: unknown[];
  shortfallsTruncated?: boolean;
  assumptions?: unknown[];
}

/** Clusters a schedule places work on (each must receive an order). */
function countAffected(schedule: ScheduleView): number {
  return (schedule.byCluster ?? []).filter((c) => c.gpuHours > 0).length;
}

/** GPU-hours per job and cluster from the paginated placements endpoint. */
async function jobPlacements(admin: Api, scheduleId: string): Promise<Map<string, Map<string, number>>> {
  const byJob = new Map<string, Map<string, number>>();
  let cursor: string | undefined;
  do {
    const page = await admin.call<{
      items: { jobId: string; clusterId: string; gpuHours: number }[];
      nextCursor: string | null;
    }>(
      'GET',
      `/schedules/${scheduleId}/placements?limit=5000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const p of page.items) {
      const clusters = byJob.get(p.jobId) ?? new Map<string, number>();
      clusters.set(p.clusterId, (clusters.get(p.clusterId) ?? 0) + p.gpuHours);
      byJob.set(p.jobId, clusters);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return byJob;
}

function money(amount: number, currency: string): string {
  const rounded = Math.round(amount) === 0 ? 0 : amount; // no "-0"
  return `${currency} ${rounded.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 0 })}`;
}

async function printSummary(
  admin: Api,
  schedule: ScheduleView,
  jobs: JobFile,
  specIdOf: ReadonlyMap<string, string>,
  fleet: FleetFile,
  orders: PlacementOrderV1[],
  stats: { received: number; invalid: number },
): Promise<void> {
  const currency = schedule.currency ?? fleet.currency;
  const optimum = { name: 'gridshift', totals: schedule.totals };
  const baselines = [
    { name: 'home', totals: schedule.baselines?.home },
    { name: 'greedy', totals: schedule.baselines?.greedy },
  ];
  const out: string[] = [];
  out.push(
    '',
    `=== gridshift schedule v${schedule.version} (${schedule.status}) for ${schedule.horizonStart} .. ${schedule.horizonEnd} ===`,
    '',
    'The same work planned three ways: gridshift (the optimum), home (each job where it runs today) and greedy',
    '(cheapest cell first), as the schedule stores them:',
    '',
    ...comparisonTable(currency, [optimum, ...baselines]),
    '',
    ...savingsLines(currency, optimum, baselines),
  );
  out.push('', shortfallLine(schedule.shortfalls, schedule.shortfallsTruncated === true));
  if (schedule.assumptions?.length)
    out.push(`assumptions: ${schedule.assumptions.length} (see GET /schedules/${schedule.id})`);
  const tokensMillions = schedule.totals?.tokensMillions;
  if (typeof tokensMillions === 'number')
    out.push('', `tokens: ${(tokensMillions / 1e3).toFixed(1)} billion`);

  // GPU-hours per job of the job file (a batch job's releases summed) and cluster.
  const byRegistered = await jobPlacements(admin, schedule.id);
  const bySpec = new Map<string, Map<string, number>>();
  for (const [jobId, clusters] of byRegistered) {
    const specId = specIdOf.get(jobId) ?? jobId;
    const into = bySpec.get(specId) ?? new Map<string, number>();
    for (const [clusterId, gpuHours] of clusters) into.set(clusterId, (into.get(clusterId) ?? 0) + gpuHours);
    bySpec.set(specId, into);
  }
  const releasesOf = (specId: string) => [...specIdOf.values()].filter((s) => s === specId).length;
  out.push('', 'where each job went (GPU-hours per cluster):');
  for (const job of jobs.jobs) {
    const clusters = [...(bySpec.get(job.id) ?? new Map<string, number>()).entries()]
      .filter(([, h]) => h > 0.05)
      .sort((a, b) => b[1] - a[1]);
    const total = clusters.reduce((s, [, h]) => s + h, 0);
    const where = clusters
      .map(([c, h]) => `${c} ${((h / Math.max(total, 1e-9)) * 100).toFixed(0)}%`)
      .join(', ');
    const releases = releasesOf(job.id);
    const kind = job.kind === 'batch' && releases > 1 ? `batch ×${releases}` : job.kind;
    out.push(
      `  ${job.id.padEnd(16)} ${kind.padEnd(11)} ${total.toFixed(0).padStart(7)} GPUh  home ${job.homeClusterId ?? '-'}  → ${where || 'nothing placed'}`,
    );
  }
  out.push('', 'per cluster:');
  const zoneOf = new Map(fleet.clusters.map((c) => [c.id, c.zone]));
  for (const c of schedule.byCluster ?? [])
    out.push(
      `  ${c.clusterId.padEnd(8)} ${String(zoneOf.get(c.clusterId) ?? '').padEnd(12)} ${c.gpuHours.toFixed(0).padStart(7)} GPUh  ${c.energyMwh.toFixed(1).padStart(6)} MWh  ${money(c.cost, currency)}`,
    );
  const ordered = orders.reduce(
    (s, o) =>
      s +
      o.slots.reduce(
        (t, slot) => t + slot.assignments.reduce((u, a) => u + a.gpus * (slot.minutes / 60), 0),
        0,
      ),
    0,
  );
  out.push(
    '',
    `data-center side: ${stats.received} placement orders consumed from Kafka (${stats.invalid} invalid), ${orders.length} clusters hold version ${schedule.version}, ${ordered.toFixed(0)} GPU-hours reserved`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

runCli(usage, main);
