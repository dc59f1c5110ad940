// bench:reaction — time from publishing a price change (or a demand-response event) on Kafka to the matching
// placement orders arriving on Kafka, through the real apps (ingest → PostgreSQL → planner → outbox relay → Kafka).
//   npm run bench:reaction [-- --jobs 1000,5000] [--clusters 20] [--samples 20] [--trigger price|grid-event]
//     [--stability σ] [--json FILE] [--cpu-prof DIR] [--planner-node-options "…"] [--planner-env K=V,…]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { GridEventMessageV1, PlacementOrderV1 } from '#gridshift/contracts';
import { createKafka, ensureTopics, JsonProducer } from '#gridshift/messaging';
import {
  createDataSource,
  dropSchema,
  LoadRepository,
  migrate,
  PipelineProbeRepository,
  PriceRepository,
} from '#gridshift/persistence';
import { topicNames } from '#gridshift/platform';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { ensureServices } from './lib/services.js';
import { startNode, waitForHttp } from '../tests/support/processes.js';
import {
  currentHourMs,
  generateClusters,
  generateJobs,
  priceMessage,
  publishFleetState,
  seedClusters,
  seedJobs,
  zonePrice,
} from '../tests/integration/planner-fixtures.js';

const usage = `usage: npm run bench:reaction -- [--jobs 1000,5000] [--clusters 20] [--samples 20] [--trigger price] [--stability σ] [--json FILE]
  --jobs N[,N…]   fleet sizes in jobs (70 % interactive, 30 % batch)      (default: 1000,5000)
  --clusters N    clusters, spread over 8 real price zones                (default: 20)
  --samples N     changes measured per size (after one warm-up)           (default: 20)
  --trigger T     price: a new day-ahead curve for one zone;              (default: price)
                  grid-event: a new revision of a mandatory demand-response event in one zone
                  (a 20/30/40 % load reduction for the next 4 hours, rotating zones)
  --stability σ   the planner's PLANNER_STABILITY_COST_PER_GPU_HOUR: cost per GPU-hour moved
                  away from the schedule in force (σ > 0 solves in the worker)  (default: 0)
  --json FILE     also write the rows {trigger, stability, jobs, clusters, slots, samples, p50Ms, p99Ms} as JSON
  --cpu-prof DIR  run the planner with node --cpu-prof, writing its profile (.cpuprofile) into DIR on exit
  --planner-node-options "…"  more NODE_OPTIONS for the planner process (e.g. V8 heap flags, to compare)
  --planner-env K=V,…  more environment for the planner (PLANNER_* variables only; e.g. PLANNER_WARMUP_MS=0)`;

type Trigger = 'price' | 'grid-event';

interface Row {
  trigger: Trigger;
  stability: number;
  jobs: number;
  clusters: number;
  slots: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

const SLOTS = 24;
/**
 * The steps of the store transaction the planner logs (`storeSchedule`'s timings): begin (epoch, approval lock,
 * version, earlier orders), inputs (the job set, when new), schedule, placements, approve, commit. Builds before
 * the job set was stored apart count begin and inputs in `schedule`.
 */
const STORE_STEPS = ['begin', 'inputs', 'schedule', 'placements', 'approve', 'commit'];

/** USER_HZ of /proc/<pid>/stat times (100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms; NaN where /proc is not there. */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.max(0, Math.min(sorted.length - 1, rank))]!;
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Revision `revision` of a mandatory event in `zone`: a load reduction of 20, 30 or 40 % in hours 1–4. */
function gridEvent(zone: string, revision: number, h0: number): GridEventMessageV1 {
  return {
    eventId: `bench-${zone}`,
    programId: 'bench-program',
    modificationNumber: revision,
    priority: 1,
    targets: { zones: [zone] },
    intervals: [
      {
        start: new Date(h0 + 3_600_000).toISOString(),
        durationMinutes: 240,
        payloads: [{ type: 'LOAD_REDUCTION', value: 20 + (revision % 3) * 10, unit: 'PERCENT' }],
      },
    ],
    compliance: 'mandatory',
  };
}

async function measure(
  trigger: Trigger,
  jobsCount: number,
  clustersCount: number,
  samples: number,
  stability: number,
  services: { databaseUrl: string; brokers: string[] },
  plannerRun: { cpuProfDir?: string; nodeOptions?: string; env?: Record<string, string> } = {},
): Promise<{ row: Row; phases: Record<string, number> }> {
  const suffix = Math.random().toString(16).slice(2, 8);
  const prefix = `bench-reaction-${suffix}.`;
  const topics = topicNames(prefix);
  const schema = `bench_reaction_${suffix}`;
  const kafka = createKafka({ brokers: services.brokers, clientId: 'bench-reaction' });
  await ensureTopics(
    kafka,
    [
      topics.prices,
      topics.pricesDlq,
      topics.clusterLoad,
      topics.clusterLoadDlq,
      topics.gridEvents,
      topics.gridEventsDlq,
      topics.placements,
    ].map((topic) => ({
      topic,
      numPartitions: 3,
      replicationFactor: 1,
    })),
  );
  const ds = createDataSource({ url: services.databaseUrl, schema, poolMax: 3 });
  const probe = new PipelineProbeRepository(ds);
  await ds.initialize();
  await migrate(ds);
  const h0 = currentHourMs();
  const clusters = generateClusters(clustersCount);
  await seedClusters(ds, clusters);
  await seedJobs(ds, generateJobs(jobsCount, h0));

  const common = {
    DATABASE_URL: services.databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: services.brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    MIGRATE_ON_BOOT: 'false',
  };
  const ingest = startNode('dist/apps/ingest/src/main.js', {
    ...common,
    PORT: '23195',
    INGEST_GROUP_ID: `bench-${suffix}`,
  });
  const startPlanner = () =>
    startNode('dist/apps/planner/src/main.js', {
      ...common,
      // The planner logs each stored plan's phase times (incl. the store transaction) at info, as JSON.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      LOG_FORMAT: 'json',
      PORT: '23196',
      PLANNER_CRON: '0 0 1 1 *',
      // Every re-plan is published so each price change yields orders (the default policy may keep drafts).
      PLANNER_AUTO_APPROVE_MAX_MOVED_PCT: '100',
      PLANNER_AUTO_APPROVE_MAX_COST_INCREASE_PCT: '1000000',
      PLANNER_STABILITY_COST_PER_GPU_HOUR: String(stability),
      ...plannerRun.env,
      NODE_OPTIONS: [
        process.env.NODE_OPTIONS,
        plannerRun.cpuProfDir === undefined
          ? undefined
          : `--cpu-prof --cpu-prof-dir=${JSON.stringify(plannerRun.cpuProfDir)}`,
        plannerRun.nodeOptions,
      ]
        .filter((option) => option !== undefined && option !== '')
        .join(' '),
    });
  let planner: ReturnType<typeof startNode> | undefined;
  const producer = new JsonProducer(kafka);
  const consumer = kafka.consumer({ groupId: `bench-reaction-${suffix}`, maxWaitTimeInMs: 50 });
  const arrivals = new Map<number, number[]>();
  try {
    const ready = async (app: ReturnType<typeof startNode>, port: number) =>
      waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${app.output()}`);
      });
    await ready(ingest, 23195);
    // The fleet's state first — load for every cluster, a day-ahead curve for every zone — stored before the
    // planner starts, as when a planner is (re)deployed beside a running fleet (its start-up warm-up reads them).
    const zones = [...new Set(clusters.map((c) => c.zone))];
    await publishFleetState(producer, topics, clusters, h0, SLOTS);
    const storedBy = performance.now() + 60_000;
    while (
      (await new PriceRepository(ds).latestDayAheadIssues()).length < zones.length ||
      (await new LoadRepository(ds).latestStates()).length < clusters.length
    ) {
      if (performance.now() > storedBy)
        throw new Error(`the ingest did not store the fleet's state\n${ingest.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    planner = startPlanner();
    await ready(planner, 23196);
    await consumer.connect();
    await consumer.subscribe({ topic: topics.placements, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const at = performance.now();
        const version = (JSON.parse(String(message.value)) as PlacementOrderV1).scheduleVersion;
        const list = arrivals.get(version) ?? [];
        list.push(at);
        arrivals.set(version, list);
        return Promise.resolve();
      },
    });

    // The newest published plan above `version` that began storing after `sentAt` (a plan already under way
    // when the change was sent is not its answer: without this, a late plan shifts every sample by one).
    const publishedAfter = async (
      version: number,
      deadlineMs: number,
      sentAt = 0,
    ): Promise<{ version: number; doneAt: number }> => {
      const sentEpochMs = sentAt === 0 ? 0 : performance.timeOrigin + sentAt;
      for (;;) {
        const row = await probe.newestPlan(version, { approvedOnly: true, storedSinceMs: sentEpochMs });
        const seen = row ? (arrivals.get(row.version) ?? []) : [];
        if (row && row.orders > 0 && seen.length >= row.orders) {
          return { version: row.version, doneAt: Math.max(...seen.slice(0, row.orders)) };
        }
        if (performance.now() > deadlineMs) {
          const recent = await probe.recentPlans(3);
          // The whole logs go to files (a failed store logs megabytes of parameters); here each of the last lines
          // of the planner's log, cut to 400 characters.
          const dir = mkdtempSync(join(tmpdir(), 'bench-reaction-'));
          writeFileSync(join(dir, 'planner.log'), planner?.output() ?? '');
          writeFileSync(join(dir, 'ingest.log'), ingest.output());
          const tail = (planner?.output() ?? '')
            .split('\n')
            .slice(-40)
            .map((line) => line.slice(0, 400))
            .join('\n');
          throw new Error(
            `no published schedule after version ${version} in time; newest: ${JSON.stringify(recent)}\n` +
              `logs: ${dir}/planner.log, ${dir}/ingest.log; the planner's last lines:\n${tail}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    // Warm-up of the bench: wait for the first published plan (the planner's start-up plan on that state).
    let last = await publishedAfter(0, performance.now() + 120_000);
    // Until the planner is idle: no newer plan for 3 s (the warm-up's messages can make several).
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const newer = await publishedAfter(last.version - 1, performance.now() + 60_000);
      if (newer.version === last.version) break;
      last = newer;
    }

    const latencies: number[] = [];
    const sampleVersions: number[] = [];
    // The planner's CPU per sample (plan, store, relay): unlike wall times, other load on the machine barely moves it.
    const plannerCpuBefore = processCpuMs(planner.child.pid);
    // …and per sample, from the change's send to its last order consumed (the first samples after the planner's
    // start are the cold ones: compare them with the rest).
    const sampleCpuMs: number[] = [];
    // Where each sample's time went, from the database's own timestamps (same machine, same clock): the ingest
    // stored the event (grid events only) → the plan's store transaction began → the relay claimed its orders.
    const path: { ingest: number[]; toStore: number[]; toRelay: number[]; toConsumer: number[] } = {
      ingest: [],
      toStore: [],
      toRelay: [],
      toConsumer: [],
    };
    const epochMs = (at: number) => performance.timeOrigin + at;
    for (let i = 0; i < samples; i += 1) {
      const zone = zones[i % zones.length]!;
      let sentAt: number;
      const cpuAtSend = processCpuMs(planner.child.pid);
      if (trigger === 'grid-event') {
        // A new revision of the zone's event (each zone's first one is new): 20 → 30 → 40 % → 20 % ….
        const message = gridEvent(zone, Math.floor(i / zones.length), h0);
        sentAt = performance.now();
        await producer.send(topics.gridEvents, [{ key: zone, value: message }]);
      } else {
        // A new day-ahead curve for one zone: ×1.6 or ×0.5 of its usual shape, alternating.
        const factor = i % 2 === 0 ? 1.6 : 0.5;
        const message = priceMessage(zone, h0, SLOTS, (h) => zonePrice(zone, h) * factor, {
          issuedAtMs: Date.now(),
        });
        sentAt = performance.now();
        await producer.send(topics.prices, [{ key: zone, value: message }]);
      }
      last = await publishedAfter(last.version, sentAt + 60_000, sentAt);
      latencies.push(last.doneAt - sentAt);
      sampleCpuMs.push(processCpuMs(planner.child.pid) - cpuAtSend);
      sampleVersions.push(last.version);
      const times = await probe.planPathTimes(last.version, `bench-${zone}`);
      if (times) {
        const sent = epochMs(sentAt);
        const ingestAt =
          trigger === 'grid-event' && times.eventUpdatedMs !== null ? times.eventUpdatedMs : sent;
        if (trigger === 'grid-event') path.ingest.push(ingestAt - sent);
        path.toStore.push(times.createdMs - ingestAt);
        if (times.lastSentMs !== null) {
          path.toRelay.push(times.lastSentMs - times.createdMs);
          path.toConsumer.push(epochMs(last.doneAt) - times.lastSentMs);
        }
      }
      process.stdout.write(
        `  ${trigger} · ${jobsCount} jobs · sample ${i + 1}/${samples}: ${Math.round(last.doneAt - sentAt)} ms (v${last.version})\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const plannerCpuMs = (processCpuMs(planner.child.pid) - plannerCpuBefore) / samples;
    const stats = await probe.planSolverFigures(2);
    const phases: Record<string, number> = {};
    for (const key of ['loadInputs', 'gridEvents', 'buildProblem', 'solve', 'round', 'account']) {
      phases[key] = Math.round(median(stats.map((s) => s.phaseMs[key] ?? 0)));
    }
    // The store transaction, from the planner's "schedule stored" log lines of the measured versions.
    const stores: Record<string, number>[] = [];
    const storedByVersion = new Map<number, Record<string, number>>();
    for (const line of planner.output().split('\n')) {
      if (!line.includes('"schedule stored"')) continue;
      try {
        const entry = JSON.parse(line) as { version?: number; phaseMs?: Record<string, number> };
        if ((entry.version ?? 0) > 2 && entry.phaseMs) {
          stores.push(entry.phaseMs);
          storedByVersion.set(entry.version!, entry.phaseMs);
        }
      } catch {
        // not a JSON line
      }
    }
    // Each sample's total beside its plan's solve and store (the p99 is one or two samples: which step made them).
    const warmUp = planner
      .output()
      .split('\n')
      .find((line) => line.includes('"planner warm-up done"'));
    if (warmUp !== undefined) {
      const { rounds, roundMs, stopped } = JSON.parse(warmUp) as {
        rounds: number;
        roundMs: number[];
        stopped: string;
      };
      process.stdout.write(
        `  planner warm-up: ${rounds} round(s), ms ${roundMs.map(Math.round).join(', ')} (${stopped})\n`,
      );
    }
    const firstCold = Math.min(3, Math.floor(samples / 2));
    process.stdout.write(
      `  planner CPU ms per sample: ${sampleCpuMs.map(Math.round).join(', ')}; median of the first ${firstCold} ` +
        `${Math.round(median(sampleCpuMs.slice(0, firstCold)))}, of the rest ${Math.round(median(sampleCpuMs.slice(firstCold)))}\n`,
    );
    process.stdout.write(
      `  planner CPU per sample ${Math.round(plannerCpuMs)} ms; per sample, ms total (solve · store): ${latencies
        .map((ms, i) => {
          const phase = storedByVersion.get(sampleVersions[i]!);
          const figure = (key: string) => (phase?.[key] === undefined ? '?' : String(Math.round(phase[key])));
          return `${Math.round(ms)} (${figure('solve')} · ${figure('store')})`;
        })
        .join(', ')}\n`,
    );
    for (const key of ['snapshot', 'store', ...STORE_STEPS.map((step) => `store.${step}`)]) {
      phases[key] = stores.length > 0 ? Math.round(median(stores.map((s) => s[key] ?? 0))) : Number.NaN;
    }
    // Inside `solve`: the placement library's own time (the rest is the worker thread round trip).
    phases.libraryTotal = Math.round(median(stats.map((s) => s.lib.totalMs ?? 0)));
    phases.libraryRound = Math.round(median(stats.map((s) => s.lib.roundMs ?? 0)));
    const p50 = percentile(
      [...latencies].sort((a, b) => a - b),
      50,
    );
    phases.rest = Math.round(
      p50 -
        ['loadInputs', 'gridEvents', 'buildProblem', 'solve', 'round', 'account', 'snapshot', 'store'].reduce(
          (sum, k) => sum + (Number.isNaN(phases[k]!) ? 0 : phases[k]!),
          0,
        ),
    );
    for (const [key, values] of Object.entries(path))
      phases[`path.${key}`] = values.length > 0 ? Math.round(median(values)) : Number.NaN;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      row: {
        trigger,
        stability,
        jobs: jobsCount,
        clusters: clustersCount,
        slots: SLOTS,
        samples,
        p50Ms: Math.round(percentile(sorted, 50)),
        p99Ms: Math.round(percentile(sorted, 99)),
      },
      phases,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await Promise.all([planner?.stop(), ingest.stop()]);
    await dropSchema(ds);
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    jobs: { type: 'string' },
    clusters: { type: 'string' },
    samples: { type: 'string' },
    json: { type: 'string' },
    trigger: { type: 'string' },
    stability: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'planner-node-options': { type: 'string' },
    'planner-env': { type: 'string' },
    help: { type: 'boolean' },
  });
  const trigger = (args.trigger ?? 'price') as Trigger;
  if (trigger !== 'price' && trigger !== 'grid-event')
    throw new UsageError('--trigger must be price or grid-event');
  const sizes = (args.jobs ?? '1000,5000').split(',').map(Number);
  const clusters = Number(args.clusters ?? 20);
  const samples = Number(args.samples ?? 20);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new UsageError('--jobs must be positive integers');
  if (!Number.isInteger(clusters) || clusters < 1)
    throw new UsageError('--clusters must be a positive integer');
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError('--samples must be a positive integer');
  const stability = Number(args.stability ?? 0);
  if (!Number.isFinite(stability) || stability < 0) throw new UsageError('--stability must be a number ≥ 0');
  const plannerEnv: Record<string, string> = {};
  for (const pair of (args['planner-env'] ?? '').split(',').filter((p) => p !== '')) {
    const match = /^(PLANNER_[A-Z0-9_]+)=(.*)$/.exec(pair);
    if (!match)
      throw new UsageError(`--planner-env: expected PLANNER_NAME=value, got ${JSON.stringify(pair)}`);
    plannerEnv[match[1]!] = match[2]!;
  }
  const services = ensureServices({ database: 'gridshift_bench', quiet: true });
  const rows: Row[] = [];
  const breakdown: Record<string, number>[] = [];
  for (const jobs of sizes) {
    const { row, phases } = await measure(trigger, jobs, clusters, samples, stability, services, {
      cpuProfDir: args['cpu-prof'],
      nodeOptions: args['planner-node-options'],
      env: plannerEnv,
    });
    rows.push(row);
    breakdown.push(phases);
  }
  process.stdout.write(
    '\n| trigger | σ | jobs | clusters | slots | samples | p50 ms | p99 ms | median ms: load · events · build · solve (library, its rounding) · check · account · snapshot · store · rest* |\n',
  );
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|---:|---|\n');
  rows.forEach((r, i) => {
    const p = breakdown[i]!;
    process.stdout.write(
      `| ${r.trigger} | ${r.stability} | ${r.jobs} | ${r.clusters} | ${r.slots} | ${r.samples} | ${r.p50Ms} | ${r.p99Ms} | ${p.loadInputs} · ${p.gridEvents} · ${p.buildProblem} · ${p.solve} (${p.libraryTotal}, ${p.libraryRound}) · ${p.round} · ${p.account} · ${p.snapshot} · ${p.store} · ${p.rest} |\n`,
    );
  });
  process.stdout.write(
    '*rest = p50 − the phases: Kafka → ingest → notify, debounce (none for grid events), change detection, relay → Kafka → consumer.\n',
  );
  process.stdout.write(
    '\n| trigger | jobs | median ms: sent → event stored (ingest) | → store transaction began | → relay claimed the orders | → last order consumed |\n|---|---:|---:|---:|---:|---:|\n',
  );
  rows.forEach((r, i) => {
    const p = breakdown[i]!;
    const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 'n/a' : String(v));
    process.stdout.write(
      `| ${r.trigger} | ${r.jobs} | ${ms(p['path.ingest'])} | ${ms(p['path.toStore'])} | ${ms(p['path.toRelay'])} | ${ms(p['path.toConsumer'])} |\n`,
    );
  });
  process.stdout.write(
    `\n| trigger | jobs | median ms of the store transaction: ${STORE_STEPS.join(' · ')} |\n|---|---:|---|\n`,
  );
  rows.forEach((r, i) => {
    const p = breakdown[i]!;
    const steps = STORE_STEPS.map((step) => p[`store.${step}`]);
    process.stdout.write(
      `| ${r.trigger} | ${r.jobs} | ${steps.map((v) => (Number.isNaN(v) ? 'n/a' : v)).join(' · ')} |\n`,
    );
  });
  if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
}

runCli(usage, main);
