import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import {
  normalizeGridEvent,
  validateGridEventMessage,
  type ExchangeRates,
  type GridEventMessageV1,
} from '#gridshift/contracts';
import {
  GridEventRepository,
  LoadRepository,
  PriceRepository,
  queryRows,
  UsageRepository,
  type UsageRow,
} from '#gridshift/persistence';
import {
  DEFAULT_APPROVAL_POLICY,
  DEFAULT_PLANNING_SETTINGS,
  gridEventPerformance,
  loadSchedule,
  Planner,
  solveInThread,
  type PlanOutcome,
} from '#gridshift/scheduling';
import { freshSchema } from '../support/harness.js';
import { currentHourMs, HOUR_MS, seedClusters, seedJobs, type ClusterSeed } from './planner-fixtures.js';

// Arithmetic of the whole file: every cluster draws 0.8 kW per GPU × PUE 1.25 = 1 kW per GPU, so a cap in kW is
// a cap in GPUs. Prices (per MWh, every slot): DE-LU 40, FR 70, ES 100. chat-eu needs 20 GPUs every hour
// (172.8 M tokens/h ÷ (2,400 tokens/s × 3,600 s) = 20 GPU-h) and may run anywhere; without events all of it
// runs in fra-1 (cheapest). Slots: h0 … h0+5 (6 h horizon).

const fx: ExchangeRates = { base: 'USD', perBase: { EUR: 0.925 } };
const now = new Date(currentHourMs() + 5 * 60_000);
const h0 = currentHourMs(now.getTime());
const at = (slot: number) => new Date(h0 + slot * HOUR_MS).toISOString();

const clusters: ClusterSeed[] = [
  { id: 'fra-1', zone: 'DE-LU', region: 'eu', gpuModel: 'H100', gpuTotal: 64, kwPerGpu: 0.8, pue: 1.25 },
  { id: 'mad-1', zone: 'ES', region: 'eu', gpuModel: 'H100', gpuTotal: 64, kwPerGpu: 0.8, pue: 1.25 },
  { id: 'par-1', zone: 'FR', region: 'eu', gpuModel: 'H100', gpuTotal: 64, kwPerGpu: 0.8, pue: 1.25 },
];
const PRICE: Record<string, number> = { 'DE-LU': 40, FR: 70, ES: 100 };

let db: DataSource;
let drop: () => Promise<void>;
let epoch = 0;
let events: GridEventRepository;

/** Solves of the planner, counted (a voluntary event costs one extra solve, not two). */
let solves = 0;

function planner() {
  return new Planner(db, {
    settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 6, stabilityCostPerGpuHour: 0 },
    // Publish every re-plan: the test looks at what each event does, not at the approval policy.
    approval: { ...DEFAULT_APPROVAL_POLICY, maxMovedPct: 100, maxCostIncreasePct: 1e6 },
    solve: (problem, limitMs) => {
      solves += 1;
      return solveInThread(problem, limitMs);
    },
    now: () => now,
  });
}

async function plan(): Promise<Extract<PlanOutcome, { status: 'stored' }>> {
  const outcome = await planner().plan('grid-event', { epoch });
  if (outcome.status !== 'stored') throw new Error(`plan skipped: ${outcome.reason}`);
  expect(outcome.scheduleStatus).toBe('approved');
  return outcome;
}

/** Stores an event the way the ingest does: validated against its key, normalised, newest revision wins. */
async function send(msg: GridEventMessageV1) {
  const decoded = validateGridEventMessage(msg.targets.zones[0]!, msg, { fx });
  if (!decoded.ok) throw new Error(`${decoded.code}: ${decoded.message}`);
  return events.store({ ...normalizeGridEvent(decoded.value, fx), messageId: null });
}

function event(
  eventId: string,
  modificationNumber: number,
  intervals: GridEventMessageV1['intervals'],
  extra: Partial<GridEventMessageV1> = {},
): GridEventMessageV1 {
  return {
    eventId,
    programId: 'tso-flex',
    modificationNumber,
    priority: 1,
    targets: { zones: ['DE-LU'] },
    intervals,
    compliance: 'mandatory',
    ...extra,
  };
}

/** GPUs per cluster in a slot of a schedule. */
async function gpus(scheduleId: string, clusterId: string, slot: number): Promise<number> {
  const rows = await db.query<{ gpus: number }[]>(
    `select coalesce(sum(gpus), 0)::int as gpus from placements
     where schedule_id = $1 and cluster_id = $2 and slot_start = $3`,
    [scheduleId, clusterId, at(slot)],
  );
  return rows[0]!.gpus;
}

async function fraSlots(scheduleId: string): Promise<number[]> {
  return Promise.all([0, 1, 2, 3, 4, 5].map((t) => gpus(scheduleId, 'fra-1', t)));
}

interface GridEventDetails {
  eventId: string;
  honoured: boolean;
  caps: { clusterId: string; slotStartUtc: string; capKw: number }[];
  decision?: { followed: boolean; costIfIgnored: number; costIfFollowed: number; excessMwhIfIgnored: number };
}

async function gridEventAssumptions(scheduleId: string): Promise<GridEventDetails[]> {
  const schedule = await loadSchedule(db, scheduleId);
  return (schedule.assumptions as { code: string; details?: GridEventDetails }[])
    .filter((a) => a.code === 'grid-event')
    .map((a) => a.details!);
}

/** Every stored plan keeps every mandatory cap it recorded: GPUs × 1 kW ≤ cap in each capped cell. */
async function expectCapsKept(): Promise<void> {
  const violations = await db.query<unknown[]>(
    `select s.version, c->>'clusterId' as cluster, c->>'slotStartUtc' as slot, (c->>'capKw')::float8 as cap,
            (select coalesce(sum(p.gpus), 0) from placements p
             where p.schedule_id = s.id and p.cluster_id = c->>'clusterId' and p.slot_start = (c->>'slotStartUtc')::timestamptz) as gpus
     from schedules s cross join lateral jsonb_array_elements(s.assumptions) a
       cross join lateral jsonb_array_elements(a->'details'->'caps') c
     where a->>'code' = 'grid-event'
       and (select coalesce(sum(p.gpus), 0) from placements p
            where p.schedule_id = s.id and p.cluster_id = c->>'clusterId'
              and p.slot_start = (c->>'slotStartUtc')::timestamptz) * 1.0 > (c->>'capKw')::float8 + 1e-9`,
  );
  expect(violations).toEqual([]);
}

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  events = new GridEventRepository(db);
  await seedClusters(db, clusters);
  await seedJobs(db, [
    {
      id: 'chat-eu',
      kind: 'interactive',
      tokensPerSecondPerGpu: { H100: 2400 },
      tokensPerHour: 172_800_000,
      maxGpus: 40,
    },
  ]);
  for (const zone of Object.keys(PRICE)) {
    await new PriceRepository(db).upsert(
      [0, 1, 2, 3, 4, 5].map((t) => ({
        zone,
        market: 'day_ahead',
        partnerId: 'p1',
        intervalStartUtc: at(t),
        intervalMinutes: 60,
        pricePerMwhBase: PRICE[zone]!,
        priceOriginal: PRICE[zone]!,
        currencyOriginal: 'USD',
        carbonGPerKwh: null,
        coverageMinutes: 60,
        issuedAt: new Date(now.getTime() - HOUR_MS).toISOString(),
        messageId: null,
      })),
    );
  }
  await new LoadRepository(db).append(
    clusters.map((c) => ({
      clusterId: c.id,
      region: c.region,
      zone: c.zone,
      observedAt: new Date(now.getTime() - 60_000).toISOString(),
      gpuModel: c.gpuModel,
      gpuTotal: c.gpuTotal,
      gpuBusy: 32,
      gpuSchedulable: 32,
      powerKw: 10,
      powerCapKw: null,
      pue: c.pue,
      messageId: null,
    })),
  );
  const rows = await queryRows<{ epoch: string }>(
    db,
    `update planner_leases set epoch = epoch + 1, holder = 'test' where name = 'planner' returning epoch::text as epoch`,
  );
  epoch = Number(rows[0]!.epoch);
});

afterAll(async () => {
  await drop();
});

describe('grid events on real PostgreSQL', () => {
  let baselineId = '';

  it('plans without events: all of chat-eu in fra-1 (the cheapest zone)', async () => {
    const v1 = await plan();
    baselineId = v1.scheduleId;
    expect(await fraSlots(v1.scheduleId)).toEqual([20, 20, 20, 20, 20, 20]);
    expect(await gridEventAssumptions(v1.scheduleId)).toEqual([]);
  });

  it('a mandatory 50 % reduction caps fra-1 at 10 kW in slots 1–3, moves the rest to par-1 and writes orders', async () => {
    // Baseline (plan in force on arrival) = v1: 20 GPUs = 20 kW → cap 20 × (1 − 0.5) = 10 kW = 10 GPUs.
    expect(
      await send(
        event('evt-a', 0, [
          {
            start: at(1),
            durationMinutes: 180,
            payloads: [{ type: 'LOAD_REDUCTION', value: 50, unit: 'PERCENT' }],
          },
        ]),
      ),
    ).toBe('inserted');
    expect((await events.byId('evt-a'))!.baselineScheduleId).toBe(baselineId);
    const v2 = await plan();
    expect(await fraSlots(v2.scheduleId)).toEqual([20, 10, 10, 10, 20, 20]);
    // The 10 GPUs moved go to par-1 (70 < 100 in Spain).
    expect(await Promise.all([1, 2, 3].map((t) => gpus(v2.scheduleId, 'par-1', t)))).toEqual([10, 10, 10]);
    const [a] = await gridEventAssumptions(v2.scheduleId);
    expect(a).toMatchObject({ eventId: 'evt-a', honoured: true });
    expect(a!.caps.map((c) => [c.clusterId, c.slotStartUtc, c.capKw])).toEqual([
      ['fra-1', at(1), 10],
      ['fra-1', at(2), 10],
      ['fra-1', at(3), 10],
    ]);
    const schedule = await loadSchedule(db, v2.scheduleId);
    expect(schedule.trigger).toBe('grid-event');
    const orders = await db.query<{ cluster_id: string }[]>(
      `select cluster_id from outbox where schedule_id = $1 order by cluster_id`,
      [v2.scheduleId],
    );
    expect(orders.map((o) => o.cluster_id)).toEqual(['fra-1', 'par-1']);
    await expectCapsKept();
  });

  it('a higher modificationNumber replaces the event; older, repeated and conflicting revisions do not', async () => {
    // Revision 1: 75 % of the same baseline (v1, 20 kW) → 5 kW.
    const rev1 = event('evt-a', 1, [
      {
        start: at(1),
        durationMinutes: 180,
        payloads: [{ type: 'LOAD_REDUCTION', value: 75, unit: 'PERCENT' }],
      },
    ]);
    expect(await send(rev1)).toBe('updated');
    expect(await send(rev1)).toBe('unchanged');
    expect(
      await send(
        event('evt-a', 0, [
          {
            start: at(1),
            durationMinutes: 180,
            payloads: [{ type: 'LOAD_REDUCTION', value: 50, unit: 'PERCENT' }],
          },
        ]),
      ),
    ).toBe('older');
    expect(await send({ ...rev1, priority: 9 })).toBe('conflict');
    const stored = (await events.byId('evt-a'))!;
    expect(stored.modificationNumber).toBe(1);
    expect(stored.priority).toBe(1);
    expect(stored.baselineScheduleId).toBe(baselineId); // the counterfactual never moves
    const v3 = await plan();
    expect(await fraSlots(v3.scheduleId)).toEqual([20, 5, 5, 5, 20, 20]);
    await expectCapsKept();
  });

  it('overlapping events: the lowest cap wins', async () => {
    // evt-b: an import limit of 3 kW on DE-LU in slot 2 only; evt-a still caps 5 kW there → 3 wins.
    await send(
      event('evt-b', 0, [
        { start: at(2), durationMinutes: 60, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 3 }] },
      ]),
    );
    const v4 = await plan();
    expect(await fraSlots(v4.scheduleId)).toEqual([20, 5, 3, 5, 20, 20]);
    expect((await gridEventAssumptions(v4.scheduleId)).map((a) => a.eventId).sort()).toEqual([
      'evt-a',
      'evt-b',
    ]);
    await expectCapsKept();
  });

  it('a cancel removes the event (evt-b still holds slot 2)', async () => {
    expect(
      await send(
        event(
          'evt-a',
          2,
          [
            {
              start: at(1),
              durationMinutes: 180,
              payloads: [{ type: 'LOAD_REDUCTION', value: 75, unit: 'PERCENT' }],
            },
          ],
          { cancelled: true },
        ),
      ),
    ).toBe('updated');
    const v5 = await plan();
    expect(await fraSlots(v5.scheduleId)).toEqual([20, 20, 3, 20, 20, 20]);
    expect((await gridEventAssumptions(v5.scheduleId)).map((a) => a.eventId)).toEqual(['evt-b']);
  });

  it('interactive work is shed only when no allowed cluster has room, with reason grid-event', async () => {
    // evt-c: 0 kW in every zone in slot 4 → 20 GPU-h of chat-eu cannot run anywhere.
    await send(
      event(
        'evt-c',
        0,
        [{ start: at(4), durationMinutes: 60, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 0 }] }],
        { targets: { zones: ['DE-LU', 'FR', 'ES'] } },
      ),
    );
    const v6 = await plan();
    const schedule = await loadSchedule(db, v6.scheduleId);
    const chat = (
      schedule.shortfalls as {
        jobId: string;
        gpuHours: number;
        reasons: { reason: string; gpuHours: number }[];
      }[]
    ).find((s) => s.jobId === 'chat-eu')!;
    expect(chat.gpuHours).toBeCloseTo(20, 6);
    expect(chat.reasons).toEqual([{ reason: 'grid-event', gpuHours: expect.closeTo(20, 6) as number }]);
    // evt-b's 3 kW in slot 2 sheds nothing: par-1 has room.
    expect(await gpus(v6.scheduleId, 'par-1', 2)).toBe(17);
    await expectCapsKept();
  });

  it('a voluntary event is followed exactly when its incentive pays', async () => {
    // evt-v asks for 0 kW in DE-LU in slot 5. Following it moves chat-eu's 20 GPU-h (= 20 kWh) from DE-LU (40)
    // to FR (70): it costs 20 kWh × (70 − 40) / 1000 = 0.60 more. Ignoring it draws 20 kWh = 0.02 MWh above the
    // requested 0 kW and forgoes incentive × 0.02: at 50 /MWh that is 1.00 > 0.60 → followed; at 10 /MWh it is
    // 0.20 < 0.60 → not followed.
    const voluntary = (revision: number, incentivePerMwh: number) =>
      event(
        'evt-v',
        revision,
        [{ start: at(5), durationMinutes: 60, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', value: 0 }] }],
        { compliance: 'voluntary', incentivePerMwh, currency: 'USD' },
      );
    await send(voluntary(0, 50));
    solves = 0;
    const followed = await plan();
    // Ignoring it (A) and following it (B) are solved; the stored plan is B as solved, not a third solve.
    expect(solves).toBe(2);
    expect(await gpus(followed.scheduleId, 'fra-1', 5)).toBe(0);
    expect(await gpus(followed.scheduleId, 'par-1', 5)).toBe(20);
    const yes = (await gridEventAssumptions(followed.scheduleId)).find((a) => a.eventId === 'evt-v')!;
    expect(yes.honoured).toBe(true);
    expect(yes.decision!.followed).toBe(true);
    expect(yes.decision!.excessMwhIfIgnored).toBeCloseTo(0.02, 9);
    expect(yes.decision!.costIfFollowed - yes.decision!.costIfIgnored).toBeCloseTo(0.6, 6);

    await send(voluntary(1, 10));
    solves = 0;
    const declined = await plan();
    expect(solves).toBe(2); // the stored plan is A
    expect(await gpus(declined.scheduleId, 'fra-1', 5)).toBe(20);
    const no = (await gridEventAssumptions(declined.scheduleId)).find((a) => a.eventId === 'evt-v')!;
    expect(no.honoured).toBe(false);
    expect(no.decision!.followed).toBe(false);
    expect(no.caps).toEqual([]);
    await expectCapsKept();
  });

  it('reports delivery: counterfactual, home and planned load per interval', async () => {
    // evt-a (cancelled) was last honoured by v4: fra-1 5, 3, 5 GPUs in slots 1–3 = 13/3 kW on average. Its
    // counterfactual is v1 (20 kW in each slot), home puts chat-eu in fra-1 (its first allowed cluster): 20 kW.
    // Reduction (20 − 13/3) / 20 = 78.33 %; energy 3 h × 20 = 60 kWh before, 13 kWh planned.
    const report = (await gridEventPerformance(db, 'evt-a'))!;
    expect(report.cancelled).toBe(true);
    expect(report.baselineScheduleId).toBe(baselineId);
    expect(report.plannedSchedule!.version).toBe(4);
    expect(report.intervals).toHaveLength(1);
    const [interval] = report.intervals;
    expect(interval!.counterfactualKw).toBeCloseTo(20, 9);
    expect(interval!.homeKw).toBeCloseTo(20, 9);
    expect(interval!.plannedKw).toBeCloseTo(13 / 3, 9);
    expect(interval!.capKw).toBeCloseTo(5, 9); // evt-a's own cap; evt-b's 3 kW is its own report
    expect(interval!.realizedKw).toBeNull();
    expect(interval!.reductionVsCounterfactualPct).toBeCloseTo(((20 - 13 / 3) / 20) * 100, 9);
    expect(report.totals.counterfactualKwh).toBeCloseTo(60, 9);
    expect(report.totals.plannedKwh).toBeCloseTo(13, 9);
    expect(report.interactiveShortfallGpuHours).toBe(0);
    expect(report.realized.status).toBe('not-reported');
    const hh = (slot: number) => at(slot).slice(11, 16);
    expect(report.summary).toBe(
      `event evt-a: −78 % in DE-LU ${hh(1)}–${hh(4)} UTC, no interactive work lost`,
    );

    // evt-c shed 20 GPU-h of interactive work: the report says so.
    const shed = (await gridEventPerformance(db, 'evt-c'))!;
    expect(shed.interactiveShortfallGpuHours).toBeCloseTo(20, 6);
    expect(shed.summary).toContain('20 interactive GPU-h shed');
    expect(await gridEventPerformance(db, 'nope')).toBeNull();
  });

  it('adds the realized (metered) load per interval once data centers report usage', async () => {
    // evt-a: interval slots 1–3, counterfactual 20 kW (60 kWh), planned 13/3 kW (13 kWh) in fra-1 only (the one
    // DE-LU cluster, planned work in every slot, so it must report every tick). Metered facility energy:
    //   fra-1 slot 1: one 60-min row, 6 kWh; slot 2: four 15-min rows of 1 kWh = 4 kWh; slot 3: not yet.
    //   fra-1 slot 0 (50 kWh, before the event) and par-1 slot 1 (100 kWh, FR: not targeted) do not count.
    const usage = new UsageRepository(db);
    const row = (clusterId: string, slotStartMs: number, minutes: number, energyKwh: number): UsageRow => ({
      clusterId,
      jobId: 'chat-eu',
      slotStart: new Date(slotStartMs).toISOString(),
      minutes,
      gpuHours: energyKwh,
      energyKwh,
      observedAt: new Date(h0 + 9 * HOUR_MS).toISOString(),
      messageId: null,
    });
    const quarter = 15 * 60_000;
    await usage.store([
      row('fra-1', h0, 60, 50),
      row('par-1', h0 + HOUR_MS, 60, 100),
      row('fra-1', h0 + HOUR_MS, 60, 6),
      ...[0, 1, 2, 3].map((q) => row('fra-1', h0 + 2 * HOUR_MS + q * quarter, 15, 1)),
    ]);
    const later = h0 + 10 * HOUR_MS;
    // Slots 1–2 reported: 2 of 3 h covered = 66.67 %; (6 + 4) kWh ÷ 2 h = 5 kW; no reduction until complete.
    const partial = (await gridEventPerformance(db, 'evt-a', { nowMs: later }))!;
    expect(partial.intervals[0]!.realizedKw).toBeCloseTo(5, 9);
    expect(partial.intervals[0]!.realizedCoveragePct).toBeCloseTo(200 / 3, 9);
    expect(partial.intervals[0]!.realizedReductionVsCounterfactualPct).toBeNull();
    expect(partial.totals.realizedKwh).toBeNull();
    expect(partial.realized.status).toBe('partial');

    // Slot 3 metered: 3 kWh. At h0 + 3.5 h only its first half has ended: 2.5 of 3 h covered = 83.33 %,
    // (6 + 4 + 1.5) kWh ÷ 2.5 h = 4.6 kW.
    await usage.store([row('fra-1', h0 + 3 * HOUR_MS, 60, 3)]);
    const midway = (await gridEventPerformance(db, 'evt-a', { nowMs: h0 + 3.5 * HOUR_MS }))!;
    expect(midway.intervals[0]!.realizedCoveragePct).toBeCloseTo(250 / 3, 9);
    expect(midway.intervals[0]!.realizedKw).toBeCloseTo(4.6, 9);

    // All ended: 13 kWh over 3 h = 13/3 kW; realized reduction (20 − 13/3) ÷ 20 = (60 − 13) ÷ 60 = 78.33 %.
    const done = (await gridEventPerformance(db, 'evt-a', { nowMs: later }))!;
    const [interval] = done.intervals;
    expect(interval!.realizedCoveragePct).toBe(100);
    expect(interval!.realizedKw).toBeCloseTo(13 / 3, 9);
    expect(interval!.realizedReductionVsCounterfactualPct).toBeCloseTo(((20 - 13 / 3) / 20) * 100, 9);
    expect(done.totals.realizedKwh).toBeCloseTo(13, 9);
    expect(done.totals.realizedReductionVsCounterfactualPct).toBeCloseTo((47 / 60) * 100, 9);
    expect(done.realized.status).toBe('complete');
    expect(done.summary).toContain('−78 % metered in DE-LU');
  });
});
