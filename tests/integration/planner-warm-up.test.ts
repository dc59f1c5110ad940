// The planner's start-up warm-up (libs/scheduling warm-up.ts) against a real PostgreSQL: it runs the pipeline's
// phases on the stored inputs, stores nothing, keeps to its bounds, and leaves the next real plan unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { countRows, LoadRepository, PriceRepository, queryRows } from '#gridshift/persistence';
import {
  DEFAULT_APPROVAL_POLICY,
  DEFAULT_PLANNING_SETTINGS,
  Planner,
  solveInThread,
  type PlanOutcome,
} from '#gridshift/scheduling';
import { freshSchema } from '../support/harness.js';
import {
  currentHourMs,
  generateClusters,
  generateJobs,
  HOUR_MS,
  loadRows,
  seedClusters,
  seedJobs,
  zonePrice,
} from './planner-fixtures.js';

const now = new Date(currentHourMs() + 5 * 60_000);
const h0 = currentHourMs(now.getTime());
const clusters = generateClusters(4);
const jobs = generateJobs(60, h0);
const TABLES = ['schedules', 'placement_cells', 'outbox', 'schedule_input_parts', 'audit_log'];

let db: DataSource;
let drop: () => Promise<void>;

function planner() {
  return new Planner(db, {
    settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 6 },
    approval: DEFAULT_APPROVAL_POLICY,
    solve: solveInThread,
    now: () => now,
  });
}

async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = await countRows(db, table);
  return counts;
}

async function bumpEpoch(): Promise<number> {
  const rows = await queryRows<{ epoch: string }>(
    db,
    `update planner_leases set epoch = epoch + 1, holder = 'test' where name = 'planner' returning epoch::text as epoch`,
  );
  return Number(rows[0]!.epoch);
}

/** The stored outcome of a plan (a skipped one fails the test). */
function storedOf(outcome: PlanOutcome) {
  expect(outcome.status).toBe('stored');
  return outcome as Extract<PlanOutcome, { status: 'stored' }>;
}

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  await seedClusters(db, clusters);
  await seedJobs(db, jobs);
}, 60_000);

afterAll(async () => {
  await drop();
});

describe('planner warm-up', () => {
  it('runs before any capacity or price is stored (a fresh deployment), planning nothing', async () => {
    const report = await planner().warmUp({ budgetMs: 60_000, maxRounds: 1, maxInThreadJobs: 10_000 });
    expect(report).toMatchObject({ rounds: 1, stopped: 'rounds' });
  });

  it('runs its rounds on the stored inputs and stores nothing', async () => {
    await new LoadRepository(db).append(
      loadRows(clusters, (c) => c.gpuTotal - Math.floor(c.gpuTotal * 0.4), now.getTime() - 60_000),
    );
    for (const zone of new Set(clusters.map((c) => c.zone))) {
      await new PriceRepository(db).upsert(
        Array.from({ length: 8 }, (_v, i) => ({
          zone,
          market: 'day_ahead',
          partnerId: 'p1',
          intervalStartUtc: new Date(h0 + i * HOUR_MS).toISOString(),
          intervalMinutes: 60,
          pricePerMwhBase: zonePrice(zone, new Date(h0 + i * HOUR_MS).getUTCHours()),
          priceOriginal: zonePrice(zone, new Date(h0 + i * HOUR_MS).getUTCHours()),
          currencyOriginal: 'USD',
          carbonGPerKwh: null,
          coverageMinutes: 60,
          issuedAt: new Date(now.getTime() - HOUR_MS).toISOString(),
          messageId: null,
        })),
      );
    }
    const before = await rowCounts();
    const report = await planner().warmUp({ budgetMs: 60_000, maxRounds: 3, maxInThreadJobs: 10_000 });
    expect(report.rounds).toBe(3);
    expect(report.stopped).toBe('rounds');
    expect(report.roundMs).toHaveLength(3);
    expect(report.roundMs.every((ms) => ms > 0)).toBe(true);
    expect(await rowCounts()).toEqual(before);
  });

  it('keeps to its budget, stops when cancelled, and leaves problems solved in a worker alone', async () => {
    const p = planner();
    expect(await p.warmUp({ budgetMs: 0, maxRounds: 5, maxInThreadJobs: 10_000 })).toEqual({
      rounds: 0,
      roundMs: [],
      stopped: 'budget',
    });
    // A budget shorter than a round: the round under way finishes, no other starts.
    const short = await p.warmUp({ budgetMs: 1, maxRounds: 5, maxInThreadJobs: 10_000 });
    expect(short.rounds).toBeLessThanOrEqual(1);
    expect(short.stopped).toBe('budget');
    let calls = 0;
    const cancelled = await p.warmUp({
      budgetMs: 60_000,
      maxRounds: 5,
      maxInThreadJobs: 10_000,
      cancelled: () => ++calls > 2,
    });
    expect(cancelled).toMatchObject({ rounds: 2, stopped: 'cancelled' });
    expect(await p.warmUp({ budgetMs: 60_000, maxRounds: 5, maxInThreadJobs: jobs.length - 1 })).toEqual({
      rounds: 0,
      roundMs: [],
      stopped: 'solves-in-worker',
    });
  });

  it('the plan after a warm-up is the plan without one (same inputs hash, same cells)', async () => {
    const cold = storedOf(await planner().plan('manual', { epoch: await bumpEpoch() }));
    const warmed = planner();
    await warmed.warmUp({ budgetMs: 60_000, maxRounds: 2, maxInThreadJobs: 10_000 });
    const warm = storedOf(await warmed.plan('manual', { epoch: await bumpEpoch() }));
    expect(warm.inputHash).toBe(cold.inputHash);
    expect(warm.placements).toBe(cold.placements);
    expect(warm.version).toBe(cold.version + 1);
    const cells = (id: string) =>
      queryRows<{ c: string }>(
        db,
        `select string_agg(cluster_id || ':' || slot_start::text || ':' || array_to_string(job_ids, ',') || '=' || array_to_string(gpus, ','), ';' order by cluster_id, slot_start) as c from placement_cells where schedule_id = $1`,
        [id],
      );
    expect(await cells(warm.scheduleId)).toEqual(await cells(cold.scheduleId));
  });
});
