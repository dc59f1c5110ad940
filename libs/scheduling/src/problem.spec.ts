import { describe, expect, it } from 'vitest';
import type { BatchJobInput, InteractiveJobInput } from '#gridshift/placement';
import type { PlanningInputs, PlanningJob } from './inputs.js';
import { buildProblem, jobThroughput } from './problem.js';
import { DEFAULT_PLANNING_SETTINGS } from './settings.js';

const H = 3_600_000;
const T0 = Date.parse('2024-05-01T10:00:00Z');
const slotStartsUtc = [0, 1, 2, 3].map((h) => new Date(T0 + h * H).toISOString());

function inputs(jobs: PlanningJob[]): PlanningInputs {
  const cluster = (id: string, zone: string, gpuModel: string) => ({
    id,
    name: id,
    region: 'eu',
    zone,
    gpuModel,
    gpuTotal: 100,
    kwPerGpu: 0.7,
    pue: 1.2,
    powerCapKw: null,
    latencyMsByOrigin: { users: 10 },
    state: null,
    schedulableGpus: [50, 50, 50, 50],
  });
  return {
    nowUtc: new Date(T0).toISOString(),
    horizonStartUtc: new Date(T0).toISOString(),
    slotMinutes: 60,
    slotStartsUtc,
    clusters: [cluster('fra', 'DE-LU', 'H100'), cluster('par', 'FR', 'H100'), cluster('mad', 'ES', 'A100')],
    zones: ['DE-LU', 'FR', 'ES'].map((zone) => ({
      zone,
      pricePerMwh: [50, 60, 70, 80],
      carbonGPerKwh: [null, null, null, null],
      source: ['day_ahead', 'day_ahead', 'day_ahead', 'day_ahead'],
      issuedAtUtc: [null, null, null, null],
    })),
    jobs,
    assumptions: [],
    settings: { ...DEFAULT_PLANNING_SETTINGS, horizonHours: 4 },
  };
}

const job = (over: Partial<PlanningJob>): PlanningJob => ({
  id: 'j',
  name: 'j',
  model: 'm',
  kind: 'interactive',
  tokensPerSecondPerGpu: { H100: 2000 },
  tokensPerHour: 7_200_000,
  demandProfile: null,
  totalTokens: null,
  windowStartUtc: null,
  deadlineUtc: null,
  origin: 'users',
  latencySlaMs: null,
  residency: [],
  tier: 'standard',
  maxGpus: 8,
  pins: {},
  homeClusterId: null,
  ...over,
});

describe('buildProblem', () => {
  it.each([
    // 7.2 M tokens/h ÷ (2,000 tokens/s × 3,600 s) = 1 GPU-hour per hourly slot.
    { name: 'flat interactive demand', over: {}, want: [1, 1, 1, 1] },
    // Profile for UTC hours 10..13 = 2, 0.5, 0, 1 → 2, 0.5, 0, 1 GPU-hours.
    {
      name: 'hour-of-day profile (UTC)',
      over: {
        demandProfile: Array.from({ length: 24 }, (_, h) => ({ 10: 2, 11: 0.5, 12: 0, 13: 1 })[h] ?? 9),
      },
      want: [2, 0.5, 0, 1],
    },
    // Window opens 10:30 and closes 12:00: half of slot 0, all of slot 1, nothing after.
    {
      name: 'window clips the demand',
      over: { windowStartUtc: '2024-05-01T10:30:00Z', deadlineUtc: '2024-05-01T12:00:00Z' },
      want: [0.5, 1, 0, 0],
    },
  ])('$name', ({ over, want }) => {
    const { problem } = buildProblem(inputs([job(over)]));
    const j = problem.jobs[0] as InteractiveJobInput;
    expect(j.demandGpuHours.map((d) => Math.round(d * 1e9) / 1e9)).toEqual(want);
    expect(j.allowedClusterIds).toEqual(['fra', 'par']); // mad has A100, the job only declares H100
    expect(j.tokensPerSecondPerGpu).toBe(2000);
  });

  it('sizes batch jobs with the slowest allowed GPU model and prorates deadlines beyond the horizon', () => {
    // 36 M tokens on A100 at 1,000 tok/s = 10 GPU-hours; H100 would be 5. Mixed models → slowest (A100).
    // Deadline 8 h away, horizon 4 h, window from now → 4/8 of the work now = 5 GPU-hours.
    const { problem, assumptions } = buildProblem(
      inputs([
        job({
          kind: 'batch',
          tokensPerHour: null,
          totalTokens: 36_000_000,
          tokensPerSecondPerGpu: { H100: 2000, A100: 1000 },
          deadlineUtc: new Date(T0 + 8 * H).toISOString(),
        }),
      ]),
    );
    const j = problem.jobs[0] as BatchJobInput;
    expect(j.totalGpuHours).toBeCloseTo(5, 9);
    expect([j.windowStartSlot, j.deadlineSlot]).toEqual([0, 4]);
    expect(j.allowedClusterIds).toEqual(['fra', 'par', 'mad']);
    expect(assumptions.map((a) => a.code).sort()).toEqual(['batch-prorated', 'gpu-throughput-mixed']);
  });

  it('honours pins, residency, latency and tiers; unknown tiers get the default penalty', () => {
    const { problem } = buildProblem(
      inputs([
        job({
          id: 'a',
          pins: { mustRunIn: ['par', 'gone'], mustNotRunIn: ['fra'] },
          residency: ['FR'],
          latencySlaMs: 50,
        }),
        job({ id: 'b', tier: 'mystery' }),
        job({ id: 'c', pins: { mustRunIn: ['gone'] } }),
      ]),
    );
    expect(problem.jobs[0]).toMatchObject({
      pins: { mustRunIn: ['par'], mustNotRunIn: ['fra'] },
      residencyZones: ['FR'],
      latencySlaMs: 50,
      origin: 'users',
      tier: 'standard',
    });
    expect(problem.jobs[1]).toMatchObject({ penaltyPerGpuHour: 100 });
    expect(problem.jobs[1]).not.toHaveProperty('tier');
    // Pinned only to a cluster that no longer exists: runs nowhere (empty mustRunIn).
    expect(problem.jobs[2]!.pins).toEqual({ mustRunIn: [] });
  });

  it('leaves out jobs without demand and flags them', () => {
    const { problem, assumptions } = buildProblem(
      inputs([job({ tokensPerHour: null }), job({ id: 'k', tokensPerSecondPerGpu: {} })]),
    );
    expect(problem.jobs).toEqual([]);
    expect(assumptions).toMatchObject([{ code: 'demand-missing', jobIds: ['j', 'k'] }]);
  });

  it('adds the stability term only for previous cells inside the horizon', () => {
    const base = inputs([job({})]);
    const settings = { ...base.settings, stabilityCostPerGpuHour: 2 };
    const { problem } = buildProblem(
      { ...base, settings },
      {
        previous: [
          { jobId: 'j', clusterId: 'fra', slotStartUtc: slotStartsUtc[1]!, gpus: 1 },
          { jobId: 'j', clusterId: 'fra', slotStartUtc: '2024-04-30T00:00:00.000Z', gpus: 1 },
        ],
      },
    );
    expect(problem.stability).toEqual({
      costPerGpuHourMoved: 2,
      previous: [{ jobId: 'j', clusterId: 'fra', slotStartUtc: slotStartsUtc[1], gpus: 1 }],
    });
  });
});

describe('jobThroughput', () => {
  it('sizes a job nowhere runnable with its fastest declared model', () => {
    expect(
      jobThroughput({ tokensPerSecondPerGpu: { B200: 5000, H200: 3000 } }, [{ id: 'x', gpuModel: 'H100' }]),
    ).toEqual({
      tokensPerSecondPerGpu: 5000,
      allowedClusterIds: [],
      mixed: false,
    });
  });
});

describe('home cluster', () => {
  it('passes an allowed home cluster to the engine (home baseline) and ignores a disallowed one', () => {
    const built = buildProblem(
      inputs([
        job({ id: 'a', homeClusterId: 'par' }),
        job({ id: 'b', homeClusterId: 'nowhere' }),
        job({ id: 'c', homeClusterId: 'mad', tokensPerSecondPerGpu: { H100: 2000 } }), // mad has A100s only
      ]),
    );
    const byId = new Map(built.problem.jobs.map((j) => [j.id, j]));
    expect(byId.get('a')?.homeClusterId).toBe('par');
    expect(byId.get('b')?.homeClusterId).toBeUndefined();
    expect(byId.get('c')?.homeClusterId).toBeUndefined();
  });
});
