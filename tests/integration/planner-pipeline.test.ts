import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { decodePlacementOrder, type PlacementOrderV1 } from '#gridshift/contracts';
import { ensureTopics } from '#gridshift/messaging';
import { createLogger } from '#gridshift/observability';
import { LoadRepository, PlacementCellRepository, PriceRepository, queryRows } from '#gridshift/persistence';
import {
  DEFAULT_APPROVAL_POLICY,
  DEFAULT_PLANNING_SETTINGS,
  getPlanRequest,
  InvalidScheduleTransitionError,
  isStaleEpochError,
  loadSchedule,
  loadPlacements,
  loadScheduleExplainer,
  OutboxRelay,
  Planner,
  requestPlan,
  runWhatIf,
  ScheduleLifecycle,
  ScheduleNotFoundError,
  snapshotHash,
  solveInThread,
  summarizeMoves,
  type InputSnapshot,
  type PlanOutcome,
} from '#gridshift/scheduling';
import { freshSchema, testKafka, uniqueSuffix } from '../support/harness.js';
import { currentHourMs, HOUR_MS, seedClusters, seedJobs, type ClusterSeed } from './planner-fixtures.js';

const logger = createLogger({ name: 'test', level: 'warn', format: 'json' });
const now = new Date(currentHourMs() + 5 * 60_000);
const h0 = currentHourMs(now.getTime());

const clusters: ClusterSeed[] = [
  { id: 'fra-1', zone: 'DE-LU', region: 'eu', gpuModel: 'H100', gpuTotal: 64, kwPerGpu: 0.7, pue: 1.2 },
  { id: 'par-1', zone: 'FR', region: 'eu', gpuModel: 'H100', gpuTotal: 64, kwPerGpu: 0.7, pue: 1.2 },
  { id: 'mad-1', zone: 'ES', region: 'eu', gpuModel: 'A100', gpuTotal: 32, kwPerGpu: 0.5, pue: 1.3 },
];

let db: DataSource;
let drop: () => Promise<void>;
let epoch = 0;

async function bumpEpoch(): Promise<number> {
  const rows = await queryRows<{ epoch: string }>(
    db,
    `update planner_leases set epoch = epoch + 1, holder = 'test' where name = 'planner' returning epoch::text as epoch`,
  );
  return (epoch = Number(rows[0]!.epoch));
}

async function putPrices(
  zone: string,
  market: string,
  fromMs: number,
  prices: number[],
  issuedAtMs = Date.now(),
) {
  await new PriceRepository(db).upsert(
    prices.map((price, i) => ({
      zone,
      market,
      partnerId: 'p1',
      intervalStartUtc: new Date(fromMs + i * HOUR_MS).toISOString(),
      intervalMinutes: 60,
      pricePerMwhBase: price,
      priceOriginal: price,
      currencyOriginal: 'USD',
      carbonGPerKwh: null,
      coverageMinutes: 60,
      issuedAt: new Date(issuedAtMs).toISOString(),
      messageId: null,
    })),
  );
}

async function putLoad(cluster: ClusterSeed, schedulable: number, atMs = now.getTime() - 60_000) {
  await new LoadRepository(db).append([
    {
      clusterId: cluster.id,
      region: cluster.region,
      zone: cluster.zone,
      observedAt: new Date(atMs).toISOString(),
      gpuModel: cluster.gpuModel,
      gpuTotal: cluster.gpuTotal,
      gpuBusy: cluster.gpuTotal - schedulable,
      gpuSchedulable: schedulable,
      powerKw: 10,
      powerCapKw: null,
      pue: cluster.pue,
      messageId: null,
    },
  ]);
}

function planner(overrides: Partial<typeof DEFAULT_APPROVAL_POLICY> = {}) {
  return new Planner(db, {
    settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 6 },
    approval: { ...DEFAULT_APPROVAL_POLICY, ...overrides },
    solve: solveInThread,
    now: () => now,
  });
}

function stored(outcome: PlanOutcome) {
  if (outcome.status !== 'stored') throw new Error(`plan skipped: ${outcome.reason}`);
  return outcome;
}

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await seedClusters(db, clusters);
  await seedJobs(db, [
    // 2,400 tokens/s per H100 → 2,400 × 3,600 = 8.64 M tokens per GPU-hour; 69.12 M tokens/h = 8 GPUs.
    {
      id: 'chat-eu',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400 },
      tokensPerHour: 69_120_000,
      maxGpus: 16,
    },
    // Batch: 4 GPU-hours on an A100 at 1,000 tokens/s = 14.4 M tokens, due in 4 h; may only run in Spain.
    {
      id: 'embed-es',
      kind: 'batch',
      tokensPerSecondPerGpu: { A100: 1000 },
      totalTokens: 14_400_000,
      deadline: new Date(h0 + 4 * HOUR_MS).toISOString(),
      residency: ['ES'],
      maxGpus: 4,
    },
    // Pinned away from France.
    {
      id: 'pinned',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400 },
      tokensPerHour: 8_640_000,
      maxGpus: 2,
      pins: { mustNotRunIn: ['par-1'] },
    },
  ]);
  // France is cheaper than Germany every hour; Spain has only forecasts, issued 3 days ago.
  await putPrices('DE-LU', 'day_ahead', h0, [90, 95, 100, 100, 95, 90]);
  await putPrices('FR', 'day_ahead', h0, [40, 45, 50, 50, 45, 40]);
  await putPrices('ES', 'forecast', h0 - 2 * HOUR_MS, [60, 60, 60, 60], now.getTime() - 72 * HOUR_MS);
  for (const c of clusters) await putLoad(c, c.gpuTotal / 2);
  epoch = await bumpEpoch();
});

afterAll(async () => {
  await drop();
});

describe('planner pipeline on real PostgreSQL', () => {
  let firstId = '';

  it('plans, stores, auto-approves the first schedule and writes one order per affected cluster', async () => {
    const outcome = stored(await planner().plan('manual', { epoch }));
    expect(outcome.version).toBe(1);
    expect(outcome.scheduleStatus).toBe('approved');
    expect(outcome.decision.reasons).toEqual(['first schedule: nothing in force to compare with']);
    firstId = outcome.scheduleId;

    const schedule = await loadSchedule(db, firstId, { snapshot: true });
    expect(schedule.status).toBe('approved');
    expect(schedule.leaderEpoch).toBe(epoch);
    expect(schedule.inputHash).toBe(snapshotHash(schedule.inputSnapshot as InputSnapshot));
    // Stored savings compare the same work (libs/placement's Savings); the outcome carries the one vs home.
    expect(schedule.savings.vsHome).toEqual(outcome.savingsVsHome);
    expect(outcome.savingsVsHome!.comparable).toBeTypeOf('boolean');
    expect(outcome.savingsVsHome!.servedGpuHours).toBeCloseTo(schedule.totals.servedGpuHours, 9);
    // chat-eu: 8 GPUs every hour in France (cheapest), pinned job never in France.
    const chat = schedule.placements!.filter((p) => p.jobId === 'chat-eu');
    expect(new Set(chat.map((p) => p.clusterId))).toEqual(new Set(['par-1']));
    expect(chat.map((p) => p.gpus)).toEqual([8, 8, 8, 8, 8, 8]);
    const pinned = schedule.placements!.filter((p) => p.jobId === 'pinned');
    expect(pinned.every((p) => p.clusterId === 'fra-1')).toBe(true);
    expect(pinned.reduce((s, p) => s + p.gpuHours, 0)).toBeCloseTo(6, 6); // 1 GPU × 6 h
    const embed = schedule.placements!.filter((p) => p.jobId === 'embed-es');
    expect(embed.every((p) => p.clusterId === 'mad-1')).toBe(true);
    expect(embed.reduce((s, p) => s + p.gpuHours, 0)).toBeCloseTo(4, 6);

    // Spain: forecast prices (flagged), issued 72 h ago (stale), carried forward after they end.
    const codes = schedule.assumptions.map(
      (a) => (a as { code: string; zone?: string }).code + ':' + ((a as { zone?: string }).zone ?? ''),
    );
    expect(codes).toEqual(
      expect.arrayContaining(['price-forecast:ES', 'price-stale:ES', 'price-carried-forward:ES']),
    );
    expect(codes.filter((c) => c.endsWith(':DE-LU') || c.endsWith(':FR'))).toEqual([]);

    const outbox = await db.query<
      { cluster_id: string; payload: unknown; leader_epoch: string; message_id: string }[]
    >(
      `select cluster_id, payload, leader_epoch::text, message_id from outbox where schedule_id = $1 order by cluster_id`,
      [firstId],
    );
    expect(outbox.map((o) => o.cluster_id)).toEqual(['fra-1', 'mad-1', 'par-1']);
    for (const row of outbox) {
      const decoded = decodePlacementOrder(row.cluster_id, JSON.stringify(row.payload));
      expect(decoded.ok).toBe(true);
      const order = row.payload as PlacementOrderV1;
      expect(order.scheduleVersion).toBe(1);
      expect(order.supersedesVersion).toBeNull();
      const fromOrder = order.slots
        .flatMap((s) => s.assignments.map((a) => `${a.jobId}@${s.start}=${a.gpus}`))
        .sort();
      const fromTable = schedule
        .placements!.filter((p) => p.clusterId === row.cluster_id)
        .map((p) => `${p.jobId}@${p.slotStartUtc}=${p.gpus}`)
        .sort();
      expect(fromOrder).toEqual(fromTable);
      expect(Number(row.leader_epoch)).toBe(epoch);
    }
    const audit = await db.query<{ action: string; actor: string }[]>(
      `select action, actor from audit_log where target_id = $1`,
      [firstId],
    );
    expect(audit).toEqual([{ action: 'schedule.auto-approve', actor: 'planner' }]);
  });

  it('skips an automatic plan whose inputs did not change, and answers plan requests', async () => {
    const skipped = await planner().plan('cron', { epoch, skipIfUnchanged: true });
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'unchanged' });
    const id = await requestPlan(db, { trigger: 'manual', requestedBy: 'ops', reason: 'test' });
    expect((await getPlanRequest(db, id)).status).toBe('pending');
  });

  it('rejects writes with an older leader epoch (fencing trigger)', async () => {
    const oldEpoch = epoch;
    await bumpEpoch();
    const error = await planner()
      .plan('manual', { epoch: oldEpoch })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isStaleEpochError(error)).toBe(true);
    expect(String(error)).toMatch(/stale leader epoch/);
    const relay = await db
      .transaction(async (m) => {
        await m.query(`select set_config('gridshift.leader_epoch', $1, true)`, [String(oldEpoch)]);
        await m.query(`update outbox set attempts = attempts + 1`);
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isStaleEpochError(relay)).toBe(true);
    const count = await db.query<{ n: number }[]>(`select count(*)::int as n from schedules`);
    expect(count[0]!.n).toBe(1);
  });

  it('keeps a draft when the policy says so; operators approve or reject it with an audit row', async () => {
    // France gets expensive: the plan moves chat-eu to Germany — more than 10% of the work moves.
    await putPrices('FR', 'day_ahead', h0, [400, 400, 400, 400, 400, 400]);
    const draft = stored(await planner({ maxMovedPct: 10 }).plan('price-change', { epoch }));
    expect(draft.scheduleStatus).toBe('draft');
    expect(draft.decision.reasons.join(' ')).toMatch(/would move/);

    // Same jobs, new prices: the re-plan references the job set stored with the first plan.
    const parts = await db.query<{ id: string; input_jobs_hash: string | null }[]>(
      `select id, input_jobs_hash from schedules where id = any($1)`,
      [[firstId, draft.scheduleId]],
    );
    expect(parts).toHaveLength(2);
    expect(parts[0]!.input_jobs_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parts[1]!.input_jobs_hash).toBe(parts[0]!.input_jobs_hash);
    const partCount = await db.query<{ n: string }[]>(`select count(*)::text n from schedule_input_parts`);
    expect(partCount[0]!.n).toBe('1');
    const redrawn = await loadSchedule(db, draft.scheduleId, { snapshot: true, placements: false });
    expect(redrawn.inputHash).toBe(snapshotHash(redrawn.inputSnapshot as InputSnapshot));

    // Explanations, computed on request from each stored schedule: chat-eu went from France to Germany.
    for (const [id, where] of [
      [firstId, 'par-1'],
      [draft.scheduleId, 'fra-1'],
    ] as const) {
      const explainer = (await loadScheduleExplainer(db, id))!;
      const placements = await loadPlacements(db, id);
      const explain = (jobId: string) => explainer(jobId, placements);
      const chat = explain('chat-eu')!;
      expect(chat).toMatchObject({ jobId: 'chat-eu', outcome: 'placed' });
      expect(chat.clusters).toEqual([{ clusterId: where, gpuHours: 48, firstSlot: 0, lastSlot: 5 }]);
      expect(chat.summary).toMatch(
        new RegExp(`^Placed 48\\.00 of 48\\.00 GPU-h in ${where} \\(slots 0–5\\)`),
      );
      // The pinned job runs only in fra-1: mad-1 has A100s it has no rate for, par-1 is pinned away.
      expect(explain('pinned')!.excludedClusters).toEqual([
        { clusterId: 'mad-1', reason: 'not-allowed' },
        { clusterId: 'par-1', reason: 'pinned' },
      ]);
      expect(explain('no-such-job')).toBeNull();
    }
    const lifecycle = new ScheduleLifecycle(db);
    await expect(lifecycle.reject(firstId, { actor: 'ops', reason: 'no' })).rejects.toBeInstanceOf(
      InvalidScheduleTransitionError,
    );
    await expect(
      lifecycle.approve('00000000-0000-0000-0000-000000000000', { actor: 'ops' }),
    ).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const approved = await lifecycle.approve(draft.scheduleId, { actor: 'ops', reason: 'looks right' });
    expect(approved).toMatchObject({ version: 2, status: 'approved', supersedesVersion: 1 });
    const orders = await db.query<{ payload: PlacementOrderV1 }[]>(
      `select payload from outbox where schedule_id = $1 order by cluster_id`,
      [draft.scheduleId],
    );
    expect(orders.map((o) => [o.payload.clusterId, o.payload.supersedesVersion])).toEqual([
      ['fra-1', 1],
      ['mad-1', 1],
      ['par-1', 1],
    ]);
    // par-1 lost everything: its order clears it.
    expect(orders.find((o) => o.payload.clusterId === 'par-1')!.payload.slots).toEqual([]);
    await expect(lifecycle.approve(draft.scheduleId, { actor: 'ops' })).rejects.toMatchObject({
      from: 'approved',
      to: 'approved',
    });

    const third = stored(await planner({ mode: 'manual' }).plan('manual', { epoch }));
    await lifecycle.reject(third.scheduleId, { actor: 'ops', reason: 'not now' });
    const view = await loadSchedule(db, third.scheduleId, { placements: false });
    expect(view).toMatchObject({ status: 'rejected', rejectedBy: 'ops', rejectedReason: 'not now' });
    const audit = await db.query<{ action: string }[]>(`select action from audit_log order by id`);
    expect(audit.map((a) => a.action)).toEqual([
      'schedule.auto-approve',
      'schedule.approve',
      'schedule.reject',
    ]);

    // The diff the admin API shows: changed cells over both horizons, then which jobs moved where.
    const changed = await new PlacementCellRepository(db).changedCells(
      firstId,
      draft.scheduleId,
      new Date(0),
      new Date(8.64e15),
    );
    const diff = summarizeMoves(changed, () => undefined);
    const chat = diff.jobs.find((j) => j.jobId === 'chat-eu')!;
    expect(chat.clusters.map((c) => [c.clusterId, c.removedGpuHours > 0, c.addedGpuHours > 0])).toEqual([
      ['fra-1', false, true],
      ['par-1', true, false],
    ]);
    expect(diff.movedGpuHours).toBeGreaterThanOrEqual(48);
  });

  it('stores what-if plans that are never approved', async () => {
    const whatIf = await runWhatIf(db, {
      scenario: { priceMultiplierByZone: { 'DE-LU': 10 } },
      requestedBy: 'analyst',
      settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 6 },
      now,
      solve: solveInThread,
    });
    expect(whatIf).toMatchObject({ kind: 'what-if', status: 'what-if', version: null });
    expect(whatIf.assumptions.some((a) => (a as { code: string }).code === 'scenario')).toBe(true);
    await expect(new ScheduleLifecycle(db).approve(whatIf.id, { actor: 'ops' })).rejects.toBeInstanceOf(
      InvalidScheduleTransitionError,
    );
    await expect(
      runWhatIf(db, {
        scenario: { priceMultiplierByZone: { XX: 2 } },
        requestedBy: 'a',
        now,
        solve: solveInThread,
      }),
    ).rejects.toThrow(/unknown zone XX/);
  });

  it('relays the outbox to Kafka in version order and marks schedules published', async () => {
    const prefix = `t-pipe-${uniqueSuffix()}.`;
    const kafka = testKafka();
    await ensureTopics(kafka, [
      { topic: `${prefix}gridshift.placements.v1`, numPartitions: 3, replicationFactor: 1 },
    ]);
    const relay = new OutboxRelay({ dataSource: db, kafka, topicPrefix: prefix, logger, batchSize: 2 });
    await relay.start(epoch);
    try {
      await expect
        .poll(
          async () =>
            (
              await db.query<{ n: number }[]>(
                `select count(*)::int as n from outbox where status = 'pending'`,
              )
            )[0]!.n,
          {
            timeout: 20_000,
          },
        )
        .toBe(0);
    } finally {
      await relay.stop();
    }
    const statuses = await db.query<{ version: number; status: string }[]>(
      `select version, status from schedules where kind = 'plan' order by version`,
    );
    expect(statuses).toEqual([
      { version: 1, status: 'superseded' },
      { version: 2, status: 'published' },
      { version: 3, status: 'rejected' },
    ]);
    const consumer = kafka.consumer({ groupId: `g-${uniqueSuffix()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}gridshift.placements.v1`, fromBeginning: true });
    const seen: { key: string; version: number; id: string }[] = [];
    await consumer.run({
      eachMessage: ({ message }) => {
        const order = JSON.parse(String(message.value)) as PlacementOrderV1;
        seen.push({
          key: String(message.key),
          version: order.scheduleVersion,
          id: String(message.headers?.['message-id']),
        });
        return Promise.resolve();
      },
    });
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(6);
    await consumer.disconnect();
    for (const cluster of ['fra-1', 'mad-1', 'par-1']) {
      expect(seen.filter((s) => s.key === cluster).map((s) => s.version)).toEqual([1, 2]);
    }
  });
});
