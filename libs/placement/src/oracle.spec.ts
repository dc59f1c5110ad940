import { describe, expect, it } from 'vitest';
import { generateProblem } from './bench-fixtures/generate.js';
import type { PlacementProblem } from './model.js';
import { solvePlacement } from './solve.js';
import { toLpFormat } from './lp/lp-model.js';
import { toJobLevelLp } from './reference-lp.js';
import { expectValid, highsSolver, loadHighs, oracleObjective, relGap } from './test-support.js';

// Seeded random fleets checked against an independent oracle: HiGHS on the unaggregated job-level LP
// built straight from the raw input (reference-lp.ts). Objective within 1e-6 relative, and the
// independent checker verifies every constraint of every returned schedule.

const REL = 1e-6;

const sizes = [
  { jobs: 12, clusters: 3, slots: 4, seeds: [1, 2, 3, 4] },
  { jobs: 30, clusters: 5, slots: 6, seeds: [1, 2, 3] },
  { jobs: 40, clusters: 8, slots: 8, seeds: [1, 2, 3] },
  { jobs: 60, clusters: 6, slots: 12, seeds: [1, 2, 3] },
  { jobs: 120, clusters: 14, slots: 24, seeds: [1, 2] },
  { jobs: 250, clusters: 20, slots: 24, seeds: [1] },
];

describe('against HiGHS on the job-level LP', () => {
  const instances = sizes.flatMap(({ seeds, ...size }) => seeds.map((seed) => ({ ...size, seed })));

  it.each(instances)('flow: $jobs jobs × $clusters clusters × $slots slots, seed $seed', async (spec) => {
    const p = generateProblem({ ...spec, load: 0.9 });
    const result = solvePlacement(p, { method: 'flow' });
    expect(result.status).toBe('optimal');
    expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(REL);
    expectValid(p, result);
  });

  it.each(instances.filter((i) => i.jobs <= 60))(
    'javascript-lp-solver: $jobs × $clusters × $slots, seed $seed',
    async (spec) => {
      const p = generateProblem({ ...spec, load: 0.9, carbonPricePerTonne: 80 });
      const result = solvePlacement(p, { method: 'lp' });
      expect(result.solver.name).toBe('javascript-lp-solver');
      expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(REL);
      expectValid(p, result);
    },
  );

  it.each([11, 12, 13])('HiGHS as the LP backend, seed %i', async (seed) => {
    const p = generateProblem({ jobs: 150, clusters: 12, slots: 24, seed });
    const result = solvePlacement(p, { method: 'lp', lpSolver: await highsSolver() });
    expect(result.solver.name).toBe('highs');
    expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(REL);
    expectValid(p, result);
  });
});

/** A re-plan: the previous schedule is the optimum under prices shifted by up to ±`wiggle` EUR/MWh. */
function replan(seed: number, costPerGpuHourMoved: number, wiggle: number): PlacementProblem {
  const before = generateProblem({ jobs: 30, clusters: 5, slots: 8, seed, load: 0.9 });
  const previous = solvePlacement(before, { explain: false, baselines: false }).placements;
  const now = structuredClone(before);
  now.clusters.forEach((c, r) => {
    c.pricePerMwh = c.pricePerMwh.map((price, t) => price + wiggle * Math.sin(seed + r * 7 + t * 3));
  });
  now.stability = {
    costPerGpuHourMoved,
    // Results feed back as they are: a Placement is a PreviousPlacement (gpus + gpuHours of work).
    previous: previous.filter((p) => p.gpus > 0),
  };
  return now;
}

describe('stability term against HiGHS', () => {
  it.each([
    { seed: 1, sigma: 0.002, wiggle: 20 },
    { seed: 2, sigma: 0.02, wiggle: 20 },
    { seed: 3, sigma: 0.05, wiggle: 5 },
  ])('seed $seed, σ = $sigma EUR per GPU-h moved, prices ± $wiggle', async ({ seed, sigma, wiggle }) => {
    const p = replan(seed, sigma, wiggle);
    const oracle = await oracleObjective(p);
    const runs = [
      solvePlacement(p), // polymatroid flow + primal–dual
      solvePlacement(p, { method: 'lp' }), // javascript-lp-solver
      solvePlacement(p, { method: 'lp', lpSolver: await highsSolver() }),
    ];
    expect(runs.map((r) => r.solver.name)).toEqual([
      'polymatroid-flow+primal-dual',
      'javascript-lp-solver',
      'highs',
    ]);
    for (const result of runs) {
      expect(relGap(result.lpBound?.totalCost ?? NaN, oracle)).toBeLessThanOrEqual(REL);
      expectValid(p, result);
    }
  });

  it.each([
    { jobs: 300, clusters: 10, slots: 24, seed: 5 },
    { jobs: 600, clusters: 14, slots: 24, seed: 6 },
  ])(
    'flow + primal–dual at $jobs jobs (beyond javascript-lp-solver)',
    async ({ jobs, clusters, slots, seed }) => {
      const before = generateProblem({ jobs, clusters, slots, seed });
      const previous = solvePlacement(before, { explain: false, baselines: false }).placements;
      const p = structuredClone(before);
      p.clusters.forEach(
        (c, r) => (c.pricePerMwh = c.pricePerMwh.map((v, t) => v + 15 * Math.sin(r * 3 + t))),
      );
      p.stability = { costPerGpuHourMoved: 0.01, previous: previous.filter((x) => x.gpus > 0) };
      const result = solvePlacement(p, { explain: false });
      expect(result.status).toBe('optimal');
      expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(REL);
      expectValid(p, result);
    },
  );

  // The stability step starts from the optimum without stability solved on coarser classes (jobs with a
  // previous schedule grouped, previous ignored; the others' classes carried over) and split to jobs:
  // here half the jobs have no previous schedule and the fleet is crowded, so both kinds of class and
  // pseudo-split classes meet in one network.
  it.each([
    { seed: 7, sigma: 0.01, load: 1.2 },
    { seed: 8, sigma: 0.2, load: 0.8 },
  ])(
    're-plan where half the jobs have no previous schedule (seed $seed, σ $sigma, load $load)',
    async ({ seed, sigma, load }) => {
      const before = generateProblem({ jobs: 160, clusters: 6, slots: 12, seed, load });
      const previous = solvePlacement(before, { explain: false, baselines: false }).placements;
      const p = structuredClone(before);
      p.clusters.forEach(
        (c, r) => (c.pricePerMwh = c.pricePerMwh.map((v, t) => v * (1 + 0.1 * Math.sin(seed + r * 5 + t)))),
      );
      const kept = new Set(p.jobs.filter((_, k) => k % 2 === 0).map((j) => j.id));
      p.stability = {
        costPerGpuHourMoved: sigma,
        previous: previous.filter((x) => x.gpus > 0 && kept.has(x.jobId)),
      };
      const result = solvePlacement(p, { explain: false });
      expect(result.solver.name).toBe('polymatroid-flow+primal-dual');
      expect(relGap(result.lpBound?.totalCost ?? NaN, await oracleObjective(p))).toBeLessThanOrEqual(REL);
      expectValid(p, result);
    },
  );

  it('a small wiggle moves nothing when moving costs more than it saves', () => {
    const p = replan(4, 1, 2); // 1 EUR per GPU-h moved ≫ any 2 EUR/MWh price difference
    const result = solvePlacement(p);
    expect(result.lpBound?.movedGpuHours).toBeCloseTo(0, 6);
    expect(result.lpBound?.stabilityCost).toBeCloseTo(0, 6);
  });
});

describe('class aggregation', () => {
  it.each([1, 2, 3, 4])('is exact (seed %i): same optimum as one class per job', (seed) => {
    const p = generateProblem({ jobs: 400, clusters: 6, slots: 12, seed, load: 1.1 });
    const aggregated = solvePlacement(p);
    const perJob = solvePlacement(p, { aggregate: false });
    expect(aggregated.solver.stats.classes).toBeLessThan(perJob.solver.stats.classes * 0.7);
    expect(
      relGap(aggregated.lpBound?.totalCost ?? NaN, perJob.lpBound?.totalCost ?? NaN),
    ).toBeLessThanOrEqual(1e-9);
    expectValid(p, aggregated);
  });
});

describe('whole-GPU MIP (the benchmark reference for rounding)', () => {
  // HiGHS's MIP optimum is a whole-GPU schedule of the same model, so it lies between the LP bound and
  // our rounded schedule (which is one feasible point of the MIP); a MIP that forbade valid schedules
  // would land above ours, one that allowed fractional GPUs would match the LP bound.
  it.each([1, 2])('lies between the LP bound and the rounded schedule (seed %i)', async (seed) => {
    const p = generateProblem({ jobs: 20, clusters: 3, slots: 4, seed, load: 0.9 });
    const result = solvePlacement(p);
    const mip = toJobLevelLp(p, { wholeGpus: true });
    expect(mip.integerVars?.length).toBeGreaterThan(0);
    const solution = (await loadHighs()).solve(toLpFormat(mip));
    expect(solution.Status).toBe('Optimal');
    const best = solution.ObjectiveValue + mip.objectiveOffset;
    const lpBound = result.lpBound?.totalCost ?? NaN;
    expect(best).toBeGreaterThanOrEqual(lpBound - 1e-6 * Math.abs(lpBound));
    expect(best).toBeLessThanOrEqual(result.totals.totalCost + 1e-6 * Math.abs(lpBound));
    // Whole GPUs cost something on these fleets: the MIP is not the LP relaxation.
    expect(best).toBeGreaterThan(lpBound + 1e-9 * Math.abs(lpBound));
  });
});
