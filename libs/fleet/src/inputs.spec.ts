import {
  jobThroughput,
  type BatchJobInput,
  type InteractiveJobInput,
  type JobInput,
} from '#gridshift/placement';
import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema, JobSpecSchema, type ClusterSpec, type JobSpec } from './files.js';
import {
  buildFleetProblem,
  gpuHoursForTokens,
  interactiveTokensPerHour,
  schedulableGpusAt,
  slotGrid,
  type FleetJobOptions,
  type SlotGrid,
  type ZoneSlots,
} from './inputs.js';

const MIDNIGHT = Date.parse('2023-03-01T00:00:00Z');
const HOUR = 3_600_000;

function cluster(fields: Partial<ClusterSpec> & { id: string }): ClusterSpec {
  return ClusterSpecSchema.parse({
    region: 'r',
    zone: 'DE-LU',
    gpuModel: 'H100',
    gpuTotal: 100,
    kwPerGpu: 1,
    pue: 1.25,
    ...fields,
  });
}

function job(fields: Record<string, unknown>): JobSpec {
  return JobSpecSchema.parse({
    id: 'j',
    model: 'm',
    kind: 'interactive',
    tokensPerSecondPerGpu: { H100: 2000 },
    tokensPerHour: 72e6,
    origin: 'eu-users',
    maxGpus: 50,
    ...fields,
  });
}

/** Flat prices for every zone of `clusters` on `grid`. */
function flatZones(clusters: readonly ClusterSpec[], grid: SlotGrid): Map<string, ZoneSlots> {
  return new Map(clusters.map((c) => [c.zone, { pricePerMwh: grid.slotStartsUtc.map(() => 50) }]));
}

/** The problem's jobs through the shared builder (the planner's conversion), with their meta and issues. */
function toJobInputs(specs: JobSpec[], grid: SlotGrid, opts: FleetJobOptions) {
  const built = buildFleetProblem(opts.clusters, specs, grid, {
    ...opts,
    zones: flatZones(opts.clusters, grid),
    currency: 'USD',
  });
  return { jobs: built.problem.jobs, meta: built.meta, issues: built.issues, problem: built.problem };
}

/** The problem's clusters through the shared builder. */
function toClusterInputs(clusters: ClusterSpec[], grid: SlotGrid, zones: Map<string, ZoneSlots>) {
  return buildFleetProblem(clusters, [], grid, { zones, currency: 'USD' }).problem.clusters;
}

/** The penalty the engine applies to a job: its own, else its tier's in the problem's table. */
function penaltyOf(problem: { tierPenaltiesPerGpuHour?: Record<string, number> }, job: JobInput | undefined) {
  return job?.penaltyPerGpuHour ?? problem.tierPenaltiesPerGpuHour?.[job?.tier ?? ''];
}

const fra = cluster({ id: 'fra-1' });
const par = cluster({ id: 'par-1', zone: 'FR' });

describe('tokens → GPU-hours', () => {
  it.each([
    // tokens ÷ (tokens/s per GPU × 3600)
    { tokens: 7.2e6, rate: 2000, want: 1 }, // 7.2e6 ÷ (2000 × 3600 = 7.2e6) = 1
    { tokens: 72e6, rate: 2000, want: 10 }, // 72e6 ÷ 7.2e6 = 10
    { tokens: 2.2e10, rate: 2600, want: 2350.427 }, // 2.2e10 ÷ 9.36e6 ≈ 2350.43 (demo summarize-eu)
    { tokens: 6e10, rate: 40000, want: 416.667 }, // 6e10 ÷ 1.44e8 ≈ 416.67 (demo embed-backfill)
    { tokens: 0, rate: 1000, want: 0 },
  ])('$tokens tokens at $rate tokens/s → $want GPU-hours', ({ tokens, rate, want }) => {
    expect(gpuHoursForTokens(tokens, rate)).toBeCloseTo(want, 3);
  });
});

describe('jobThroughput', () => {
  const a100 = cluster({ id: 'a100-1', gpuModel: 'A100' });
  it.each<{
    name: string;
    rates: Record<string, number>;
    want: { rate: number; ids: string[]; mixed: boolean };
  }>([
    { name: 'one model', rates: { H100: 2000 }, want: { rate: 2000, ids: ['fra-1', 'par-1'], mixed: false } },
    {
      name: 'only clusters with a declared model',
      rates: { A100: 900 },
      want: { rate: 900, ids: ['a100-1'], mixed: false },
    },
    // mixed H100 (2000) and A100 (900): the slowest rate, so demand is never under-sized
    {
      name: 'mixed → slowest',
      rates: { H100: 2000, A100: 900 },
      want: { rate: 900, ids: ['fra-1', 'par-1', 'a100-1'], mixed: true },
    },
    // no cluster has a B200: fastest declared rate sizes the (unservable) demand
    { name: 'no model', rates: { B200: 5000, L4: 300 }, want: { rate: 5000, ids: [], mixed: false } },
  ])('$name', ({ rates, want }) => {
    const got = jobThroughput({ tokensPerSecondPerGpu: rates }, [fra, par, a100]);
    expect(got).toEqual({ tokensPerSecondPerGpu: want.rate, allowedClusterIds: want.ids, mixed: want.mixed });
  });
});

describe('interactiveTokensPerHour', () => {
  const profile = Array.from({ length: 24 }, (_, h) => h * 1e6);
  const traces = new Map([['trace.csv', profile]]);
  it.each([
    { name: 'steady', spec: { tokensPerHour: 5e6 }, hour: 7, want: 5e6 },
    // trace window 7 = 7e6 tokens/h, × scale 3
    {
      name: 'trace × scale',
      spec: { tokensPerHour: undefined, demandTrace: { file: 'trace.csv', scale: 3 } },
      hour: 7,
      want: 21e6,
    },
    { name: 'inside service hours', spec: { windowStartHour: 8, deadlineHour: 18 }, hour: 8, want: 72e6 },
    { name: 'outside service hours', spec: { windowStartHour: 8, deadlineHour: 18 }, hour: 18, want: 0 },
    // 20 → 30 wraps midnight: 20:00–06:00
    {
      name: 'wrapping hours, after midnight',
      spec: { windowStartHour: 20, deadlineHour: 30 },
      hour: 5,
      want: 72e6,
    },
    { name: 'wrapping hours, daytime', spec: { windowStartHour: 20, deadlineHour: 30 }, hour: 6, want: 0 },
  ])('$name', ({ spec, hour, want }) => {
    expect(interactiveTokensPerHour(job(spec), hour, traces)).toBe(want);
  });

  it('needs the trace profile loaded', () => {
    const spec = job({ tokensPerHour: undefined, demandTrace: { file: 'missing.csv' } });
    expect(() => interactiveTokensPerHour(spec, 0, traces)).toThrow(
      'no trace profile loaded for missing.csv',
    );
  });
});

describe('toJobInputs', () => {
  const day = slotGrid(MIDNIGHT, 24);

  it('sizes interactive demand per slot and passes the rules through', () => {
    const spec = job({
      residency: ['FR'],
      latencySlaMs: 30,
      homeClusterId: 'par-1',
      tier: 'critical',
    });
    const built = toJobInputs([spec], slotGrid(MIDNIGHT, 3), { clusters: [fra, par] });
    const input = built.jobs[0] as InteractiveJobInput;
    // 72e6 tokens/h ÷ 7.2e6 tokens per GPU-hour = 10 GPU-hours per 1 h slot
    expect(input.demandGpuHours).toEqual([10, 10, 10]);
    expect(input).toMatchObject({
      id: 'j',
      kind: 'interactive',
      maxGpus: 50,
      allowedClusterIds: ['fra-1', 'par-1'],
      residencyZones: ['FR'],
      origin: 'eu-users',
      latencySlaMs: 30,
      tier: 'critical',
      tokensPerSecondPerGpu: 2000,
      homeClusterId: 'par-1',
    });
    expect(penaltyOf(built.problem, input)).toBe(1000);
    expect(built.meta).toEqual([
      { inputId: 'j', jobId: 'j', kind: 'interactive', tokensPerSecondPerGpu: 2000 },
    ]);
    expect(built.issues).toEqual([]);
  });

  it('halves demand per slot on 30-minute slots', () => {
    const built = toJobInputs([job({})], slotGrid(MIDNIGHT, 2, 30), { clusters: [fra] });
    // 10 GPU-hours per hour × 0.5 h
    expect((built.jobs[0] as InteractiveJobInput).demandGpuHours).toEqual([5, 5]);
  });

  it.each([
    { name: 'default tier standard', fields: {}, penalties: undefined, want: 100, issues: 0 },
    { name: 'best-effort', fields: { tier: 'best-effort' }, penalties: undefined, want: 5, issues: 0 },
    { name: 'file override', fields: { tier: 'critical' }, penalties: { critical: 50 }, want: 50, issues: 0 },
    {
      name: 'unknown tier → fallback 100',
      fields: { tier: 'gold' },
      penalties: undefined,
      want: 100,
      issues: 1,
    },
  ])('tier penalty: $name', ({ fields, penalties, want, issues }) => {
    const built = toJobInputs([job(fields)], day, {
      clusters: [fra],
      ...(penalties ? { tierPenaltiesPerGpuHour: penalties } : {}),
    });
    expect(penaltyOf(built.problem, built.jobs[0])).toBe(want);
    expect(built.issues).toHaveLength(issues);
  });

  it('reports a job no cluster can run and leaves residency unset when empty', () => {
    const built = toJobInputs([job({ tokensPerSecondPerGpu: { B200: 5000 } })], day, { clusters: [fra] });
    expect(built.jobs[0]?.allowedClusterIds).toEqual([]);
    expect(built.jobs[0]).not.toHaveProperty('residencyZones');
    expect(built.issues[0]).toMatchObject({ jobId: 'j', code: 'no-gpu-model' });
  });

  // 1.44e9 tokens at 40,000 tokens/s = 1.44e9 ÷ 1.44e8 = 10 GPU-hours per daily instance
  const batch = (fields: Record<string, unknown>) =>
    job({
      kind: 'batch',
      tokensPerHour: undefined,
      totalTokens: 1.44e9,
      tokensPerSecondPerGpu: { H100: 40000 },
      ...fields,
    });

  it('plans one batch instance per day inside its window', () => {
    const built = toJobInputs([batch({ windowStartHour: 6, deadlineHour: 20 })], day, { clusters: [fra] });
    expect(built.jobs).toHaveLength(1);
    const input = built.jobs[0] as BatchJobInput;
    expect(input).toMatchObject({ id: 'j@2023-03-01', kind: 'batch', windowStartSlot: 6, deadlineSlot: 20 });
    expect(input.totalGpuHours).toBeCloseTo(10, 9);
    expect(built.meta[0]).toMatchObject({
      day: '2023-03-01',
      windowStartMs: MIDNIGHT + 6 * HOUR,
      deadlineMs: MIDNIGHT + 20 * HOUR,
    });
  });

  it('plans only the work not done yet and skips finished instances', () => {
    const spec = batch({});
    const half = toJobInputs([spec], day, { clusters: [fra], doneGpuHours: new Map([['j@2023-03-01', 4]]) });
    expect((half.jobs[0] as BatchJobInput).totalGpuHours).toBeCloseTo(6, 9); // 10 − 4
    const finished = toJobInputs([spec], day, {
      clusters: [fra],
      doneGpuHours: new Map([['j@2023-03-01', 10]]),
    });
    expect(finished.jobs).toEqual([]);
  });

  it('plans a pro-rata share of an instance whose deadline is past the grid', () => {
    // Grid 12:00 → 12:00 next day. Today's instance [00:00, 24:00): 12 slots left, all of it.
    // Tomorrow's [24:00, 48:00): 12 of its 24 h are on the grid → share (36 − 24) ÷ (48 − 24) = 0.5 → 5 GPU-hours.
    const built = toJobInputs([batch({})], slotGrid(MIDNIGHT + 12 * HOUR, 24), { clusters: [fra] });
    expect(built.jobs.map((j) => j.id)).toEqual(['j@2023-03-01', 'j@2023-03-02']);
    const [today, tomorrow] = built.jobs as BatchJobInput[];
    expect(today).toMatchObject({ windowStartSlot: 0, deadlineSlot: 12 });
    expect(today?.totalGpuHours).toBeCloseTo(10, 9);
    expect(tomorrow).toMatchObject({ windowStartSlot: 12, deadlineSlot: 24 });
    expect(tomorrow?.totalGpuHours).toBeCloseTo(5, 9);
  });

  it('keeps an instance open across midnight (deadlineHour > 24)', () => {
    // Window 20:00 → 06:00 next day (deadlineHour 30). On the 2023-03-02 day grid, the 2023-03-01 instance has
    // its last 6 h (slots 0..6) and the whole remaining work; the 2023-03-02 instance opens at slot 20 and
    // has 4 of its 10 h on the grid → 0.4 × 10 = 4 GPU-hours.
    const built = toJobInputs(
      [batch({ windowStartHour: 20, deadlineHour: 30 })],
      slotGrid(MIDNIGHT + 24 * HOUR, 24),
      {
        clusters: [fra],
        doneGpuHours: new Map([['j@2023-03-01', 3]]),
      },
    );
    const [previous, current] = built.jobs as BatchJobInput[];
    expect(previous).toMatchObject({ id: 'j@2023-03-01', windowStartSlot: 0, deadlineSlot: 6 });
    expect(previous?.totalGpuHours).toBeCloseTo(7, 9); // 10 − 3 done
    expect(current).toMatchObject({ id: 'j@2023-03-02', windowStartSlot: 20, deadlineSlot: 24 });
    expect(current?.totalGpuHours).toBeCloseTo(4, 9);
  });
  it('releases a batch job every releaseEveryHours with its own window and tokens per release', () => {
    // Every 6 h from 00:00, 24 h windows, 10 GPU-hours each: on the 03-01 day grid the 02-28 releases at 06, 12,
    // 18 are still open (their remaining work is planned in full: deadline inside the grid), the 03-01 releases at
    // 00, 06, 12, 18 end past the grid (pro rata: (24 − start) ÷ 24 of 10).
    const built = toJobInputs([batch({ releaseEveryHours: 6, deadlineHour: 24 })], day, { clusters: [fra] });
    expect(built.jobs.map((j) => j.id)).toEqual([
      'j@2023-02-28T06',
      'j@2023-02-28T12',
      'j@2023-02-28T18',
      'j@2023-03-01T00',
      'j@2023-03-01T06',
      'j@2023-03-01T12',
      'j@2023-03-01T18',
    ]);
    const gpuHours = (built.jobs as BatchJobInput[]).map((j) => j.totalGpuHours);
    [10, 10, 10, 10, 7.5, 5, 2.5].forEach((want, i) => expect(gpuHours[i]).toBeCloseTo(want, 9));
    expect(built.jobs[1]).toMatchObject({ windowStartSlot: 0, deadlineSlot: 12 });
    expect(built.meta[4]).toMatchObject({ day: '2023-03-01', windowStartMs: MIDNIGHT + 6 * HOUR });
  });
});

describe('toClusterInputs', () => {
  const shaped = cluster({
    id: 'sim-1',
    gpuTotal: 100,
    peakBusyShare: 0.8,
    troughBusyShare: 0.2,
    timeZone: 'UTC',
    powerCapKw: 100,
    latencyMsByOrigin: { 'eu-users': 12 },
  });

  it.each([
    // busy = 0.2 + 0.6 × (cos((h − 16)/24 · 2π) + 1)/2; free = 100 − round(100 × busy)
    { hour: 16, free: 20 }, // peak: 80 busy
    { hour: 4, free: 80 }, // trough: 20 busy
    { hour: 10, free: 50 }, // midway: 50 busy
  ])('free GPUs at $hour:00 UTC = $free', ({ hour, free }) => {
    expect(schedulableGpusAt(shaped, MIDNIGHT + hour * HOUR)).toBe(free);
  });

  it('builds capacity, power headroom, prices and carbon per slot', () => {
    const grid = slotGrid(MIDNIGHT + 4 * HOUR, 13); // 04:00 … 16:00
    const prices = Array.from({ length: 13 }, (_, t) => 50 + t);
    const [input] = toClusterInputs(
      [shaped],
      grid,
      new Map([['DE-LU', { pricePerMwh: prices, carbonGPerKwh: prices.map((p) => (p > 55 ? 300 : null)) }]]),
    );
    expect(input?.schedulableGpus[0]).toBe(80);
    expect(input?.schedulableGpus[12]).toBe(20);
    // cap 100 kW − busy GPUs × 1 kW × PUE 1.25: 04:00 → 100 − 20 × 1.25 = 75; 16:00 → 100 − 80 × 1.25 = 0
    expect(input?.powerCapKw?.[0]).toBeCloseTo(75, 9);
    expect(input?.powerCapKw?.[12]).toBeCloseTo(0, 9);
    expect(input).toMatchObject({
      id: 'sim-1',
      zone: 'DE-LU',
      kwPerGpu: 1,
      pue: 1.25,
      latencyMsByOrigin: { 'eu-users': 12 },
    });
    expect(input?.pricePerMwh).toEqual(prices);
    expect(input?.carbonGPerKwh).toHaveLength(13);
  });

  it('omits the power cap when the cluster has none and fails on a missing zone or wrong length', () => {
    const grid = slotGrid(MIDNIGHT, 2);
    const [input] = toClusterInputs([fra], grid, new Map([['DE-LU', { pricePerMwh: [1, 2] }]]));
    expect(input).not.toHaveProperty('powerCapKw');
    expect(input).not.toHaveProperty('carbonGPerKwh');
    expect(() => toClusterInputs([par], grid, new Map([['DE-LU', { pricePerMwh: [1, 2] }]]))).toThrow(
      'no prices for zone FR (cluster par-1)',
    );
    expect(() => toClusterInputs([fra], grid, new Map([['DE-LU', { pricePerMwh: [1] }]]))).toThrow(
      'one entry per slot (2)',
    );
  });
});
