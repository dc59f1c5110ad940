import {
  ClusterSpecSchema,
  JobSpecSchema,
  slotGrid,
  toClusterInputs,
  toJobInputs,
  type JobSpec,
} from '#gridshift/fleet';
import { solvePlacement } from '#gridshift/placement';
import { describe, expect, it } from 'vitest';
import { BacktestInputError } from './errors.js';
import { zeroFigures, type Figures } from './figures.js';
import { zoneSlots, type HourlyMarket } from './market.js';
import { runBacktest, type BacktestInput, type BacktestOptions } from './rolling.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FROM = Date.parse('2023-03-01T00:00:00Z');

/** Zone A is cheap at night (40 vs 120 /MWh), zone B flat at 80; carbon only in A. */
function market(days: number): HourlyMarket {
  const hours = days * 24;
  const a = Float64Array.from({ length: hours }, (_, h) => (h % 24 < 6 ? 40 : 120));
  const b = Float64Array.from({ length: hours }, () => 80);
  return {
    currency: 'USD',
    startMs: FROM,
    hours,
    zones: new Map([
      [
        'A',
        {
          zone: 'A',
          sourceCurrency: 'USD',
          pricePerMwh: a,
          carbonGPerKwh: Array.from(a, () => 300),
          filledPriceHours: 0,
        },
      ],
      ['B', { zone: 'B', sourceCurrency: 'USD', pricePerMwh: b, carbonGPerKwh: null, filledPriceHours: 0 }],
    ]),
  };
}

const clusters = [
  ClusterSpecSchema.parse({
    id: 'a-1',
    region: 'r',
    zone: 'A',
    gpuModel: 'H100',
    gpuTotal: 40,
    kwPerGpu: 1,
    pue: 1.25,
    peakBusyShare: 0.5,
    troughBusyShare: 0.1,
  }),
  ClusterSpecSchema.parse({
    id: 'b-1',
    region: 'r',
    zone: 'B',
    gpuModel: 'H100',
    gpuTotal: 40,
    kwPerGpu: 1,
    pue: 1.2,
    peakBusyShare: 0.5,
    troughBusyShare: 0.1,
  }),
];

function job(fields: Record<string, unknown>): JobSpec {
  return JobSpecSchema.parse({
    id: 'j',
    model: 'm',
    origin: 'o',
    tokensPerSecondPerGpu: { H100: 2000 },
    maxGpus: 30,
    ...fields,
  });
}

// 72e6 tokens/h at 2000 tokens/s → 10 GPU-hours per hour; 1.44e9 tokens at 40,000 tokens/s → 10 GPU-hours.
const chat = job({
  id: 'chat',
  kind: 'interactive',
  tokensPerHour: 72e6,
  tier: 'critical',
  homeClusterId: 'a-1',
});
const nightly = job({
  id: 'nightly',
  kind: 'batch',
  totalTokens: 1.44e10, // 100 GPU-hours
  tokensPerSecondPerGpu: { H100: 40000 },
  tier: 'batch',
  homeClusterId: 'b-1',
});

function input(
  options: Partial<BacktestOptions>,
  jobs: JobSpec[] = [chat, nightly],
  days = 3,
): BacktestInput {
  return {
    clusters,
    jobs,
    traces: new Map(),
    market: market(days + 2),
    options: {
      fromMs: FROM,
      toMs: FROM + days * DAY,
      step: 'day',
      horizonHours: 24,
      carbonPricePerTonne: 0,
      ...options,
    },
  };
}

const FIELDS = Object.keys(zeroFigures()) as (keyof Figures)[];

describe('runBacktest', () => {
  it('day step: totals are the sums of the days and no day costs more than a baseline', () => {
    const result = runBacktest(input({ carbonPricePerTonne: 50 }));
    expect(result.days.map((d) => d.date)).toEqual(['2023-03-01', '2023-03-02', '2023-03-03']);
    for (const key of FIELDS) {
      for (const which of ['optimal', 'wholeGpu', 'home', 'greedy'] as const) {
        const sum = result.days.reduce((s, d) => s + d[which][key], 0);
        expect(result.totals[which][key]).toBeCloseTo(sum, 6);
      }
    }
    for (const d of result.days) {
      expect(d.optimal.totalCost).toBeLessThanOrEqual(d.home.totalCost + 1e-9);
      expect(d.optimal.totalCost).toBeLessThanOrEqual(d.greedy.totalCost + 1e-9);
      // 24 h × 10 GPU-hours (chat) + 100 GPU-hours (nightly) = 340 GPU-hours served each day
      expect(d.optimal.servedGpuHours).toBeCloseTo(340, 6);
      expect(d.solves).toBe(1);
    }
    expect(result.totals.optimal.carbonTonnes).toBeGreaterThan(0);
    expect(result.totals.optimal.carbonCost).toBeCloseTo(50 * result.totals.optimal.carbonTonnes, 9);
  });

  it('day step with a 24 h horizon costs exactly what the engine reports for each day', () => {
    const bt = input({});
    const result = runBacktest(bt);
    result.days.forEach((d, i) => {
      const grid = slotGrid(FROM + i * DAY, 24);
      const problem = {
        slotStartsUtc: [...grid.slotStartsUtc],
        slotMinutes: 60,
        currency: 'USD',
        clusters: toClusterInputs(clusters, grid, zoneSlots(bt.market, FROM + i * DAY, 24)),
        jobs: toJobInputs(bt.jobs, grid, { clusters }).jobs,
        carbonPricePerTonne: 0,
      };
      const direct = solvePlacement(problem, { explain: false });
      expect(d.optimal.totalCost).toBeCloseTo(direct.lpBound?.totalCost ?? Number.NaN, 6);
      expect(d.wholeGpu.totalCost).toBeCloseTo(direct.totals.totalCost, 6);
      expect(d.home.totalCost).toBeCloseTo(direct.baselines?.home.totalCost ?? Number.NaN, 6);
      expect(d.greedy.totalCost).toBeCloseTo(direct.baselines?.greedy.totalCost ?? Number.NaN, 6);
    });
  });

  it('hour step reaches the same optimum as day step (prices known, no coupling across midnight)', () => {
    const byDay = runBacktest(input({}));
    const progress: number[] = [];
    const byHour = runBacktest(input({ step: 'hour' }), (p) => progress.push(p.done));
    expect(progress).toHaveLength(72);
    expect(progress.at(-1)).toBe(72);
    byHour.days.forEach((d, i) => {
      expect(d.optimal.totalCost).toBeCloseTo(byDay.days[i]?.optimal.totalCost ?? Number.NaN, 6);
      expect(d.solves).toBe(25); // 24 hourly solves + the day's baseline problem
      expect(d.home.totalCost).toBeCloseTo(byDay.days[i]?.home.totalCost ?? Number.NaN, 6);
    });
    // The batch runs in zone A's cheap night hours (40 /MWh), not at B's 80.
    const a = byHour.clusters.find((c) => c.id === 'a-1');
    expect(a?.gpuHours.slice(0, 6).reduce((s, v) => s + v, 0)).toBeGreaterThan(100);
  });

  it('charges unserved interactive demand per hour and an unfinished batch at its deadline', () => {
    // Interactive needs 10 GPUs every hour but may use at most 4 → 6 GPU-hours unserved per hour at 1000.
    // Batch needs 100 GPU-hours in [0, 4) with maxGpus 5 → 20 done, 80 unserved at 20 per GPU-hour.
    const tight = [
      job({ id: 'chat', kind: 'interactive', tokensPerHour: 72e6, tier: 'critical', maxGpus: 4 }),
      job({
        id: 'nightly',
        kind: 'batch',
        totalTokens: 1.44e10,
        tokensPerSecondPerGpu: { H100: 40000 },
        tier: 'batch',
        maxGpus: 5,
        deadlineHour: 4,
      }),
    ];
    for (const step of ['day', 'hour'] as const) {
      const result = runBacktest(input({ step }, tight, 1));
      const d = result.days[0];
      expect(d?.optimal.unservedGpuHours).toBeCloseTo(24 * 6 + 80, 6);
      expect(d?.optimal.penaltyCost).toBeCloseTo(24 * 6 * 1000 + 80 * 20, 6);
      const jobs = new Map(result.jobs.map((j) => [j.jobId, j]));
      expect(jobs.get('chat')).toMatchObject({
        demandGpuHours: 240,
        unservedGpuHours: expect.closeTo(144, 6) as number,
      });
      expect(jobs.get('nightly')?.demandGpuHours).toBeCloseTo(100, 6);
      expect(jobs.get('nightly')?.servedGpuHours).toBeCloseTo(20, 6);
    }
  });

  it('carries a batch window across midnight and notes instances still open at the end', () => {
    // 20:00 → 06:00 windows: each instance has 4 h on its own day and 6 h on the next.
    const overnight = job({
      id: 'overnight',
      kind: 'batch',
      totalTokens: 1.44e9,
      tokensPerSecondPerGpu: { H100: 40000 },
      windowStartHour: 20,
      deadlineHour: 30,
      tier: 'batch',
    });
    const result = runBacktest(input({}, [overnight], 3));
    const j = result.jobs[0];
    // Inside the range: the last 6 of the 02-28 instance's 10 h (6 GPU-hours pro rata), the 03-01 and 03-02
    // instances (10 each) → 26 GPU-hours; the 03-03 instance is still open at the end.
    expect(j?.demandGpuHours).toBeCloseTo(26, 6);
    // + 4 of the open 03-03 instance: 4 of its 10 h lie on the last day's grid → 0.4 × 10 GPU-hours planned
    expect(j?.servedGpuHours).toBeCloseTo(26 + 4, 6);
    expect(j?.unservedGpuHours).toBeCloseTo(0, 6);
    expect(result.notes.join(' ')).toMatch(/1 batch instance\(s\) were still open/);
  });

  it.each([
    [{ fromMs: FROM + HOUR }, 'UTC midnights'],
    [{ toMs: FROM }, '--to must be after --from'],
    [{ horizonHours: 12 }, '--horizon-hours must be a whole number of hours from 24'],
    [{ step: 'hour' as const, horizonHours: 0 }, 'from 1 (one hour step)'],
    [{ carbonPricePerTonne: -1 }, '--carbon-price must be ≥ 0'],
  ])('rejects bad options %#', (options, message) => {
    expect(() => runBacktest(input(options))).toThrow(BacktestInputError);
    expect(() => runBacktest(input(options))).toThrow(message);
  });

  it('refuses a market that does not cover the range', () => {
    const bt = input({});
    expect(() => runBacktest({ ...bt, market: market(2) })).toThrow('does not cover');
  });
});
