import { buildProblem, DEFAULT_PLANNING_SETTINGS, type PlanningInputs } from '#gridshift/scheduling';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema, JobSpecSchema, type ClusterSpec, type JobSpec } from './files.js';
import { buildFleetProblem, slotGrid, toFleetClusters, toFleetJobs, type ZoneSlots } from './inputs.js';

// The planner (stored state → PlanningInputs → buildProblem) and the backtest (fleet and job files →
// buildFleetProblem) must build the same placement problem from the same fleet, jobs and prices: a backtest
// exercises the production conversion. Generated fleets, jobs, grids and prices.

const ZONES = ['DE-LU', 'FR', 'US-CAL-CISO'] as const;
const MODELS = ['H100', 'A100'] as const;
const ORIGINS = ['eu-users', 'us-users'] as const;

const clusterArb = (i: number) =>
  fc
    .record({
      zone: fc.constantFrom(...ZONES),
      gpuModel: fc.constantFrom(...MODELS),
      gpuTotal: fc.integer({ min: 8, max: 2000 }),
      kwPerGpu: fc.double({ min: 0.3, max: 2, noNaN: true }),
      pue: fc.double({ min: 1, max: 2, noNaN: true }),
      peak: fc.double({ min: 0.3, max: 0.9, noNaN: true }),
      trough: fc.double({ min: 0, max: 0.3, noNaN: true }),
      timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/Los_Angeles'),
      eu: fc.integer({ min: 1, max: 200 }),
      us: fc.integer({ min: 1, max: 200 }),
    })
    .map((c) =>
      ClusterSpecSchema.parse({
        id: `c-${i}`,
        region: c.zone === 'US-CAL-CISO' ? 'us-west' : 'eu-central',
        zone: c.zone,
        gpuModel: c.gpuModel,
        gpuTotal: c.gpuTotal,
        kwPerGpu: c.kwPerGpu,
        pue: c.pue,
        peakBusyShare: c.peak,
        troughBusyShare: c.trough,
        timeZone: c.timeZone,
        latencyMsByOrigin: { 'eu-users': c.eu, 'us-users': c.us },
      }),
    );

const jobArb = (i: number, clusterCount: number) =>
  fc
    .record({
      kind: fc.constantFrom('interactive', 'batch'),
      h100: fc.integer({ min: 500, max: 40_000 }),
      a100: fc.option(fc.integer({ min: 300, max: 20_000 }), { nil: undefined }),
      tokens: fc.double({ min: 1e6, max: 1e10, noNaN: true }),
      start: fc.integer({ min: 0, max: 12 }),
      length: fc.integer({ min: 1, max: 36 }),
      every: fc.constantFrom(1, 6, 24),
      origin: fc.constantFrom(...ORIGINS),
      sla: fc.option(fc.integer({ min: 5, max: 150 }), { nil: undefined }),
      residency: fc.subarray([...ZONES]),
      tier: fc.constantFrom('critical', 'standard', 'batch', 'best-effort', 'gold'),
      maxGpus: fc.integer({ min: 1, max: 800 }),
      home: fc.integer({ min: 0, max: clusterCount - 1 }),
    })
    .map((j) =>
      JobSpecSchema.parse({
        id: `j-${i}`,
        model: 'm',
        kind: j.kind,
        tokensPerSecondPerGpu: { H100: j.h100, ...(j.a100 === undefined ? {} : { A100: j.a100 }) },
        ...(j.kind === 'interactive'
          ? {
              tokensPerHour: j.tokens,
              windowStartHour: j.start,
              deadlineHour: j.start + Math.min(24, j.length),
            }
          : {
              totalTokens: j.tokens,
              windowStartHour: j.start,
              deadlineHour: j.start + j.length,
              releaseEveryHours: j.every,
            }),
        origin: j.origin,
        ...(j.sla === undefined ? {} : { latencySlaMs: j.sla }),
        residency: j.residency,
        tier: j.tier,
        maxGpus: j.maxGpus,
        homeClusterId: `c-${j.home}`,
      }),
    );

const scenarioArb = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({
    clusters: fc.tuple(...Array.from({ length: n }, (_, i) => clusterArb(i))),
    jobs: fc
      .integer({ min: 0, max: 6 })
      .chain((m) => fc.tuple(...Array.from({ length: m }, (_, i) => jobArb(i, n)))),
    startHour: fc.integer({ min: 0, max: 23 * 24 }),
    hours: fc.integer({ min: 1, max: 72 }),
    seed: fc.integer({ min: 1, max: 1000 }),
    carbonPrice: fc.constantFrom(0, 80),
  }),
);

function zoneSeries(hours: number, seed: number): Map<string, ZoneSlots> {
  return new Map(
    ZONES.map((zone, z) => [
      zone,
      {
        pricePerMwh: Array.from({ length: hours }, (_, t) => ((seed * (t + 3) * (z + 7)) % 300) - 20),
        carbonGPerKwh: Array.from({ length: hours }, (_, t) =>
          t % 5 === 0 ? null : 100 + ((seed + t) % 400),
        ),
      },
    ]),
  );
}

/** The planner's view of the same fleet: what its loader gives buildProblem for these clusters and jobs. */
function planningInputs(
  clusters: readonly ClusterSpec[],
  jobs: readonly JobSpec[],
  startMs: number,
  hours: number,
  zones: Map<string, ZoneSlots>,
  carbonPricePerTonne: number,
): PlanningInputs {
  const grid = slotGrid(startMs, hours);
  const fleetClusters = toFleetClusters(clusters, grid);
  const fleetJobs = toFleetJobs(jobs, grid, { clusters });
  return {
    nowUtc: grid.slotStartsUtc[0]!,
    horizonStartUtc: grid.slotStartsUtc[0]!,
    slotMinutes: 60,
    slotStartsUtc: [...grid.slotStartsUtc],
    clusters: fleetClusters.map((c, i) => ({
      ...c,
      name: c.id,
      gpuTotal: clusters[i]!.gpuTotal,
      powerCapKw: null,
      state: null,
      schedulableGpus: [...c.schedulableGpus],
    })),
    zones: [...zones].map(([zone, z]) => ({
      zone,
      pricePerMwh: [...z.pricePerMwh],
      carbonGPerKwh: [...(z.carbonGPerKwh ?? [])],
      source: z.pricePerMwh.map(() => 'day_ahead' as const),
      issuedAtUtc: z.pricePerMwh.map(() => null),
    })),
    jobs: fleetJobs.jobs.map((j) => ({
      ...j,
      name: j.id,
      model: 'm',
      demandProfile: j.demandProfile ? [...j.demandProfile] : null,
      residency: [...j.residency],
    })),
    assumptions: [],
    settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: hours, carbonPricePerTonne },
  };
}

describe('planner and backtest build the same problem', () => {
  it('from the same fleet, jobs and prices (generated)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ clusters, jobs, startHour, hours, seed, carbonPrice }) => {
        const startMs = Date.parse('2023-03-01T00:00:00Z') + startHour * 3_600_000;
        const zones = zoneSeries(hours, seed);
        const backtest = buildFleetProblem(clusters, jobs, slotGrid(startMs, hours), {
          zones,
          currency: 'USD',
          carbonPricePerTonne: carbonPrice,
        }).problem;
        const planner = buildProblem(
          planningInputs(clusters, jobs, startMs, hours, zones, carbonPrice),
        ).problem;
        expect(planner).toEqual(backtest);
      }),
      { numRuns: 150, seed: 11 },
    );
  });
});
