/**
 * Schedules through the admin API over HTTP, against real PostgreSQL and Kafka: detail, diff and savings
 * figures checked against sums computed here, independently, from the stored placements and the fixture
 * prices; approve → placement orders on Kafka (published by apps/planner's outbox relay), reject → none;
 * the audit log shows both.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSchedule,
  type FixtureCluster,
  insertSchedule,
  movedCopy,
  type ScheduleFixture,
} from '../../apps/admin-api/test-support/schedule-fixtures.js';
import { SavingsReportSchema } from '../../apps/admin-api/src/reports/savings.schemas.js';
import {
  DiffSchema,
  ScheduleDetailSchema,
  SchedulePageSchema,
} from '../../apps/admin-api/src/schedules/schedules.schemas.js';
import { freshSchema, services, testKafka, uniqueSuffix } from '../support/harness.js';
import { type RunningProcess, startNode, waitForHttp } from '../support/processes.js';

const PORT = 23150;
const PLANNER_PORT = 23151;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = `bootstrap-${randomBytes(24).toString('hex')}`;
const H = 3_600_000;
const H0 = Date.parse('2024-03-02T00:00:00.000Z');
const at = (hours: number) => new Date(H0 + hours * H).toISOString();
const CLEAN_STOP: (number | string)[] = [0, 'SIGTERM']; // Nest 12 re-raises the signal after a graceful close.

let db: DataSource;
let drop: () => Promise<void>;
let schema: string;
let api: RunningProcess;
let operatorKey = '';
let viewerKey = '';
const prefix = `t-${uniqueSuffix()}.`;

// Delivered history: A (v9) then B (v10) then C (v11, in force); D (v12) a draft moving 20% of the jobs; E (v13) to reject.
let A: ScheduleFixture;
let B: ScheduleFixture;
let C: ScheduleFixture;
let D: ScheduleFixture;
let E: ScheduleFixture;

async function get<T>(path: string, key = viewerKey): Promise<T> {
  const res = await fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as T;
  if (res.status !== 200) throw new Error(`${path} → ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function post(
  path: string,
  body: unknown,
  key = operatorKey,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

interface StoredPlacement {
  job_id: string;
  cluster_id: string;
  slot_start: Date;
  gpus: number;
  gpu_hours: number;
}
const stored = (id: string) =>
  db.query<StoredPlacement[]>(
    `select job_id, cluster_id, slot_start, gpus, gpu_hours from placements where schedule_id = $1`,
    [id],
  );

/** Energy cost of one GPU-hour at a fixture's price: kW × PUE × EUR/MWh ÷ 1000. */
function pricePerGpuHour(f: ScheduleFixture, clusterId: string, slotMs: number): number {
  const cluster: FixtureCluster = f.clusters.find((c) => c.id === clusterId)!;
  const t = f.slotStartsUtc.findIndex((s) => Date.parse(s) === slotMs);
  expect(t).toBeGreaterThanOrEqual(0);
  return (cluster.kwPerGpu * cluster.pue * cluster.pricePerMwh[t]!) / 1000;
}

/** A savings report's comparison with one baseline (the fields read here). */
interface Compared {
  comparable: boolean;
  excludedSchedules: number;
  baselineServedGpuHours: number;
  baselineCost: number | null;
  amount: number | null;
}

const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));

beforeAll(async () => {
  const fresh = await freshSchema(import.meta.filename);
  db = fresh.dataSource;
  drop = fresh.drop;
  schema = fresh.schema;
  A = buildSchedule({
    seed: 9,
    jobs: 40,
    clusters: 6,
    slots: 24,
    horizonStart: at(-24),
    status: 'superseded',
    version: 9,
    publishedAt: at(-25),
  });
  B = buildSchedule({
    seed: 10,
    jobs: 40,
    clusters: 6,
    slots: 24,
    horizonStart: at(-6),
    status: 'superseded',
    version: 10,
    publishedAt: at(-5.5),
  });
  C = buildSchedule({
    seed: 11,
    jobs: 40,
    clusters: 6,
    slots: 24,
    horizonStart: at(0),
    status: 'published',
    version: 11,
    publishedAt: at(0.5),
  });
  D = movedCopy(C, { seed: 12, share: 0.2, version: 12, status: 'draft', horizonShiftSlots: 2 });
  E = buildSchedule({
    seed: 13,
    jobs: 10,
    clusters: 3,
    slots: 24,
    horizonStart: at(3),
    status: 'draft',
    version: 13,
  });
  for (const f of [A, B, C, D, E]) await insertSchedule(db, f);

  const { databaseUrl, kafkaBrokers } = services();
  api = startNode('dist/apps/admin-api/src/main.js', {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    PORT: String(PORT),
    ADMIN_BOOTSTRAP_KEY: ADMIN,
    LOG_LEVEL: 'warn',
  });
  await waitForHttp(`${BASE}/health`, 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${api.output()}`);
  });
  operatorKey = (
    (await post('/api-keys', { name: 'ops-alice', role: 'operator' }, ADMIN)).json as { key: string }
  ).key;
  viewerKey = ((await post('/api-keys', { name: 'grafana', role: 'viewer' }, ADMIN)).json as { key: string })
    .key;
});

afterAll(async () => {
  try {
    if (api) expect(CLEAN_STOP).toContain(await api.stop('SIGTERM'));
  } finally {
    await drop?.();
  }
});

describe('schedule list and detail', () => {
  it('answers in the documented shapes (the OpenAPI schemas)', async () => {
    // The list rows and summaries are built by PostgreSQL: hold them to the documented zod schemas.
    expect(SchedulePageSchema.strict().safeParse(await get('/schedules?limit=5')).error).toBeUndefined();
    expect(ScheduleDetailSchema.strict().safeParse(await get(`/schedules/${C.id}`)).error).toBeUndefined();
    expect(DiffSchema.strict().safeParse(await get(`/schedules/${D.id}/diff`)).error).toBeUndefined();
    const report = await get(
      `/reports/savings?from=${encodeURIComponent(at(-12))}&to=${encodeURIComponent(at(12))}`,
    );
    expect(SavingsReportSchema.strict().safeParse(report).error).toBeUndefined();
  });

  it('lists by status, newest first, with cursor pages', async () => {
    const drafts = await get<{ items: { id: string; status: string }[] }>('/schedules?status=draft');
    expect(drafts.items.map((s) => s.id).sort()).toEqual([D.id, E.id].sort());
    const first = await get<{ items: { id: string }[]; nextCursor: string | null }>('/schedules?limit=2');
    const second = await get<{ items: { id: string }[]; nextCursor: string | null }>(
      `/schedules?limit=2&cursor=${first.nextCursor}`,
    );
    const third = await get<{ items: { id: string }[]; nextCursor: string | null }>(
      `/schedules?limit=2&cursor=${second.nextCursor}`,
    );
    const ids = [...first.items, ...second.items, ...third.items].map((s) => s.id);
    expect(new Set(ids).size).toBe(5);
    expect(third.nextCursor).toBeNull();
    const covering = await get<{ items: { id: string }[] }>(
      `/schedules?covering=${encodeURIComponent(at(-7))}`,
    );
    expect(covering.items.map((s) => s.id)).toEqual([A.id]);
  });

  it('shows costs from placements × snapshot prices, savings against the baselines, assumptions and shortfalls', async () => {
    const detail = await get<{
      costs: {
        energyCost: number;
        totalCost: number;
        gpuHours: number;
        matchesStoredTotals: boolean;
        unpricedCells: number;
      };
      computedSavings: {
        vsHome: { amount: number; baselineCost: number; comparable: boolean; servedGpuHours: number };
        vsGreedy: { amount: number };
      };
      grid: {
        slotStarts: string[];
        clusters: { clusterId: string; gpuHours: number[]; cost: number[]; jobs: number[] }[];
      };
      byCluster: { clusterId: string; gpuHours: number; cost: number }[];
      assumptions: { code: string }[];
      shortfalls: { jobId: string; reasons: { reason: string }[] }[];
    }>(`/schedules/${C.id}`);
    const rows = await stored(C.id);
    let energyCost = 0;
    let gpuHours = 0;
    const cells = new Map<string, { gpuHours: number; cost: number; jobs: number }>();
    for (const p of rows) {
      const cost = p.gpu_hours * pricePerGpuHour(C, p.cluster_id, p.slot_start.getTime());
      energyCost += cost;
      gpuHours += p.gpu_hours;
      const key = `${p.cluster_id}|${p.slot_start.toISOString()}`;
      const cell = cells.get(key) ?? { gpuHours: 0, cost: 0, jobs: 0 };
      cells.set(key, { gpuHours: cell.gpuHours + p.gpu_hours, cost: cell.cost + cost, jobs: cell.jobs + 1 });
    }
    close(detail.costs.energyCost, energyCost);
    close(detail.costs.gpuHours, gpuHours);
    const totalCost = energyCost + C.penaltyCost + C.stabilityCost;
    close(detail.costs.totalCost, totalCost);
    expect(detail.costs.matchesStoredTotals).toBe(true);
    expect(detail.costs.unpricedCells).toBe(0);
    // Savings compare energy + carbon + penalty (stability left out; 0 in these fixtures) of the same work.
    expect(detail.computedSavings.vsHome.comparable).toBe(true);
    close(detail.computedSavings.vsHome.servedGpuHours, gpuHours);
    close(detail.computedSavings.vsHome.amount, C.homeTotalCost - (energyCost + C.penaltyCost));
    close(detail.computedSavings.vsGreedy.amount, C.greedyTotalCost - (energyCost + C.penaltyCost));
    expect(detail.grid.slotStarts).toEqual(C.slotStartsUtc);
    let gridCells = 0;
    for (const row of detail.grid.clusters) {
      detail.grid.slotStarts.forEach((slotStart, t) => {
        const want = cells.get(`${row.clusterId}|${slotStart}`) ?? { gpuHours: 0, cost: 0, jobs: 0 };
        if (want.jobs > 0) gridCells += 1;
        close(row.gpuHours[t]!, want.gpuHours);
        close(row.cost[t]!, want.cost);
        expect(row.jobs[t]).toBe(want.jobs);
      });
    }
    expect(gridCells).toBe(cells.size);
    close(
      detail.byCluster.reduce((sum, c) => sum + c.cost, 0),
      energyCost,
    );
    expect(detail.assumptions.map((a) => a.code)).toEqual(['price-stale']);
    expect(detail.shortfalls[0]).toMatchObject({ jobId: 'job-00000', reasons: [{ reason: 'capacity' }] });
  });

  it('pages through every placement exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: {
        items: { jobId: string; clusterId: string; slotStart: string; cost: number }[];
        nextCursor: string | null;
      } = await get(`/schedules/${C.id}/placements?limit=300${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((p) => `${p.jobId}|${p.clusterId}|${p.slotStart}`));
      cursor = page.nextCursor;
    }
    expect(seen.length).toBe(C.placements.length);
    expect(new Set(seen).size).toBe(C.placements.length);
    const one = await get<{ items: { jobId: string }[] }>(
      `/schedules/${C.id}/placements?jobId=job-00003&clusterId=${C.placements.find((p) => p.jobId === 'job-00003')!.clusterId}`,
    );
    expect(one.items.length).toBeGreaterThan(0);
    expect(one.items.every((p) => p.jobId === 'job-00003')).toBe(true);
  });

  it('explains one job', async () => {
    const job = await get<{ gpuHours: number; placements: unknown[]; explanation: { summary: string } }>(
      `/schedules/${C.id}/jobs/job-00001`,
    );
    const want = C.placements.filter((p) => p.jobId === 'job-00001');
    expect(job.placements).toHaveLength(want.length);
    close(
      job.gpuHours,
      want.reduce((s, p) => s + p.gpuHours, 0),
    );
    expect(job.explanation.summary).toContain('job-00001');
  });
});

describe('diff against the published schedule', () => {
  it('equals the moves, GPU-hours and cost delta computed from the stored placements', async () => {
    const diff = await get<{
      against: { id: string; version: number; status: string };
      window: { from: string; to: string };
      totals: {
        gpuHoursBefore: number;
        gpuHoursAfter: number;
        movedGpuHours: number;
        addedGpuHours: number;
        costBefore: number;
        costAfter: number;
        costDelta: number;
        jobsChanged: number;
      };
      jobs: {
        jobId: string;
        movedGpuHours: number;
        addedGpuHours: number;
        costDelta: number;
        clusters: { clusterId: string; removedGpuHours: number; addedGpuHours: number }[];
      }[];
      page: { total: number };
    }>(`/schedules/${D.id}/diff?limit=5000`);
    expect(diff.against).toEqual({ id: C.id, version: 11, status: 'published' });
    // D starts 2 h after C and ends 2 h after it: they share [C.start + 2 h, C.end).
    expect(diff.window).toEqual({ from: at(2), to: at(24) });
    const from = H0 + 2 * H;
    const to = H0 + 24 * H;
    const cellsOf = async (id: string) => {
      const out = new Map<string, number>();
      for (const p of await stored(id)) {
        const ms = p.slot_start.getTime();
        if (ms < from || ms >= to) continue;
        out.set(`${p.job_id}|${p.cluster_id}|${ms}`, p.gpu_hours);
      }
      return out;
    };
    const before = await cellsOf(C.id);
    const after = await cellsOf(D.id);
    let moved = 0;
    let added = 0;
    let costBefore = 0;
    let costAfter = 0;
    const perJob = new Map<string, { moved: number; added: number; costDelta: number }>();
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const [jobId, clusterId, ms] = key.split('|') as [string, string, string];
      const b = before.get(key) ?? 0;
      const a = after.get(key) ?? 0;
      // Both sides at D's (the candidate's) prices.
      const price = pricePerGpuHour(D, clusterId, Number(ms));
      costBefore += b * price;
      costAfter += a * price;
      if (a === b) continue;
      moved += Math.max(0, b - a);
      added += Math.max(0, a - b);
      const job = perJob.get(jobId) ?? { moved: 0, added: 0, costDelta: 0 };
      perJob.set(jobId, {
        moved: job.moved + Math.max(0, b - a),
        added: job.added + Math.max(0, a - b),
        costDelta: job.costDelta + (a - b) * price,
      });
    }
    close(
      diff.totals.gpuHoursBefore,
      [...before.values()].reduce((s, v) => s + v, 0),
    );
    close(
      diff.totals.gpuHoursAfter,
      [...after.values()].reduce((s, v) => s + v, 0),
    );
    close(diff.totals.movedGpuHours, moved);
    close(diff.totals.addedGpuHours, added);
    close(diff.totals.costBefore, costBefore);
    close(diff.totals.costAfter, costAfter);
    close(diff.totals.costDelta, costAfter - costBefore);
    expect(moved).toBeGreaterThan(0);
    expect(diff.totals.jobsChanged).toBe(perJob.size);
    expect(diff.page.total).toBe(perJob.size);
    for (const job of diff.jobs) {
      const want = perJob.get(job.jobId)!;
      close(job.movedGpuHours, want.moved);
      close(job.addedGpuHours, want.added);
      close(job.costDelta, want.costDelta);
    }
    close(
      diff.jobs.reduce((s, j) => s + j.costDelta, 0),
      costAfter - costBefore,
    );
  });

  it('diffs against any schedule, and pages the job list', async () => {
    const diff = await get<{
      against: { id: string };
      window: { from: string; to: string };
      jobs: unknown[];
      page: { total: number; limit: number };
    }>(`/schedules/${C.id}/diff?against=${B.id}&limit=3&offset=1`);
    expect(diff.against.id).toBe(B.id);
    expect(diff.window).toEqual({ from: at(0), to: at(18) });
    expect(diff.jobs.length).toBeLessThanOrEqual(3);
    expect(diff.page.limit).toBe(3);
  });
});

describe('savings report', () => {
  it('counts each hour once under the schedule in force and equals the sums from the stored placements', async () => {
    const report = await get<{
      schedules: number;
      coveredHours: number;
      totals: {
        gpuHours: number;
        cost: number;
        vsHome: Compared;
        vsGreedy: Compared;
      };
      bySchedule: {
        id: string;
        effectiveSlots: number;
        cost: number;
        vsHome: Compared;
      }[];
      byDay: { date: string; cost: number; vsHome: Compared }[];
    }>(`/reports/savings?from=${encodeURIComponent(at(-12))}&to=${encodeURIComponent(at(12))}`);
    // In force: A for [-12 h, -6 h) (B was published at -5.5 h, inside B's first slot [-6 h, -5 h)), B for [-6 h, 0), C for [0, 12 h).
    const parts: { f: ScheduleFixture; from: number; to: number }[] = [
      { f: A, from: -12, to: -6 },
      { f: B, from: -6, to: 0 },
      { f: C, from: 0, to: 12 },
    ];
    let gpuHours = 0;
    let cost = 0;
    let homeCost = 0;
    let greedyCost = 0;
    for (const { f, from, to } of parts) {
      const rows = await stored(f.id);
      const served = rows.reduce((s, p) => s + p.gpu_hours, 0);
      const inForce = rows.filter(
        (p) => p.slot_start.getTime() >= H0 + from * H && p.slot_start.getTime() < H0 + to * H,
      );
      const effectiveGpuHours = inForce.reduce((s, p) => s + p.gpu_hours, 0);
      const energy = inForce.reduce(
        (s, p) => s + p.gpu_hours * pricePerGpuHour(f, p.cluster_id, p.slot_start.getTime()),
        0,
      );
      const share = effectiveGpuHours / served;
      // Energy + penalty (stability is not a cost of the work); baselines serve the same work in these fixtures.
      const scheduleCost = energy + f.penaltyCost * share;
      const row = report.bySchedule.find((s) => s.id === f.id)!;
      expect(row.effectiveSlots).toBe(to - from);
      close(row.cost, scheduleCost);
      expect(row.vsHome.comparable).toBe(true);
      close(row.vsHome.baselineCost!, f.homeTotalCost * share);
      close(row.vsHome.baselineServedGpuHours, served * share);
      close(row.vsHome.amount!, f.homeTotalCost * share - scheduleCost);
      gpuHours += effectiveGpuHours;
      cost += scheduleCost;
      homeCost += f.homeTotalCost * share;
      greedyCost += f.greedyTotalCost * share;
    }
    expect(report.schedules).toBe(3);
    expect(report.coveredHours).toBe(24);
    close(report.totals.gpuHours, gpuHours);
    close(report.totals.cost, cost);
    expect(report.totals.vsHome).toMatchObject({ comparable: true, excludedSchedules: 0 });
    close(report.totals.vsHome.baselineCost!, homeCost);
    close(report.totals.vsGreedy.baselineCost!, greedyCost);
    close(report.totals.vsHome.amount!, homeCost - cost);
    close(report.totals.vsGreedy.amount!, greedyCost - cost);
    close(
      report.byDay.reduce((s, d) => s + d.vsHome.amount!, 0),
      homeCost - cost,
    );
    expect(report.byDay.map((d) => d.date)).toEqual(['2024-03-01', '2024-03-02']);
    close(
      report.byDay.reduce((s, d) => s + d.cost, 0),
      cost,
    );
  });

  it('gives a schedule in force for its whole horizon exactly its stored savings', async () => {
    const report = await get<{
      bySchedule: { id: string; vsHome: Compared; vsGreedy: Compared; share: number }[];
    }>(`/reports/savings?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(24))}`);
    expect(report.bySchedule.map((s) => s.id)).toEqual([C.id]);
    const c = report.bySchedule[0]!;
    close(c.share, 1);
    const row = (
      await db.query<{ savings: { vsHome: { amount: number }; vsGreedy: { amount: number } } }[]>(
        `select savings from schedules where id = $1`,
        [C.id],
      )
    )[0]!;
    close(c.vsHome.amount!, row.savings.vsHome.amount);
    close(c.vsGreedy.amount!, row.savings.vsGreedy.amount);
  });
});

describe('approve and reject', () => {
  let planner: RunningProcess | undefined;
  let consumer: Consumer | undefined;

  afterAll(async () => {
    await consumer?.disconnect();
    if (planner) expect(CLEAN_STOP).toContain(await planner.stop('SIGTERM'));
  });

  it('approve → one placement order per cluster on Kafka; reject → none; both in the audit log', async () => {
    const { databaseUrl, kafkaBrokers } = services();
    const topic = `${prefix}gridshift.placements.v1`;
    const received: {
      key: string;
      value: {
        scheduleId: string;
        scheduleVersion: number;
        clusterId: string;
        slots: { start: string; assignments: { jobId: string; gpus: number }[] }[];
      };
    }[] = [];
    consumer = testKafka().consumer({ groupId: `admin-e2e-${uniqueSuffix()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        received.push({
          key: message.key!.toString(),
          value: JSON.parse(message.value!.toString()) as (typeof received)[number]['value'],
        });
        return Promise.resolve();
      },
    });

    const approve = (await post(`/schedules/${D.id}/approve`, { reason: 'checked the diff' })) as {
      status: number;
      json: { approvedBy: string };
    };
    expect(approve.status).toBe(200);
    expect(approve.json).toMatchObject({ id: D.id, status: 'approved' });
    expect(approve.json.approvedBy).toMatch(/^ops-alice \[gsk_[0-9a-f]{8}\]$/);
    const reject = await post(`/schedules/${E.id}/reject`, { reason: 'moves too much' });
    expect(reject.status).toBe(200);
    expect(reject.json).toMatchObject({ id: E.id, status: 'rejected', rejectedReason: 'moves too much' });
    expect((await post(`/schedules/${E.id}/approve`, {})).status).toBe(409);

    // The planner's outbox relay publishes the approved schedule's orders.
    planner = startNode('dist/apps/planner/src/main.js', {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      PORT: String(PLANNER_PORT),
      PLANNER_CRON: '0 0 1 1 *',
      PLANNER_APPROVAL_MODE: 'manual',
      LOG_LEVEL: 'warn',
    });
    const clusters = new Set(D.placements.map((p) => p.clusterId));
    const deadline = Date.now() + 60_000;
    while (
      received.filter((m) => m.value.scheduleId === D.id).length < clusters.size &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const orders = received.filter((m) => m.value.scheduleId === D.id);
    expect(orders.map((o) => o.key).sort(), planner.output().slice(-2000)).toEqual([...clusters].sort());
    for (const order of orders) {
      expect(order.key).toBe(order.value.clusterId);
      expect(order.value.scheduleVersion).toBe(12);
      const gpus = order.value.slots
        .flatMap((s) => s.assignments.map((a) => `${a.jobId}|${Date.parse(s.start)}|${a.gpus}`))
        .sort();
      const want = D.placements
        .filter((p) => p.clusterId === order.key && p.gpus > 0)
        .map((p) => `${p.jobId}|${Date.parse(p.slotStart)}|${p.gpus}`)
        .sort();
      expect(gpus).toEqual(want);
    }
    // Nothing for the rejected schedule, now or after the relay had time to send it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(received.filter((m) => m.value.scheduleId === E.id)).toEqual([]);
    expect(await db.query(`select 1 from outbox where schedule_id = $1`, [E.id])).toEqual([]);
    // The relay marks D published once its orders are out; C is superseded.
    const deadlinePublished = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadlinePublished) {
      status = (await get<{ status: string }>(`/schedules/${D.id}`)).status;
      if (status === 'published') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe('published');
    expect((await get<{ status: string }>(`/schedules/${C.id}`)).status).toBe('superseded');

    const audit = await get<{
      items: {
        action: string;
        targetId: string;
        actor: string;
        reason: string | null;
        before: unknown;
        after: unknown;
      }[];
    }>('/audit-log?targetType=schedule');
    const approved = audit.items.find((a) => a.action === 'schedule.approve' && a.targetId === D.id);
    const rejected = audit.items.find((a) => a.action === 'schedule.reject' && a.targetId === E.id);
    expect(approved).toMatchObject({
      reason: 'checked the diff',
      before: { status: 'draft' },
      after: { status: 'approved' },
    });
    expect(rejected).toMatchObject({
      reason: 'moves too much',
      before: { status: 'draft' },
      after: { status: 'rejected' },
    });
    expect([approved?.actor, rejected?.actor]).toEqual([approve.json.approvedBy, approve.json.approvedBy]);
  });
});
