// bench:loop — the closed loop with the data centers, through the real apps and 20 reference agents on loopback:
//   1. order published → applied acknowledgement stored (p50/p99), after price changes re-plan 5k jobs × 20 clusters;
//   2. usage ingest: job-slot rows per second from Kafka into PostgreSQL;
//   3. a month of hourly usage → the measured-savings report;
//   4. (only when asked: --phases store) UsageRepository.store alone on fresh, replayed and mixed calls.
//   npm run bench:loop [-- --jobs 5000] [--clusters 20] [--samples 10] [--usage-rows 480000] [--phases ack,usage,report]
//                      [--json FILE] [--diagnose FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DataCenterAgent, MemoryStateStore } from '#gridshift/datacenter-agent';
import { createKafka, ensureTopics, JsonProducer } from '#gridshift/messaging';
import {
  analyzeSchema,
  countRows,
  createDataSource,
  dropSchema,
  migrate,
  PipelineProbeRepository,
  PriceRepository,
  UsageRepository,
  type UsageRow,
} from '#gridshift/persistence';
import { topicNames } from '#gridshift/platform';
import { MeasuredSavingsReporter } from '../apps/admin-api/src/reports/measured-savings.controller.js';
import { ActivitySampler } from './lib/activity-sampler.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { ensureServices } from './lib/services.js';
import { startNode, waitForHttp, type RunningProcess } from '../tests/support/processes.js';
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

const usage = `usage: npm run bench:loop -- [--jobs N] [--clusters N] [--samples N] [--usage-rows N] [--month-jobs N] [--json FILE]
  --jobs N         jobs planned (70 % interactive, 30 % batch)                    (default: 5000)
  --clusters N     clusters, one reference agent each                             (default: 20)
  --samples N      price changes whose orders are measured (after one warm-up)    (default: 10)
  --usage-rows N   job-slot usage rows sent through Kafka for the ingest rate     (default: 480000)
  --month-jobs N   jobs with a month of hourly usage for the report               (default: 150)
  --phases LIST    which of ack, usage, report, store to run, comma-separated      (default: ack,usage,report)
  --json FILE      also write the rows {metric, value, unit} as JSON
  --diagnose FILE  during the report phase, sample PostgreSQL's activity every 20 ms and every process's CPU per
                   step (what competes with the report); write them to FILE and print a summary`;

interface MetricRow {
  metric: string;
  value: number;
  unit: string;
}

const HOUR_MS = 3_600_000;
/** USER_HZ of /proc/<pid>/stat times (100 on Linux). */
const CLOCK_TICKS_PER_S = 100;
const SLOTS = 24;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    jobs: { type: 'string' },
    clusters: { type: 'string' },
    samples: { type: 'string' },
    'usage-rows': { type: 'string' },
    'month-jobs': { type: 'string' },
    phases: { type: 'string' },
    json: { type: 'string' },
    diagnose: { type: 'string' },
    help: { type: 'boolean' },
  });
  const int = (flag: string, value: string | undefined, fallback: number, max: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new UsageError(`${flag} must be an integer in [1, ${max}]`);
    return n;
  };
  const jobsCount = int('--jobs', args.jobs, 5000, 100_000);
  const clustersCount = int('--clusters', args.clusters, 20, 200);
  const samples = int('--samples', args.samples, 10, 1000);
  const usageRows = int('--usage-rows', args['usage-rows'], 480_000, 20_000_000);
  const monthJobs = int('--month-jobs', args['month-jobs'], 150, 100_000);
  const phases = new Set((args.phases ?? 'ack,usage,report').split(',').map((p) => p.trim()));
  for (const p of phases)
    if (!['ack', 'usage', 'report', 'store'].includes(p))
      throw new UsageError(`--phases: unknown phase ${p}`);

  const services = ensureServices({ quiet: true });
  const suffix = Math.random().toString(16).slice(2, 8);
  const prefix = `bench-loop-${suffix}.`;
  const topics = topicNames(prefix);
  const allTopics: string[] = [
    topics.prices,
    topics.pricesDlq,
    topics.clusterLoad,
    topics.clusterLoadDlq,
    topics.placements,
    topics.placementAcks,
    topics.placementAcksDlq,
    topics.usage,
    topics.usageDlq,
  ];
  const schema = `bench_loop_${suffix}`;
  const kafka = createKafka({ brokers: services.brokers, clientId: 'bench-loop' });
  await ensureTopics(
    kafka,
    allTopics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  );
  const ds = createDataSource({
    url: services.databaseUrl,
    schema,
    poolMax: 3,
    applicationName: 'bench-loop',
  });
  // --diagnose: a connection of its own, so sampling never queues behind the report's reads.
  const samplerDs = args.diagnose
    ? createDataSource({
        url: services.databaseUrl,
        schema,
        poolMax: 1,
        applicationName: 'bench-loop-sampler',
      })
    : null;
  const probe = new PipelineProbeRepository(ds);
  await ds.initialize();
  await samplerDs?.initialize();
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
  const INGEST_PORT = 23197;
  const startIngest = () =>
    startNode('dist/apps/ingest/src/main.js', {
      ...common,
      PORT: String(INGEST_PORT),
      INGEST_GROUP_ID: `bench-loop-${suffix}`,
    });
  const waitReady = async (app: RunningProcess, port: number) =>
    waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${app.output()}`);
    });
  /** A counter of the ingest's /metrics (summed over its labels matching `labels`). */
  const ingestCounter = async (name: string, labels = ''): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${INGEST_PORT}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n'))
      if (line.startsWith(name) && line.includes(labels))
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  };
  let ingest: RunningProcess | null = null;
  let planner: RunningProcess | null = null;
  const store = new MemoryStateStore();
  const agents = phases.has('ack')
    ? clusters.map(
        (c, i) =>
          new DataCenterAgent({
            kafka: createKafka({ brokers: services.brokers, clientId: `bench-loop-agent-${i}` }),
            clusterId: c.id,
            store,
            topics,
            groupId: `bench-loop-agent-${suffix}-${c.id}`,
            autoReportUsage: false,
            onEvent: (e) => {
              if (e.kind === 'invalid')
                process.stdout.write(`  agent ${e.clusterId}: ${e.code}: ${e.message}\n`);
            },
          }),
      )
    : [];
  const producer = new JsonProducer(kafka);
  const rows: MetricRow[] = [];
  const sampler = samplerDs
    ? new ActivitySampler(new PipelineProbeRepository(samplerDs), {
        bench: process.pid,
        children: {
          get ingest() {
            return ingest?.child.pid;
          },
          get planner() {
            return planner?.child.pid;
          },
        },
      })
    : null;
  let usageReadPlan: string[] = [];
  let usageStats: unknown[] = [];
  /** Runs a step of the report phase, sampled when --diagnose asks for it. */
  const step = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
    sampler ? sampler.measure(name, fn) : fn();
  const zones = [...new Set(clusters.map((c) => c.zone))];

  /** 1. Order published → applied ack stored, over `samples` re-plans after a warm-up one. */
  async function ackRoundTrip(): Promise<MetricRow[]> {
    const settledVersion = async (after: number, deadlineMs: number): Promise<number> => {
      for (;;) {
        const row = await probe.newestPlan(after);
        if (row && row.orders > 0 && row.settled >= row.orders) return row.version;
        if (performance.now() > deadlineMs) {
          const state = await probe.deliveryStateAfter(after);
          throw new Error(
            `no settled schedule after v${after}: ${JSON.stringify(state)}\n${planner?.output().slice(-3000)}\n${ingest?.output().slice(-3000)}`,
          );
        }
        await sleep(20);
      }
    };
    await publishFleetState(producer, topics, clusters, h0, SLOTS);
    let last = await settledVersion(0, performance.now() + 180_000);
    const firstMeasured = last + 1;
    const retriesBefore = await ingestCounter('gridshift_consumer_store_retries_total', 'acks');
    for (let i = 0; i < samples; i += 1) {
      const zone = zones[i % zones.length]!;
      const factor = i % 2 === 0 ? 1.6 : 0.5;
      await producer.send(topics.prices, [
        {
          key: zone,
          value: priceMessage(zone, h0, SLOTS, (h) => zonePrice(zone, h) * factor, {
            issuedAtMs: Date.now(),
          }),
        },
      ]);
      last = await settledVersion(last, performance.now() + 120_000);
      process.stdout.write(`  ack round trip: sample ${i + 1}/${samples} settled (v${last})\n`);
      await sleep(300);
    }
    const retries = (await ingestCounter('gridshift_consumer_store_retries_total', 'acks')) - retriesBefore;
    // Where the time goes (all PostgreSQL clocks but `applied`, the agent's clock on this machine): relay
    // transaction start → Kafka → agent applied; → the ack's store transaction; → settled.
    const timed = await probe.deliveryTimings(firstMeasured);
    const pick = (f: (t: (typeof timed)[number]) => number, p: number) =>
      Math.round(percentile(timed.map(f), p));
    return [
      { metric: 'ack_round_trip_p50', value: pick((t) => t.total, 50), unit: 'ms' },
      { metric: 'ack_round_trip_p99', value: pick((t) => t.total, 99), unit: 'ms' },
      { metric: 'ack_round_trip_orders', value: timed.length, unit: 'orders' },
      { metric: 'ack_relay_to_agent_p50', value: pick((t) => t.toAgent, 50), unit: 'ms' },
      { metric: 'ack_relay_to_agent_p99', value: pick((t) => t.toAgent, 99), unit: 'ms' },
      { metric: 'ack_agent_to_stored_p50', value: pick((t) => t.toStore, 50), unit: 'ms' },
      { metric: 'ack_agent_to_stored_p99', value: pick((t) => t.toStore, 99), unit: 'ms' },
      { metric: 'ack_store_retries', value: retries, unit: 'retries' },
    ];
  }

  /**
   * 2. Usage ingest on a backlog: `usageRows` job-slot rows in messages of 250 (a cluster-hour) are produced while no
   * ingest runs, then a fresh ingest stores them; timed from 10 % of the rows written to all (its usage-rows counter),
   * so boot and group join are left out. Reference in the same run: a plain kafkajs consumer that only parses the
   * same backlog (fresh group), timed over the same part of the stream.
   */
  async function usageIngest(): Promise<MetricRow[]> {
    await ingest?.stop();
    ingest = null;
    const perMessage = 250;
    const baseMs = h0 - 60 * 24 * HOUR_MS;
    const messages = Array.from({ length: Math.ceil(usageRows / perMessage) }, (_, m) => {
      const clusterId = clusters[m % clusters.length]!.id;
      const slotMs = baseMs + Math.floor(m / clusters.length) * HOUR_MS;
      return {
        key: clusterId,
        value: {
          clusterId,
          observedAt: new Date(slotMs + HOUR_MS).toISOString(),
          rows: Array.from({ length: Math.min(perMessage, usageRows - m * perMessage) }, (_, j) => ({
            jobId: `job-${String((m * perMessage + j) % jobsCount).padStart(5, '0')}`,
            slotStart: new Date(slotMs).toISOString(),
            minutes: 60 as const,
            gpuHours: 4,
            energyKwh: 3.4,
          })),
        },
      };
    });
    const t0 = performance.now();
    // ~30 KB per message: 20 per request stays below the broker's default 1 MiB request size.
    for (let i = 0; i < messages.length; i += 20)
      await producer.send(topics.usage, messages.slice(i, i + 20));
    const sentMs = performance.now() - t0;

    const window = async (done: () => Promise<number>, what: string) => {
      let t10: number | null = null;
      for (;;) {
        const n = await done();
        if (t10 === null && n >= usageRows * 0.1) t10 = performance.now();
        if (n >= usageRows) return (performance.now() - t10!) / 1000;
        if (t10 !== null && performance.now() - t10 > 600_000)
          throw new Error(`${what}: only ${n}/${usageRows} rows after 10 minutes`);
        await sleep(20);
      }
    };
    // Reference: consume and parse only.
    const raw = kafka.consumer({
      groupId: `bench-loop-raw-${suffix}`,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
    });
    let parsed = 0;
    await raw.connect();
    await raw.subscribe({ topic: topics.usage, fromBeginning: true });
    await raw.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages)
          parsed += (JSON.parse(m.value!.toString()) as { rows: unknown[] }).rows.length;
        await Promise.resolve();
      },
    });
    const rawSeconds = await window(() => Promise.resolve(parsed), 'raw consumer');
    await raw.disconnect();

    ingest = startIngest();
    await waitReady(ingest, INGEST_PORT);
    const ingestSeconds = await window(() => ingestCounter('gridshift_ingest_usage_rows_total'), 'ingest');
    const stored = await countRows(ds, 'usage_reports');
    if (stored !== usageRows) throw new Error(`usage: ${stored} rows stored, expected ${usageRows}`);
    process.stdout.write(`  usage ingest: 90 % of ${usageRows} rows in ${ingestSeconds.toFixed(2)} s\n`);
    return [
      {
        metric: 'usage_ingest_rows_per_s',
        value: Math.round((usageRows * 0.9) / ingestSeconds),
        unit: 'rows/s',
      },
      {
        metric: 'usage_raw_consume_rows_per_s',
        value: Math.round((usageRows * 0.9) / rawSeconds),
        unit: 'rows/s',
      },
      { metric: 'usage_ingest_rows', value: usageRows, unit: 'rows' },
      { metric: 'usage_produce_ms', value: Math.round(sentMs), unit: 'ms' },
    ];
  }

  /**
   * 3. A month of hourly usage (monthJobs jobs, each in one cluster per hour) → the measured-savings report (the
   * admin API's reporter in process), median of three: cold (a new reporter, nothing remembered), repeated (a
   * reporter that made the same report before: each day's baselines come from its memo), and the reads alone
   * (the report's SQL and row decoding); with the bench process's CPU time during the cold report.
   */
  async function monthReport(): Promise<MetricRow[]> {
    const monthStart = Math.floor((h0 - 30 * 24 * HOUR_MS) / (24 * HOUR_MS)) * 24 * HOUR_MS;
    const monthEnd = monthStart + 30 * 24 * HOUR_MS;
    const usageRepo = new UsageRepository(ds);
    const month: UsageRow[] = [];
    for (let t = monthStart; t < monthEnd; t += HOUR_MS) {
      for (let j = 0; j < monthJobs; j += 1) {
        const gpuHours = 2 + ((j * 7 + t / HOUR_MS) % 5);
        month.push({
          clusterId: clusters[(j + Math.floor(t / HOUR_MS)) % clusters.length]!.id,
          jobId: `job-${String(j).padStart(5, '0')}`,
          slotStart: new Date(t).toISOString(),
          minutes: 60,
          gpuHours,
          energyKwh: gpuHours * 0.84,
          observedAt: new Date(t + HOUR_MS).toISOString(),
          messageId: null,
        });
      }
    }
    await step('store the month', () => usageRepo.store(month));
    const prices = new PriceRepository(ds);
    await prices.upsert(
      zones.flatMap((zone) =>
        Array.from({ length: 30 * 24 }, (_, h) => ({
          zone,
          market: 'day_ahead',
          partnerId: 'bench',
          intervalStartUtc: new Date(monthStart + h * HOUR_MS).toISOString(),
          intervalMinutes: 60,
          pricePerMwhBase: zonePrice(zone, h % 24),
          priceOriginal: null,
          currencyOriginal: 'USD',
          carbonGPerKwh: null,
          coverageMinutes: 60,
          issuedAt: new Date(monthStart - 12 * HOUR_MS).toISOString(),
          messageId: null,
        })),
      ),
    );
    await step('analyze', () => analyzeSchema(ds));
    const monthJobIds = [...new Set(month.map((r) => r.jobId))];
    const from = new Date(monthStart);
    const to = new Date(monthEnd);
    const coldCpuMs: number[] = [];
    const timed = async (reporter: MeasuredSavingsReporter, cpu?: number[]) => {
      const t = performance.now();
      const c = process.cpuUsage();
      const report = await reporter.report(from, to, 'day');
      const used = process.cpuUsage(c);
      if (report.rows.length !== 30) throw new Error(`report has ${report.rows.length} days, expected 30`);
      cpu?.push((used.user + used.system) / 1000);
      return performance.now() - t;
    };
    const coldMs: number[] = [];
    const repeatMs: number[] = [];
    const readsMs: number[] = [];
    const warm = new MeasuredSavingsReporter(ds);
    await step('first report', () => timed(warm));
    for (let run = 0; run < 3; run += 1) {
      // Cold: a new reporter (nothing remembered); repeat: the same report again from a reporter that made it.
      coldMs.push(await step(`cold ${run + 1}`, () => timed(new MeasuredSavingsReporter(ds), coldCpuMs)));
      repeatMs.push(await step(`repeat ${run + 1}`, () => timed(warm)));
      const t = performance.now();
      await step(`reads ${run + 1}`, () =>
        Promise.all([
          usageRepo.realized(from, to),
          usageRepo.plannedInForce(from, to),
          usageRepo.clustersForMeasurement(new Date(monthStart - 86_400_000), to),
          usageRepo.jobsForMeasurement(monthJobIds),
          usageRepo.planCurrency(),
          usageRepo.pricesPaid(zones, from, to),
        ]),
      );
      readsMs.push(performance.now() - t);
    }
    if (sampler) {
      usageReadPlan = await usageRepo.explainRealized(from, to);
      usageStats = await probe.columnStats('usage_reports');
    }
    return [
      { metric: 'measured_report_month_ms', value: Math.round(percentile(coldMs, 50)), unit: 'ms' },
      // The bench process's CPU time during the cold report (decoding the rows and the pure part; PostgreSQL's
      // share is not in it): steadier than the wall clock on a loaded machine.
      {
        metric: 'measured_report_month_cpu_ms',
        value: Math.round(percentile(coldCpuMs, 50)),
        unit: 'ms',
      },
      { metric: 'measured_report_month_repeat_ms', value: Math.round(percentile(repeatMs, 50)), unit: 'ms' },
      { metric: 'measured_report_month_reads_ms', value: Math.round(percentile(readsMs, 50)), unit: 'ms' },
      { metric: 'measured_report_month_rows', value: month.length, unit: 'usage rows' },
    ];
  }

  /**
   * 4. The usage repository's store alone, in calls of 20,250 rows (81 cluster-hours of 250 jobs) in their own
   * transactions, `rounds` × 3 calls per case: fresh (nothing stored), replay (the same calls again: nothing
   * written) and mixed (fresh rows with a redelivered message — the previous call's last 250 rows — at the end).
   * Wall clock and CPU time (this process plus the PostgreSQL backend serving the call, from /proc), median per case.
   */
  async function storeCases(rounds = 3): Promise<MetricRow[]> {
    const usageRepo = new UsageRepository(ds);
    const perCall = 20_250;
    let baseMs = h0 - 400 * 24 * HOUR_MS;
    const call = (): UsageRow[] => {
      const out = Array.from({ length: perCall }, (_, i) => {
        const slotMs = baseMs + Math.floor(i / 250) * HOUR_MS;
        return {
          clusterId: clusters[Math.floor(i / 250) % clusters.length]!.id,
          jobId: `job-${String(i % 250).padStart(5, '0')}`,
          slotStart: new Date(slotMs).toISOString(),
          minutes: 60,
          gpuHours: 4,
          energyKwh: 3.4,
          observedAt: new Date(slotMs + HOUR_MS).toISOString(),
          messageId: null,
        };
      });
      baseMs += (perCall / 250) * HOUR_MS;
      return out;
    };
    const backendCpuMs = (pid: number) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
    };
    const timeCalls = async (calls: UsageRow[][], wall: number[], cpu: number[]) => {
      let written = 0;
      const t = performance.now();
      let cpuMs = 0;
      for (const rows of calls)
        written += await ds.transaction(async (tx) => {
          const pid = await probe.backendPid(tx);
          const c = process.cpuUsage();
          const b = backendCpuMs(pid);
          const n = await usageRepo.store(rows, tx);
          const used = process.cpuUsage(c);
          cpuMs += backendCpuMs(pid) - b + (used.user + used.system) / 1000;
          return n;
        });
      wall.push(performance.now() - t);
      cpu.push(cpuMs);
      return written;
    };
    const cases = { fresh: [[], []], replay: [[], []], mixed: [[], []] } as Record<
      string,
      [number[], number[]]
    >;
    for (let round = 0; round < rounds; round += 1) {
      const calls = Array.from({ length: 3 }, call);
      if ((await timeCalls(calls, ...cases.fresh!)) !== 3 * perCall)
        throw new Error('store: fresh rows lost');
      if ((await timeCalls(calls, ...cases.replay!)) !== 0) throw new Error('store: a replay wrote rows');
      const mixed = Array.from({ length: 3 }, call).map((rows, i, all) => [
        ...rows,
        ...(i === 0 ? calls[2]! : all[i - 1]!).slice(-250),
      ]);
      if ((await timeCalls(mixed, ...cases.mixed!)) !== 3 * perCall)
        throw new Error('store: mixed rows lost');
    }
    return Object.entries(cases).flatMap(([name, [wall, cpu]]) => [
      { metric: `usage_store_${name}_ms`, value: Math.round(percentile(wall, 50)), unit: 'ms per 3 calls' },
      {
        metric: `usage_store_${name}_cpu_ms`,
        value: Math.round(percentile(cpu, 50)),
        unit: 'ms per 3 calls',
      },
    ]);
  }

  try {
    if (phases.has('ack')) {
      ingest = startIngest();
      planner = startNode('dist/apps/planner/src/main.js', {
        ...common,
        PORT: '23198',
        PLANNER_CRON: '0 0 1 1 *',
        PLANNER_AUTO_APPROVE_MAX_MOVED_PCT: '100',
        PLANNER_AUTO_APPROVE_MAX_COST_INCREASE_PCT: '1000000',
        // Usage below is synthetic and unrelated to the plans: no drift re-plans during the measurement.
        PLANNER_DRIFT_MIN_GPU_HOURS: '1000000000',
      });
      await waitReady(ingest, INGEST_PORT);
      await waitReady(planner, 23198);
      await Promise.all(agents.map((a) => a.start()));
      rows.push(...(await ackRoundTrip()));
      process.stdout.write(`  ${JSON.stringify(rows)}\n`);
      // The usage phase measures the ingest alone, on a backlog.
      await planner.stop();
      planner = null;
    }
    if (phases.has('usage')) rows.push(...(await usageIngest()));
    if (phases.has('report')) rows.push(...(await monthReport()));
    if (phases.has('store')) rows.push(...(await storeCases()));
  } finally {
    await producer.disconnect();
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all([planner?.stop(), ingest?.stop()]);
    await samplerDs?.destroy();
    await dropSchema(ds).catch(() => undefined);
    await ds.destroy();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: allTopics }).catch(() => undefined);
    await admin.disconnect();
  }
  process.stdout.write(`\n| metric | value | unit |\n|---|---:|---|\n`);
  for (const r of rows)
    process.stdout.write(`| ${r.metric} | ${r.value.toLocaleString('en-US')} | ${r.unit} |\n`);
  process.stdout.write(
    `\n(${jobsCount} jobs × ${clustersCount} clusters × ${SLOTS} slots, ${clustersCount} agents, ${samples} re-plans)\n`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
  if (sampler && args.diagnose) {
    writeFileSync(
      args.diagnose,
      `${JSON.stringify({ steps: sampler.records, usageReadPlan, usageStats, samples: sampler.rawSamples }, null, 1)}\n`,
    );
    process.stdout.write(
      `\nWhat ran during each step (--diagnose; samples of pg_stat_activity every ~20 ms):\n`,
    );
    for (const r of sampler.records) {
      const busy = ((100 * r.machineBusyMs) / Math.max(1, r.machineTotalMs)).toFixed(0);
      process.stdout.write(
        `\n## ${r.step}: ${r.ms} ms, machine ${busy} % busy, ${r.samples} samples; counters ${JSON.stringify(r.counters)}\n`,
      );
      const groups = Object.entries(r.cpuByGroup).sort((a, b) => b[1] - a[1]);
      for (const [group, ms] of groups.slice(0, 8))
        process.stdout.write(`  cpu ${String(Math.round(ms)).padStart(6)} ms  ${group}\n`);
      const waits = Object.entries(r.waits).sort((a, b) => b[1] - a[1]);
      for (const [what, n] of waits.slice(0, 10))
        process.stdout.write(`  seen ${String(n).padStart(5)} ×  ${what}\n`);
    }
    process.stdout.write(`\nusage read plan:\n  ${usageReadPlan.join('\n  ')}\n`);
    process.stdout.write(`usage_reports statistics: ${JSON.stringify(usageStats)}\n`);
  }
}

runCli(usage, main);
