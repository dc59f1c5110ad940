import {
  buildFleetProblem,
  ClusterSpecSchema,
  JobSpecSchema,
  slotGrid,
  type JobSpec,
} from '#gridshift/fleet';
import { solveBaseline, solvePlacement } from '#gridshift/placement';
import { describe, expect, it } from 'vitest';
import { BacktestInputError } from './errors.js';
import { compare, zeroFigures, type Figures } from './figures.js';
import { zoneSlots, type HourlyMarket } from './market.js';
import {
  dearerDays,
  pricesKnownAt,
  rollingPerfectOptimum,
  runBacktest,
  singlePlanOptimum,
  type BacktestInput,
  type BacktestOptions,
} from './rolling.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FROM = Date.parse('2023-03-01T00:00:00Z');

/**
 * Zone A is cheap at night (40 vs 120 /MWh) with a small daily drift, zone B flat at 80; carbon only in A.
 * `historyDays` of data before the range (for the forecaster).
 */
function market(days: number, historyDays = 7): HourlyMarket {
  const hours = (days + historyDays) * 24;
  const a = Float64Array.from(
    { length: hours },
    (_, h) => (h % 24 < 6 ? 40 : 120) + (Math.floor(h / 24) % 3) * 7,
  );
  const b = Float64Array.from({ length: hours }, () => 80);
  return {
    currency: 'USD',
    startMs: FROM - historyDays * DAY,
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
// 20:00 → 06:00 next day, 10 GPU-hours a release.
const overnight = job({
  id: 'overnight',
  kind: 'batch',
  totalTokens: 1.44e9,
  tokensPerSecondPerGpu: { H100: 40000 },
  windowStartHour: 20,
  deadlineHour: 30,
  tier: 'batch',
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
const PLANS = ['optimal', 'wholeGpu', 'perfect', 'home', 'greedy'] as const;

describe('runBacktest', () => {
  it('totals are the sums of the days; every plan serves the same work', () => {
    const result = runBacktest(input({ carbonPricePerTonne: 50 }));
    expect(result.days.map((d) => d.date)).toEqual(['2023-03-01', '2023-03-02', '2023-03-03']);
    for (const key of FIELDS) {
      for (const which of PLANS) {
        const sum = result.days.reduce((s, d) => s + d[which][key], 0);
        expect(result.totals[which][key]).toBeCloseTo(sum, 6);
      }
    }
    for (const d of result.days) {
      // 24 h × 10 GPU-hours (chat) + 100 GPU-hours (nightly) = 340 GPU-hours of work each day, all served by all.
      for (const which of ['optimal', 'perfect', 'home', 'greedy'] as const)
        expect(d[which].servedGpuHours).toBeCloseTo(340, 6);
    }
    expect(result.totals.optimal.carbonTonnes).toBeGreaterThan(0);
    expect(result.totals.optimal.carbonCost).toBeCloseTo(50 * result.totals.optimal.carbonTonnes, 9);
  });

  it.each([24, 48, 72])(
    'the optimum costs no more than home or greedy on any day (perfect information, %i h horizon)',
    (horizonHours) => {
      const result = runBacktest(
        input({ horizonHours, information: 'perfect' }, [chat, nightly, overnight], 4),
      );
      for (const d of result.days) {
        expect(d.optimal.totalCost).toBeLessThanOrEqual(d.home.totalCost + 1e-6);
        expect(d.optimal.totalCost).toBeLessThanOrEqual(d.greedy.totalCost + 1e-6);
        expect(d.optimal.servedGpuHours).toBeCloseTo(d.home.servedGpuHours, 6);
        expect(d.optimal.servedGpuHours).toBeCloseTo(d.greedy.servedGpuHours, 6);
      }
      expect(result.totals.perfect).toEqual(result.totals.optimal);
    },
  );

  // Work arriving every hour, each release due 24 h later (windows cross every midnight), on clusters that
  // cannot hold all of it at the busy hours: the shape of the capacity-binds scenario in three days.
  const hourly = job({
    id: 'hourly',
    kind: 'batch',
    totalTokens: 6.48e8, // 4.5 GPU-hours a release at 40,000 tokens/s
    tokensPerSecondPerGpu: { H100: 40000 },
    releaseEveryHours: 1,
    deadlineHour: 24,
    maxGpus: 6,
    tier: 'batch',
    homeClusterId: 'b-1',
  });

  it.each([24, 48, 72])(
    'every plan costs no more than home and greedy on its own problem, windows crossing midnight (perfect information, %i h)',
    (horizonHours) => {
      const result = runBacktest(
        input({ horizonHours, information: 'perfect' }, [chat, hourly, overnight], 3),
      );
      const same = result.totals.samePlan;
      // 3 daily plans in the range and one past it while the last releases run (13:00 UTC), plus the first.
      expect(same?.plans).toBeGreaterThanOrEqual(3);
      expect(same?.dearerThanHome).toBe(0);
      expect(same?.dearerThanGreedy).toBe(0);
      expect(same!.optimalCost).toBeLessThanOrEqual(same!.greedyCost + 1e-6);
      for (const d of result.days) {
        expect(d.samePlan?.dearerThanGreedy).toBe(0);
        expect(d.samePlan?.optimalCost).toBeLessThanOrEqual((d.samePlan?.greedyCost ?? 0) + 1e-6);
        expect(d.optimal.servedGpuHours).toBeCloseTo(d.greedy.servedGpuHours, 6);
      }
      const dearer = dearerDays(result.days);
      expect(dearer.vsGreedy).toBe(
        result.days.filter((d) => d.optimal.totalCost > d.greedy.totalCost * (1 + 1e-9) + 1e-9).length,
      );
    },
  );

  it('a day can legitimately cost more than greedy: the unique optimum pays more for one release to save on the next', () => {
    // The README's counterexample. One cluster, 1 GPU, 1 kW, PUE 1; slots 23:00 (day D), 00:00 and 01:00
    // (day D+1) at 10, 1 and 100 /MWh. Release A (day D) needs 1 GPU-hour in [23:00, 01:00), release B (day
    // D+1) 1 GPU-hour in [00:00, 02:00). Optimum: A at 23:00, B at 00:00 = 0.010 + 0.001 = 0.011. Greedy (A
    // claims first: same flexibility, input order) takes the cheapest hour for A (00:00), leaving B 01:00 =
    // 0.001 + 0.100 = 0.101. Day D: optimum 0.010 > greedy 0.001, whatever rule splits ties, because the
    // optimum is unique; day D+1: 0.001 < 0.100.
    const problem = {
      slotStartsUtc: ['2023-03-01T23:00:00Z', '2023-03-02T00:00:00Z', '2023-03-02T01:00:00Z'],
      slotMinutes: 60,
      currency: 'USD',
      clusters: [
        { id: 'c', zone: 'Z', schedulableGpus: [1, 1, 1], kwPerGpu: 1, pue: 1, pricePerMwh: [10, 1, 100] },
      ],
      jobs: [
        {
          id: 'A',
          kind: 'batch' as const,
          totalGpuHours: 1,
          windowStartSlot: 0,
          deadlineSlot: 2,
          maxGpus: 1,
          penaltyPerGpuHour: 50,
        },
        {
          id: 'B',
          kind: 'batch' as const,
          totalGpuHours: 1,
          windowStartSlot: 1,
          deadlineSlot: 3,
          maxGpus: 1,
          penaltyPerGpuHour: 50,
        },
      ],
    };
    const cost = (
      placements: { jobId: string; slotIndex: number }[],
      id: string,
      gpuHours: (p: never) => number,
    ) =>
      placements
        .filter((p) => p.jobId === id)
        .reduce((s, p) => s + (gpuHours(p as never) * ([10, 1, 100][p.slotIndex] ?? NaN)) / 1000, 0);
    const optimum = solvePlacement(problem, { explain: false, wholeGpus: false });
    const greedy = solveBaseline(problem, 'greedy');
    const lp = (p: { lpGpuHours: number }) => p.lpGpuHours;
    const work = (p: { gpuHours: number }) => p.gpuHours;
    expect(optimum.lpBound?.totalCost).toBeCloseTo(0.011, 12);
    expect(greedy.totals.totalCost).toBeCloseTo(0.101, 12);
    expect(cost(optimum.placements, 'A', lp)).toBeCloseTo(0.01, 12);
    expect(cost(greedy.placements, 'A', work)).toBeCloseTo(0.001, 12);
    expect(cost(optimum.placements, 'B', lp)).toBeCloseTo(0.001, 12);
    expect(cost(greedy.placements, 'B', work)).toBeCloseTo(0.1, 12);
  });

  it('plans at midnight with 24 h cost exactly what the engine reports for each day on the same problem', () => {
    const bt = input({ information: 'perfect', planHourUtc: 0 });
    const result = runBacktest(bt);
    result.days.forEach((d, i) => {
      const grid = slotGrid(FROM + i * DAY, 24);
      const { problem } = buildFleetProblem(clusters, bt.jobs, grid, {
        zones: zoneSlots(bt.market, FROM + i * DAY, 24),
        currency: 'USD',
        carbonPricePerTonne: 0,
      });
      const direct = solvePlacement(problem, { explain: false });
      expect(d.optimal.totalCost).toBeCloseTo(direct.lpBound?.totalCost ?? Number.NaN, 6);
      expect(d.wholeGpu.totalCost).toBeCloseTo(direct.totals.totalCost, 6);
      expect(d.home.totalCost).toBeCloseTo(solveBaseline(problem, 'home').totals.totalCost, 6);
      expect(d.greedy.totalCost).toBeCloseTo(solveBaseline(problem, 'greedy').totals.totalCost, 6);
      expect(d.solves).toBe(1);
    });
  });

  it('hour step reaches the same optimum as one plan a day (prices known, no coupling across midnight)', () => {
    const byDay = runBacktest(input({ information: 'perfect', planHourUtc: 0 }));
    const progress: number[] = [];
    const byHour = runBacktest(input({ step: 'hour', information: 'perfect' }), (p) => progress.push(p.done));
    // 3 plans (gridshift, home, greedy) × (72 hourly plan times + 24 past the range, where the longest batch
    // window of its last day ends)
    expect(progress.at(-1)).toBe(3 * 96);
    byHour.days.forEach((d, i) => {
      expect(d.optimal.totalCost).toBeCloseTo(byDay.days[i]?.optimal.totalCost ?? Number.NaN, 6);
      expect(d.solves).toBe(24);
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
      const result = runBacktest(input({ step, information: 'perfect' }, tight, 1));
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

  it('counts batch work on its release day and finishes the releases of the range past its end', () => {
    // 20:00 → 06:00 windows: each release has 4 h on its own day and 6 h on the next. The range's releases are
    // 03-01, 03-02 and 03-03 (10 GPU-hours each, the last finished on 03-04, past the range); the 02-28 release
    // runs in the range but counts for 02-28, outside it.
    const result = runBacktest(input({ information: 'perfect' }, [overnight], 3));
    const j = result.jobs[0];
    expect(j?.demandGpuHours).toBeCloseTo(30, 6);
    expect(j?.servedGpuHours).toBeCloseTo(30, 6);
    expect(j?.unservedGpuHours).toBeCloseTo(0, 6);
    for (const d of result.days) expect(d.home.servedGpuHours).toBeCloseTo(10, 6);
  });

  it('notes releases still open where the price data ends', () => {
    const bt = input({ information: 'perfect' }, [overnight], 3);
    const result = runBacktest({ ...bt, market: market(3, 0) });
    expect(result.notes.join(' ')).toMatch(/1 batch release\(s\) of the range were still open/);
  });

  it('under published information, plans after each publication and captures at most the perfect saving', () => {
    const result = runBacktest(input({ horizonHours: 48 }, [chat, nightly, overnight], 4));
    expect(result.information.information).toBe('published');
    expect(result.information.publicationPlans).toBeGreaterThan(0);
    expect(result.information.forecastZoneHours).toBeGreaterThan(0);
    const { captureVsHome, vsHome, perfectVsHome } = compare(result.totals);
    expect(vsHome.comparable && perfectVsHome.comparable).toBe(true);
    expect(result.totals.perfect.totalCost).toBeLessThanOrEqual(result.totals.optimal.totalCost + 1e-6);
    expect(captureVsHome).not.toBeNull();
    expect(captureVsHome!).toBeLessThanOrEqual(1 + 1e-9);
    // Home knows no prices: the same under both information sets.
    const perfect = runBacktest(
      input({ horizonHours: 48, information: 'perfect' }, [chat, nightly, overnight], 4),
    );
    expect(result.totals.home.totalCost).toBeCloseTo(perfect.totals.home.totalCost, 6);
  });

  it.each([
    [{ fromMs: FROM + HOUR }, 'UTC midnights'],
    [{ toMs: FROM }, '--to must be after --from'],
    [{ horizonHours: 12 }, '--horizon-hours must be a whole number of hours from 24'],
    [{ step: 'hour' as const, horizonHours: 0 }, 'from 1 (one hour step)'],
    [{ carbonPricePerTonne: -1 }, '--carbon-price must be ≥ 0'],
    [{ planHourUtc: 24 }, '--plan-hour must be a whole UTC hour 0..23'],
  ])('rejects bad options %#', (options, message) => {
    expect(() => runBacktest(input(options))).toThrow(BacktestInputError);
    expect(() => runBacktest(input(options))).toThrow(message);
  });

  it('refuses a market that does not cover the range', () => {
    const bt = input({});
    expect(() => runBacktest({ ...bt, market: market(2) })).toThrow('does not cover');
  });
});

describe('hindsight bound', () => {
  it('one plan over the whole span costs no more than the rolling perfect-foresight plan on the same work', () => {
    const bt = input({ horizonHours: 24 }, [chat, nightly, overnight], 4);
    const sum = (byDay: Map<string, Figures>) => [...byDay.values()].reduce((s, f) => s + f.totalCost, 0);
    const served = (byDay: Map<string, Figures>) =>
      [...byDay.values()].reduce((s, f) => s + f.servedGpuHours, 0);
    const single = singlePlanOptimum(bt);
    const rolling = rollingPerfectOptimum(bt);
    expect(served(single)).toBeCloseTo(served(rolling), 6);
    expect(sum(single)).toBeLessThanOrEqual(sum(rolling) + 1e-6);
  });
});

describe('pricesKnownAt (published information)', () => {
  // DE-LU publishes the next Brussels day at 12:45 Brussels time (11:45 UTC in March).
  const SPIKE_MS = Date.parse('2023-03-05T15:00:00Z');
  const options = { horizonHours: 48, carbonPricePerTonne: 0 };
  function planted(spike: number): HourlyMarket {
    const base = market(10);
    const a = base.zones.get('A')!;
    const de = Float64Array.from(a.pricePerMwh);
    de[(SPIKE_MS - base.startMs) / HOUR] = spike;
    return { ...base, zones: new Map([['DE-LU', { ...a, zone: 'DE-LU', pricePerMwh: de }]]) };
  }
  const seen = (m: HourlyMarket, atMs: number) =>
    pricesKnownAt(m, atMs, 48, options).get('DE-LU')!.pricePerMwh[(SPIKE_MS - atMs) / HOUR];

  it('a price published after the plan time never reaches the plan; once published, the next plan sees it', () => {
    const before = Date.parse('2023-03-04T11:00:00Z'); // results for 03-05 come out at 11:45 UTC
    const after = Date.parse('2023-03-04T12:00:00Z');
    expect(seen(planted(10_000), before)).not.toBe(10_000);
    // Whatever the spike is, the plan before publication sees the same forecast.
    expect(seen(planted(10_000), before)).toBe(seen(planted(-500), before));
    expect(seen(planted(10_000), after)).toBe(10_000);
  });

  it('keeps published hours exact and forecasts only beyond them', () => {
    const at = Date.parse('2023-03-04T12:00:00Z'); // known until 03-05 23:00 UTC (midnight Brussels)
    const m = planted(10_000);
    const known = pricesKnownAt(m, at, 48, options).get('DE-LU')!.pricePerMwh;
    const actual = m.zones.get('DE-LU')!.pricePerMwh;
    const h0 = (at - m.startMs) / HOUR;
    for (let t = 0; t < 35; t++) expect(known[t]).toBe(actual[h0 + t]);
  });
});
