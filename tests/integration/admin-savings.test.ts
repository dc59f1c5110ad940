/**
 * Savings in the admin API compare the same work, against real PostgreSQL: a schedule whose home baseline
 * serves less work than it does shows no saving against home — in its summary, its detail and the savings
 * report — while its greedy saving (same work) is shown; a day and a total that mix it with a comparable
 * schedule say so and sum only the comparable part. Figures are checked against sums computed here from the
 * fixture placements and prices. The services are called directly (the HTTP layer is covered by
 * tests/e2e/admin-schedules.test.ts).
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SavingsReportSchema } from '../../apps/admin-api/src/reports/savings.schemas.js';
import { SavingsReporter } from '../../apps/admin-api/src/reports/savings.service.js';
import { ScheduleViews } from '../../apps/admin-api/src/schedules/schedule-views.js';
import { ScheduleFactsCache } from '../../apps/admin-api/src/schedules/schedule-facts.cache.js';
import {
  ScheduleDetailSchema,
  ScheduleSummarySchema,
} from '../../apps/admin-api/src/schedules/schedules.schemas.js';
import {
  buildSchedule,
  insertSchedule,
  placementCost,
  type ScheduleFixture,
} from '../../apps/admin-api/test-support/schedule-fixtures.js';
import { freshSchema } from '../support/harness.js';

const H = 3_600_000;
const H0 = Date.parse('2024-03-02T00:00:00.000Z');
const at = (hours: number) => new Date(H0 + hours * H).toISOString();
const close = (actual: number | null | undefined, expected: number) => {
  expect(actual).toBeTypeOf('number');
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
};

let db: DataSource;
let drop: () => Promise<void>;
let views: ScheduleViews;
let reporter: SavingsReporter;

// P (v1, published) is in force for [0, 12 h); N (v2, published at 11.5 h) for [12 h, 36 h). N's home baseline
// serves 10 % less work than N: not comparable. N also has a stability cost, which savings leave out.
let P: ScheduleFixture;
let N: ScheduleFixture;
// L: a draft whose savings were stored in the shape used before savings compared the same work.
let L: ScheduleFixture;

const served = (f: ScheduleFixture) => f.placements.reduce((sum, p) => sum + p.gpuHours, 0);
const energy = (f: ScheduleFixture, fromH = -Infinity, toH = Infinity) =>
  f.placements
    .filter((p) => Date.parse(p.slotStart) >= H0 + fromH * H && Date.parse(p.slotStart) < H0 + toH * H)
    .reduce((sum, p) => sum + placementCost(f, p), 0);
const gpuHoursIn = (f: ScheduleFixture, fromH: number, toH: number) =>
  f.placements
    .filter((p) => Date.parse(p.slotStart) >= H0 + fromH * H && Date.parse(p.slotStart) < H0 + toH * H)
    .reduce((sum, p) => sum + p.gpuHours, 0);

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  P = buildSchedule({
    seed: 21,
    jobs: 8,
    clusters: 3,
    slots: 24,
    horizonStart: at(0),
    status: 'superseded',
    version: 1,
    publishedAt: at(-1),
  });
  N = buildSchedule({
    seed: 22,
    jobs: 8,
    clusters: 3,
    slots: 24,
    horizonStart: at(12),
    status: 'published',
    version: 2,
    publishedAt: at(11.5),
  });
  N.stabilityCost = 30;
  N.homeServedGpuHours = served(N) * 0.9;
  L = buildSchedule({ seed: 23, jobs: 4, clusters: 3, slots: 4, horizonStart: at(100), version: 3 });
  for (const f of [P, N, L]) await insertSchedule(db, f);
  await db.query(
    `update schedules set savings = '{"vsHome": {"amount": 12.5, "pct": 3}, "vsGreedy": {"amount": 1, "pct": 0.5}}'
     where id = $1`,
    [L.id],
  );
  const cache = new ScheduleFactsCache(db, { SCHEDULE_CACHE_ENTRIES: 16 });
  views = new ScheduleViews(db, cache);
  reporter = new SavingsReporter(db, cache);
});

afterAll(async () => {
  await drop?.();
});

describe('a schedule whose home baseline serves less work', () => {
  it('shows no saving against home in its detail, and its greedy saving without the stability cost', async () => {
    const detail = ScheduleDetailSchema.parse(JSON.parse(await views.detailJson(N.id, 10)));
    const cost = energy(N) + N.penaltyCost; // energy + carbon (0) + penalty; stability 30 left out
    expect(detail.computedSavings.vsHome).toMatchObject({
      comparable: false,
      amount: null,
      pct: null,
    });
    close(detail.computedSavings.vsHome!.servedGpuHours, served(N));
    close(detail.computedSavings.vsHome!.baselineServedGpuHours, served(N) * 0.9);
    // The fixture's baseline leaves the 10 % it does not serve unserved, on top of the schedule's shortfall.
    close(
      detail.computedSavings.vsHome!.baselineUnservedGpuHours,
      detail.computedSavings.vsHome!.unservedGpuHours! + served(N) * 0.1,
    );
    const vsGreedy = detail.computedSavings.vsGreedy!;
    expect(vsGreedy.comparable).toBe(true);
    close(vsGreedy.cost, cost);
    close(vsGreedy.baselineCost, N.greedyTotalCost);
    close(vsGreedy.amount, N.greedyTotalCost - cost);
    // pct of the baseline's energy + carbon cost: greedyTotalCost − penalty (fixture baselines have no carbon).
    close(vsGreedy.pct, ((N.greedyTotalCost - cost) / (N.greedyTotalCost - N.penaltyCost)) * 100);
    close(detail.costs.totalCost, cost + 30); // the schedule's own total still includes stability
  });

  it('keeps the stored null amount and the served GPU-hours in its summary', async () => {
    const summary = ScheduleSummarySchema.parse(await views.summary(N.id));
    expect(summary.savings.vsHome).toMatchObject({ amount: null, pct: null, comparable: false });
    close(summary.savings.vsHome!.baselineServedGpuHours, served(N) * 0.9);
    close(summary.savings.vsHome!.servedGpuHours, served(N));
    expect(summary.savings.vsGreedy).toMatchObject({ comparable: true });
    close(summary.savings.vsGreedy!.amount, N.greedyTotalCost - energy(N) - N.penaltyCost);
  });

  it('shows no saving stored in the old shape (it compared different work)', async () => {
    const summary = ScheduleSummarySchema.parse(await views.summary(L.id));
    expect(summary.savings).toEqual({ vsHome: null, vsGreedy: null });
  });
});

describe('savings report mixing comparable and non-comparable schedules', () => {
  it('sums only the comparable part, says which days and totals are not comparable, and shows served work', async () => {
    const report = SavingsReportSchema.parse(await reporter.report(new Date(at(0)), new Date(at(36))));
    expect(report.bySchedule.map((s) => s.id)).toEqual([P.id, N.id]);
    const [p, n] = report.bySchedule as [
      (typeof report.bySchedule)[number],
      (typeof report.bySchedule)[number],
    ];
    // P: in force for its first 12 slots. share = its GPU-hours there ÷ all it serves; baselines scale by share.
    const pShare = gpuHoursIn(P, 0, 12) / served(P);
    const pCost = energy(P, 0, 12) + P.penaltyCost * pShare;
    close(p.share, pShare);
    close(p.cost, pCost);
    expect(p.vsHome).toMatchObject({ comparable: true, excludedSchedules: 0 });
    close(p.vsHome.amount, P.homeTotalCost * pShare - pCost);
    close(p.vsHome.baselineServedGpuHours, served(P) * pShare);
    // N: in force for its whole horizon [12 h, 36 h): share 1, no saving against home.
    const nCost = energy(N) + N.penaltyCost;
    close(n.share, 1);
    close(n.cost, nCost);
    expect(n.vsHome).toMatchObject({
      comparable: false,
      excludedSchedules: 1,
      comparedGpuHours: 0,
      comparedCost: 0,
      baselineCost: null,
      amount: null,
      pct: null,
    });
    close(n.vsHome.baselineServedGpuHours, served(N) * 0.9);
    close(n.vsGreedy.amount, N.greedyTotalCost - nCost);

    // Day 1 (2024-03-02) has P [0, 12 h) and N [12 h, 24 h): mixed → comparable false, one schedule excluded,
    // the amount is P's alone. Day 2 has only N: no amount against home.
    expect(report.byDay.map((d) => d.date)).toEqual(['2024-03-02', '2024-03-03']);
    const [day1, day2] = report.byDay as [(typeof report.byDay)[number], (typeof report.byDay)[number]];
    expect(day1.vsHome).toMatchObject({ comparable: false, excludedSchedules: 1 });
    close(day1.vsHome.amount, p.vsHome.amount!);
    close(day1.vsHome.comparedGpuHours, gpuHoursIn(P, 0, 12));
    const nDay1Share = gpuHoursIn(N, 12, 24) / served(N);
    close(day1.vsHome.baselineServedGpuHours, served(P) * pShare + served(N) * 0.9 * nDay1Share);
    expect(day2.vsHome).toMatchObject({ comparable: false, excludedSchedules: 1, amount: null });
    // Against greedy every schedule is comparable: days sum to the schedules.
    expect(day1.vsGreedy).toMatchObject({ comparable: true, excludedSchedules: 0 });
    close(
      day1.vsGreedy.amount! + day2.vsGreedy.amount!,
      P.greedyTotalCost * pShare - pCost + (N.greedyTotalCost - nCost),
    );

    // Totals: the comparable part equals the sum of its rows (per schedule and per day).
    expect(report.totals.vsHome).toMatchObject({ comparable: false, excludedSchedules: 1 });
    close(report.totals.vsHome.amount, p.vsHome.amount!);
    close(report.totals.vsHome.baselineCost, P.homeTotalCost * pShare);
    close(report.totals.vsHome.comparedCost, pCost);
    // pct of the compared baseline's energy + carbon: (home − penalty) × share.
    close(report.totals.vsHome.pct, (p.vsHome.amount! / ((P.homeTotalCost - P.penaltyCost) * pShare)) * 100);
    close(report.totals.vsGreedy.amount, p.vsGreedy.amount! + n.vsGreedy.amount!);
    close(report.totals.cost, pCost + nCost);
    close(
      report.byDay.reduce((sum, d) => sum + d.cost, 0),
      pCost + nCost,
    );
    close(report.totals.gpuHours, gpuHoursIn(P, 0, 12) + served(N));
  });
});
