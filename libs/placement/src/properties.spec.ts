import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPlacement } from './check.js';
import type { ClusterInput, JobInput, PlacementProblem } from './model.js';
import { clusterAllowed, jobDemand, jobWindow, usableGpus } from './independent-rules.js';
import { solveBaseline, solvePlacement } from './solve.js';
import { HOUR_STARTS, oracleObjective, relGap } from './test-support.js';

// Small arbitrary fleets, including negative prices, spikes to market caps, zero capacity, power caps,
// penalties below prices, empty allowed sets and one-slot horizons.

const price = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: -50, max: -1 }) },
  { weight: 1, arbitrary: fc.constantFrom(3000, 4000) },
);

function clusterArb(slots: number, id: string): fc.Arbitrary<ClusterInput> {
  return fc
    .record({
      gpus: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: slots, maxLength: slots }),
      prices: fc.array(price, { minLength: slots, maxLength: slots }),
      kwPerGpu: fc.constantFrom(0.5, 0.7, 1, 1.4),
      pue: fc.constantFrom(1, 1.2, 1.5),
      powerCap: fc.option(
        fc.array(fc.option(fc.integer({ min: 0, max: 8 })), { minLength: slots, maxLength: slots }),
      ),
      carbon: fc.option(
        fc.array(fc.option(fc.integer({ min: 0, max: 800 })), { minLength: slots, maxLength: slots }),
      ),
      zone: fc.constantFrom('A', 'B', 'C'),
    })
    .map((c) => ({
      id,
      zone: c.zone,
      schedulableGpus: c.gpus,
      kwPerGpu: c.kwPerGpu,
      pue: c.pue,
      pricePerMwh: c.prices,
      ...(c.powerCap ? { powerCapKw: c.powerCap } : {}),
      ...(c.carbon ? { carbonGPerKwh: c.carbon } : {}),
    }));
}

function jobArb(slots: number, clusterIds: string[], id: string): fc.Arbitrary<JobInput> {
  const common = fc.record({
    maxGpus: fc.integer({ min: 1, max: 4 }),
    penalty: fc.constantFrom(0, 0.05, 0.3, 2, 10),
    allowed: fc.option(fc.subarray(clusterIds)),
    zones: fc.option(fc.subarray(['A', 'B', 'C'], { minLength: 1 })),
    tokens: fc.option(fc.constantFrom(500, 2000)),
  });
  const window = fc
    .tuple(fc.integer({ min: 0, max: slots }), fc.integer({ min: 0, max: slots }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  const demand = fc.double({ min: 0, max: 12, noNaN: true }).map((d) => Math.round(d * 100) / 100);
  return fc.oneof(
    fc.record({ common, demand, window }).map(({ common: c, demand: d, window: [a, b] }) => ({
      id,
      kind: 'batch' as const,
      totalGpuHours: d,
      windowStartSlot: a,
      deadlineSlot: b,
      maxGpus: c.maxGpus,
      penaltyPerGpuHour: c.penalty,
      ...(c.allowed ? { allowedClusterIds: c.allowed } : {}),
      ...(c.zones ? { residencyZones: c.zones } : {}),
      ...(c.tokens ? { tokensPerSecondPerGpu: c.tokens } : {}),
    })),
    fc
      .record({
        common,
        demands: fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: slots, maxLength: slots }),
      })
      .map(({ common: c, demands }) => ({
        id,
        kind: 'interactive' as const,
        demandGpuHours: demands.map((d) => Math.round(d * 100) / 100),
        maxGpus: c.maxGpus,
        penaltyPerGpuHour: c.penalty,
        ...(c.allowed ? { allowedClusterIds: c.allowed } : {}),
        ...(c.zones ? { residencyZones: c.zones } : {}),
      })),
  );
}

const problemArb: fc.Arbitrary<PlacementProblem> = fc
  .record({
    slots: fc.integer({ min: 1, max: 6 }),
    clusterCount: fc.integer({ min: 0, max: 4 }),
    jobCount: fc.integer({ min: 0, max: 8 }),
  })
  .chain(({ slots, clusterCount, jobCount }) => {
    const ids = Array.from({ length: clusterCount }, (_v, k) => `c${k}`);
    return fc.record({
      slots: fc.constant(slots),
      clusters: fc.tuple(...ids.map((id) => clusterArb(slots, id))),
      jobs: fc.tuple(...Array.from({ length: jobCount }, (_v, k) => jobArb(slots, ids, `j${k}`))),
      carbonPrice: fc.option(fc.constantFrom(50, 200)),
    });
  })
  .map(({ slots, clusters, jobs, carbonPrice }) => ({
    slotStartsUtc: HOUR_STARTS.slice(0, slots),
    slotMinutes: 60,
    currency: 'EUR',
    clusters: [...clusters],
    jobs: [...jobs],
    ...(carbonPrice !== null ? { carbonPricePerTonne: carbonPrice } : {}),
  }));

const tol = (v: number) => 1e-7 * Math.max(1, Math.abs(v));

describe('placement properties', () => {
  it('never violates a constraint, and the LP bound is ≤ both baselines and ≤ the rounded cost', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        for (const method of ['flow', 'lp'] as const) {
          const result = solvePlacement(p, { method });
          expect(checkPlacement(p, result)).toEqual([]);
          const bound = result.lpBound?.totalCost ?? NaN;
          expect(bound).toBeLessThanOrEqual((result.baselines?.home.totalCost ?? NaN) + tol(bound));
          expect(bound).toBeLessThanOrEqual((result.baselines?.greedy.totalCost ?? NaN) + tol(bound));
          expect(bound).toBeLessThanOrEqual(result.totals.totalCost + tol(bound));
          // Like for like: the whole-GPU schedule against whole-GPU baselines is never dearer.
          const ours = result.totals.totalCost;
          expect(ours).toBeLessThanOrEqual((result.baselines?.home.totalCost ?? NaN) + tol(ours));
          expect(ours).toBeLessThanOrEqual((result.baselines?.greedy.totalCost ?? NaN) + tol(ours));
        }
      }),
      { numRuns: 150, seed: 20230302 },
    );
  });

  it("whole-GPU baselines keep every rule (checked without the solver's normalisation) and serve ≤ demand", () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const T = p.slotStartsUtc.length;
        const hours = p.slotMinutes / 60;
        for (const kind of ['home', 'greedy'] as const) {
          const { placements, totals } = solveBaseline(p, kind, { wholeGpus: true });
          const perCell = new Map<string, number>();
          const perJobSlot = new Map<string, { gpus: number; work: number }>();
          const perJob = new Map<string, number>();
          let served = 0;
          for (const pl of placements) {
            const job = p.jobs.find((j) => j.id === pl.jobId)!;
            const cluster = p.clusters.find((c) => c.id === pl.clusterId)!;
            expect(clusterAllowed(job, cluster)).toBe(true);
            const { from, to } = jobWindow(job, T);
            expect(pl.slotIndex >= from && pl.slotIndex < to).toBe(true);
            expect(Number.isInteger(pl.gpus) && pl.gpus >= 1).toBe(true);
            expect(pl.gpuHours).toBeLessThanOrEqual(pl.gpus * hours + 1e-9);
            const cell = `${pl.clusterId}|${pl.slotIndex}`;
            perCell.set(cell, (perCell.get(cell) ?? 0) + pl.gpus);
            expect(perCell.get(cell)).toBeLessThanOrEqual(
              Math.floor(usableGpus(cluster, pl.slotIndex) + 1e-9),
            );
            const js = `${pl.jobId}|${pl.slotIndex}`;
            const s = perJobSlot.get(js) ?? { gpus: 0, work: 0 };
            s.gpus += pl.gpus;
            s.work += pl.gpuHours;
            perJobSlot.set(js, s);
            expect(s.gpus).toBeLessThanOrEqual(job.maxGpus);
            if (job.kind === 'interactive')
              expect(s.work).toBeLessThanOrEqual((job.demandGpuHours[pl.slotIndex] ?? 0) + 1e-9);
            perJob.set(pl.jobId, (perJob.get(pl.jobId) ?? 0) + pl.gpuHours);
            served += pl.gpuHours;
          }
          for (const job of p.jobs)
            expect(perJob.get(job.id) ?? 0).toBeLessThanOrEqual(jobDemand(job) + 1e-9);
          expect(totals.servedGpuHours).toBeCloseTo(served, 9);
        }
      }),
      { numRuns: 150, seed: 20261207 },
    );
  });

  it('aggregation is exact and both exact paths agree', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const flow = solvePlacement(p, { method: 'flow', explain: false, baselines: false });
        const perJob = solvePlacement(p, {
          method: 'flow',
          aggregate: false,
          explain: false,
          baselines: false,
        });
        const lp = solvePlacement(p, { method: 'lp', explain: false, baselines: false });
        const bound = flow.lpBound?.totalCost ?? NaN;
        expect(Math.abs(bound - (perJob.lpBound?.totalCost ?? NaN))).toBeLessThanOrEqual(tol(bound));
        expect(Math.abs(bound - (lp.lpBound?.totalCost ?? NaN))).toBeLessThanOrEqual(tol(bound));
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('aggregation is exact when many jobs share a class but differ in demand / maxGpus', () => {
    // Few allowed sets, windows and penalties, so classes are large and batch jobs are pseudo-split
    // by their ratio demand / (maxGpus · Δt).
    const crowd = fc
      .array(
        fc.record({
          total: fc.integer({ min: 1, max: 60 }),
          maxGpus: fc.integer({ min: 1, max: 8 }),
          window: fc.constantFrom([0, 6], [2, 5], [0, 3]),
          allowed: fc.constantFrom(['c0', 'c1'], ['c1', 'c2'], ['c0', 'c1', 'c2']),
          penalty: fc.constantFrom(0.08, 3),
          interactive: fc.boolean(),
        }),
        { minLength: 5, maxLength: 40 },
      )
      .map((specs) => specs);
    fc.assert(
      fc.property(problemArb, crowd, (base, specs) => {
        const clusters = ['c0', 'c1', 'c2'].map((id, r) => ({
          id,
          zone: 'A',
          schedulableGpus: [6, 4, 8, 2, 6, 3].map((g) => g + r * 2),
          kwPerGpu: 1,
          pue: 1.1,
          pricePerMwh: [60, 20, 40, 90, 10, 70].map((v) => v + 15 * r),
        }));
        const p: PlacementProblem = {
          ...base,
          slotStartsUtc: HOUR_STARTS.slice(0, 6),
          clusters,
          jobs: specs.map((s, k): JobInput =>
            s.interactive
              ? {
                  id: `i${k}`,
                  kind: 'interactive',
                  demandGpuHours: [1, 2, 3, 2, 1, 2].map((d) => (d * s.total) / 30),
                  maxGpus: s.maxGpus,
                  allowedClusterIds: [...s.allowed],
                  penaltyPerGpuHour: s.penalty,
                }
              : {
                  id: `b${k}`,
                  kind: 'batch',
                  totalGpuHours: s.total,
                  windowStartSlot: s.window[0],
                  deadlineSlot: s.window[1],
                  maxGpus: s.maxGpus,
                  allowedClusterIds: [...s.allowed],
                  penaltyPerGpuHour: s.penalty,
                },
          ),
        };
        const aggregated = solvePlacement(p, { explain: false });
        const perJob = solvePlacement(p, { aggregate: false, explain: false, baselines: false });
        const bound = aggregated.lpBound?.totalCost ?? NaN;
        expect(Math.abs(bound - (perJob.lpBound?.totalCost ?? NaN))).toBeLessThanOrEqual(tol(bound));
        expect(checkPlacement(p, aggregated)).toEqual([]);
      }),
      { numRuns: 150, seed: 3 },
    );
  });

  it('with a stability term, flow + primal–dual and javascript-lp-solver equal the HiGHS optimum', async () => {
    const withPrevious = problemArb.chain((p) =>
      fc
        .record({
          sigma: fc.constantFrom(0.001, 0.02, 0.5),
          previous: fc.array(
            fc.record({
              job: fc.nat(),
              cluster: fc.nat(),
              slot: fc.nat(),
              gpus: fc.integer({ min: 1, max: 4 }),
              work: fc.option(fc.double({ min: 0.1, max: 1, noNaN: true })),
            }),
            { maxLength: 12 },
          ),
        })
        .map(({ sigma, previous }): PlacementProblem => {
          if (p.jobs.length === 0 || p.clusters.length === 0) return p;
          return {
            ...p,
            stability: {
              costPerGpuHourMoved: sigma,
              previous: previous.map((x) => ({
                jobId: p.jobs[x.job % p.jobs.length]?.id ?? '',
                clusterId: p.clusters[x.cluster % p.clusters.length]?.id ?? '',
                slotStartUtc: p.slotStartsUtc[x.slot % p.slotStartsUtc.length] ?? '',
                gpus: x.gpus,
                ...(x.work !== null ? { gpuHours: x.gpus * x.work } : {}),
              })),
            },
          };
        }),
    );
    await fc.assert(
      fc.asyncProperty(withPrevious, async (p) => {
        const oracle = await oracleObjective(p);
        for (const method of ['flow', 'lp'] as const) {
          const result = solvePlacement(p, { method, explain: false });
          expect(relGap(result.lpBound?.totalCost ?? NaN, oracle)).toBeLessThanOrEqual(1e-6);
          expect(checkPlacement(p, result)).toEqual([]);
        }
      }),
      { numRuns: 120, seed: 17 },
    );
  });

  it('equals the HiGHS optimum of the job-level LP', async () => {
    await fc.assert(
      fc.asyncProperty(problemArb, async (p) => {
        const result = solvePlacement(p, { explain: false, baselines: false });
        expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(1e-6);
      }),
      { numRuns: 100, seed: 11 },
    );
  });
});
