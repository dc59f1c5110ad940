import { describe, expect, it } from 'vitest';
import {
  measureSavings,
  usageColumns,
  type BaselineMemo,
  type DayBaselines,
  type MeasuredInput,
  type MeasuredUsage,
} from './measured.js';

// A hand-made case, every number worked out in the comments.
//
// Clusters: fra-1 in zone ZA (registered 0.7 kW/GPU × PUE 1.2 = 0.84 kWh per GPU-hour, no usage, so that is used),
//           par-1 in zone ZB (metered: 8 kWh per 10 GPU-h = 0.8 kWh per GPU-hour).
// Job chat (interactive, home fra-1) really ran in par-1: 10 GPU-h at 00:00 and 10 GPU-h at 01:00, 8 kWh each.
// Prices (per MWh): ZA day-ahead 100, 100; ZB day-ahead 50, 60; ZB real-time at 01:00: 40 (real-time is what was paid).
// Plan in force: 10 GPU-h in fra-1 at 00:00, 10 GPU-h in par-1 at 01:00.
const H0 = Date.parse('2023-03-02T00:00:00Z');
const H1 = H0 + 3_600_000;
const usage: MeasuredUsage[] = [
  { clusterId: 'par-1', jobId: 'chat', slotStartMs: H0, minutes: 60, gpuHours: 10, energyKwh: 8 },
  { clusterId: 'par-1', jobId: 'chat', slotStartMs: H1, minutes: 60, gpuHours: 10, energyKwh: 8 },
];
const input: MeasuredInput = {
  fromMs: H0,
  toMs: H0 + 2 * 3_600_000,
  groupBy: 'cluster',
  usage,
  prices: [
    { zone: 'ZA', market: 'day_ahead', intervalStartMs: H0, minutes: 60, pricePerMwh: 100 },
    { zone: 'ZA', market: 'day_ahead', intervalStartMs: H1, minutes: 60, pricePerMwh: 100 },
    { zone: 'ZB', market: 'day_ahead', intervalStartMs: H0, minutes: 60, pricePerMwh: 50 },
    { zone: 'ZB', market: 'day_ahead', intervalStartMs: H1, minutes: 60, pricePerMwh: 60 },
    { zone: 'ZB', market: 'real_time', intervalStartMs: H1, minutes: 60, pricePerMwh: 40 },
  ],
  planned: [
    { clusterId: 'fra-1', jobId: 'chat', slotStartMs: H0, minutes: 60, gpuHours: 10 },
    { clusterId: 'par-1', jobId: 'chat', slotStartMs: H1, minutes: 60, gpuHours: 10 },
  ],
  clusters: [
    {
      id: 'fra-1',
      zone: 'ZA',
      region: 'eu',
      gpuTotal: 100,
      kwPerGpu: 0.7,
      pue: 1.2,
      latencyMsByOrigin: {},
      capacityByHour: new Map(),
    },
    {
      id: 'par-1',
      zone: 'ZB',
      region: 'eu',
      gpuTotal: 100,
      kwPerGpu: 0.7,
      pue: 1.15,
      latencyMsByOrigin: {},
      capacityByHour: new Map(),
    },
  ],
  jobs: [{ id: 'chat', kind: 'interactive', maxGpus: 64, residencyZones: [], homeClusterId: 'fra-1' }],
};

describe('measureSavings', () => {
  it('costs realized, plan and both baselines on the same realized work (grouped by cluster)', () => {
    const report = measureSavings(input);
    expect(report.kwhPerGpuHourByCluster).toEqual({ 'fra-1': 0.84, 'par-1': 0.8 });
    const [fra, par] = report.rows;
    // realized: 8 kWh × 50 + 8 kWh × 40 (real-time wins over day-ahead) = 0.4 + 0.32 = 0.72, all in par-1.
    expect(par!.realized.cost).toBeCloseTo(0.72, 10);
    expect(fra!.realized.cost).toBe(0);
    // home: chat at home in fra-1, 20 GPU-h × 0.84 kWh × 100 /1000 = 1.68.
    expect(fra!.home).toEqual({ gpuHours: 20, cost: expect.closeTo(1.68, 10) as number });
    // greedy: the cheapest cell each hour is par-1 (0.8 × 50 = 40 and 0.8 × 40 = 32 < 0.84 × 100 = 84 per MWh·GPU):
    // 10 × 0.8 × 50 /1000 + 10 × 0.8 × 40 /1000 = 0.72.
    expect(par!.greedy.cost).toBeCloseTo(0.72, 10);
    // plan: 10 × 0.84 × 100 /1000 (fra-1) + 10 × 0.8 × 60 (day-ahead) /1000 (par-1) = 0.84 + 0.48.
    expect(fra!.plan.cost).toBeCloseTo(0.84, 10);
    expect(par!.plan.cost).toBeCloseTo(0.48, 10);
    // Totals are the sums of the rows: vs home 1.68 − 0.72 = 0.96 (57.14 % of 1.68), vs greedy 0, vs plan 0.60.
    expect(report.totals.vsHome).toBeCloseTo(0.96, 10);
    expect(report.totals.vsHomePct).toBeCloseTo((0.96 / 1.68) * 100, 10);
    expect(report.totals.vsGreedy).toBeCloseTo(0, 10);
    expect(report.totals.vsPlan).toBeCloseTo(0.6, 10);
    expect(report.totals.vsHome).toBeCloseTo(
      report.rows.reduce((s, r) => s + r.vsHome!, 0),
      12,
    );
    expect(report.comparable).toEqual({ home: true, greedy: true });
    expect(report.energyKwhByMarket).toEqual({ day_ahead: 8, real_time: 8 });
    expect(report.pricesCarriedHours).toBe(0);
  });

  it.each(['day', 'zone', 'job'] as const)('grouped by %s, the totals are the same', (groupBy) => {
    const byCluster = measureSavings(input).totals;
    const report = measureSavings({ ...input, groupBy });
    expect(report.totals.vsHome).toBeCloseTo(byCluster.vsHome!, 10);
    expect(report.totals.realized.cost).toBeCloseTo(byCluster.realized.cost, 10);
    expect(report.totals.plan.cost).toBeCloseTo(
      report.rows.reduce((s, r) => s + r.plan.cost, 0),
      12,
    );
  });

  it('a baseline that cannot serve the realized work is not comparable (no saving shown)', () => {
    // Home may only use fra-1, which reports 5 schedulable GPUs: home serves 10 of the 20 realized GPU-h.
    const report = measureSavings({
      ...input,
      clusters: input.clusters.map((c) =>
        c.id === 'fra-1' ? { ...c, capacityByHour: new Map([[H0, 5]]) } : c,
      ),
      jobs: [{ ...input.jobs[0]!, pins: { mustRunIn: ['fra-1'] } }],
    });
    expect(report.comparable.home).toBe(false);
    expect(report.totals.vsHome).toBeNull();
    expect(report.rows.every((r) => r.vsHome === null)).toBe(true);
  });

  it('a capacity report from before the day holds until the next one', () => {
    // fra-1 reported 5 schedulable GPUs the evening before (H0 − 5 h) and 4 a week earlier; home may only use
    // fra-1: 5 GPU-h of chat's 10 in each hour = 10 of the 20 realized GPU-h. With the later report at 12 GPUs
    // instead, home serves all 20.
    const pinned = { ...input, jobs: [{ ...input.jobs[0]!, pins: { mustRunIn: ['fra-1'] } }] };
    const reports = (later: number) =>
      input.clusters.map((c) =>
        c.id === 'fra-1'
          ? {
              ...c,
              capacityByHour: new Map([
                [H0 - 5 * 3_600_000, later],
                [H0 - 168 * 3_600_000, 4],
              ]),
            }
          : c,
      );
    const short = measureSavings({ ...pinned, clusters: reports(5) });
    expect(short.totals.home.gpuHours).toBeCloseTo(10, 10);
    expect(short.comparable.home).toBe(false);
    const enough = measureSavings({ ...pinned, clusters: reports(12) });
    expect(enough.totals.home.gpuHours).toBeCloseTo(20, 10);
    expect(enough.comparable.home).toBe(true);
  });

  it('carries the nearest known price into hours without one, and says how many', () => {
    const report = measureSavings({
      ...input,
      prices: input.prices.filter((p) => !(p.zone === 'ZB' && p.intervalStartMs === H1)),
    });
    // ZB at 01:00 has no price: 50 (00:00) is carried; realized = 8 × 50 + 8 × 50 = 0.8.
    expect(report.pricesCarriedHours).toBe(1);
    expect(report.totals.realized.cost).toBeCloseTo(0.8, 10);
  });

  it('remembered baselines give the same report; a day whose data changed is solved again', () => {
    const held = new Map<string, DayBaselines>();
    const asked: boolean[] = [];
    const memo: BaselineMemo = {
      get: (key) => {
        asked.push(held.has(key));
        return held.get(key);
      },
      set: (key, value) => void held.set(key, value),
    };
    const plain = measureSavings(input);
    expect(measureSavings(input, memo)).toEqual(plain); // one day, solved and remembered
    expect(measureSavings(input, memo)).toEqual(plain); // the same day, from the memo
    expect(asked).toEqual([false, true]);
    // Another realized figure (par-1 at 01:00: 12 GPU-h) is another problem: solved, not taken from the memo.
    const changed = {
      ...input,
      usage: usage.map((u) => (u.slotStartMs === H1 ? { ...u, gpuHours: 12 } : u)),
    };
    expect(measureSavings(changed, memo)).toEqual(measureSavings(changed));
    expect(asked).toEqual([false, true, false]);
    expect(held.size).toBe(2);
  });

  it.each(['day', 'zone', 'cluster', 'job'] as const)(
    'usage as columns gives the same report as rows (grouped by %s)',
    (groupBy) => {
      // Rows a report leaves out on purpose: an unknown cluster and an interval after the range.
      const rows: MeasuredUsage[] = [
        ...usage,
        { clusterId: 'gone-1', jobId: 'chat', slotStartMs: H0, minutes: 60, gpuHours: 5, energyKwh: 4 },
        { clusterId: 'fra-1', jobId: 'etl', slotStartMs: H1, minutes: 30, gpuHours: 3, energyKwh: 2.5 },
        {
          clusterId: 'par-1',
          jobId: 'chat',
          slotStartMs: H1 + 3_600_000,
          minutes: 60,
          gpuHours: 9,
          energyKwh: 7,
        },
      ];
      const columns = usageColumns(rows);
      expect(columns.clusterIds).toEqual(['par-1', 'gone-1', 'fra-1']);
      expect([...columns.jobIndex]).toEqual([0, 0, 0, 1, 0]);
      const byRows = measureSavings({ ...input, groupBy, usage: rows });
      expect(byRows.totals.realized.gpuHours).toBe(23); // 10 + 10 + 3: gone-1 and the hour after the range left out
      expect(JSON.stringify(measureSavings({ ...input, groupBy, usage: columns }))).toBe(
        JSON.stringify(byRows),
      );
    },
  );
});
