import { describe, expect, it } from 'vitest';
import { generateProblem } from './bench-fixtures/generate.js';
import type { ClusterInput, JobInput, PlacementProblem } from './model.js';
import { normalizeProblem } from './normalize.js';
import { solvePlacement } from './solve.js';
import { HomeBaselineMemo, homeBaselineKey, homeBaselineWholeGpus } from './whole-gpu-baselines.js';

/** A generated fleet with power caps on one cluster and origins/latencies, so every input the baseline reads is set. */
function base(): PlacementProblem {
  const p = generateProblem({
    jobs: 300,
    clusters: 6,
    slots: 24,
    seed: 11,
    interactiveShare: 0.4,
    pinShare: 0.05,
  });
  const clusters = p.clusters.map((c, r) => ({
    ...c,
    latencyMsByOrigin: { eu: 10 + r * 7, us: 90 - r * 5 },
    ...(r === 0 ? { powerCapKw: c.schedulableGpus.map((g) => 0.6 * g * c.kwPerGpu * c.pue) } : {}),
  }));
  const jobs = p.jobs.map((j, i) => ({ ...j, origin: i % 3 === 0 ? 'us' : 'eu' }));
  return { ...p, clusters, jobs };
}

const clone = (p: PlacementProblem): PlacementProblem => structuredClone(p);

function withCluster(
  p: PlacementProblem,
  r: number,
  change: (c: ClusterInput) => ClusterInput,
): PlacementProblem {
  const q = clone(p);
  q.clusters[r] = change(q.clusters[r]!);
  return q;
}

function withJob(
  p: PlacementProblem,
  kind: JobInput['kind'],
  change: (j: JobInput) => JobInput,
): PlacementProblem {
  const q = clone(p);
  const i = q.jobs.findIndex((j) => j.kind === kind);
  q.jobs[i] = change(q.jobs[i]!);
  return q;
}

const firstBatch = (p: PlacementProblem) => p.jobs.find((j) => j.kind === 'batch')!;

/** Prices, carbon and penalties: nothing the home baseline reads. */
const PRICE_ONLY: [string, (p: PlacementProblem) => PlacementProblem][] = [
  [
    'one zone ×1.6',
    (p) => withCluster(p, 1, (c) => ({ ...c, pricePerMwh: c.pricePerMwh.map((v) => v * 1.6) })),
  ],
  [
    'every zone ×0.5',
    (p) => ({
      ...clone(p),
      clusters: p.clusters.map((c) => ({ ...c, pricePerMwh: c.pricePerMwh.map((v) => v * 0.5) })),
    }),
  ],
  ['a carbon price', (p) => ({ ...clone(p), carbonPricePerTonne: 120 })],
  [
    'carbon intensities',
    (p) => withCluster(p, 2, (c) => ({ ...c, carbonGPerKwh: c.pricePerMwh.map(() => 700) })),
  ],
  ['a penalty', (p) => withJob(p, 'batch', (j) => ({ ...j, penaltyPerGpuHour: 0.001 }))],
];

/** Every input the home baseline reads (directly or through normalisation), each changed once. */
const NON_PRICE: [string, (p: PlacementProblem) => PlacementProblem][] = [
  [
    'schedulable GPUs of one cell',
    (p) =>
      withCluster(p, 3, (c) => ({
        ...c,
        schedulableGpus: c.schedulableGpus.map((g, t) => (t === 5 ? Math.max(0, g - 7) : g)),
      })),
  ],
  [
    'a power cap',
    (p) =>
      withCluster(p, 2, (c) => ({
        ...c,
        powerCapKw: c.schedulableGpus.map((g) => 0.5 * g * c.kwPerGpu * c.pue),
      })),
  ],
  ['kW per GPU under a power cap', (p) => withCluster(p, 0, (c) => ({ ...c, kwPerGpu: c.kwPerGpu * 1.3 }))],
  ['PUE under a power cap', (p) => withCluster(p, 0, (c) => ({ ...c, pue: c.pue * 1.2 }))],
  ['a latency', (p) => withCluster(p, 4, (c) => ({ ...c, latencyMsByOrigin: { eu: 1, us: 1 } }))],
  [
    'a batch job’s work',
    (p) =>
      withJob(
        p,
        'batch',
        (j) => ({ ...j, totalGpuHours: (j as { totalGpuHours: number }).totalGpuHours * 0.7 }) as JobInput,
      ),
  ],
  [
    'a batch job’s window',
    (p) => withJob(p, 'batch', (j) => ({ ...j, windowStartSlot: 3, deadlineSlot: 20 }) as JobInput),
  ],
  [
    'an interactive job’s demand',
    (p) =>
      withJob(
        p,
        'interactive',
        (j) =>
          ({
            ...j,
            demandGpuHours: (j as { demandGpuHours: number[] }).demandGpuHours.map((d, t) =>
              t === 2 ? d + 1 : d,
            ),
          }) as JobInput,
      ),
  ],
  ['maxGpus', (p) => withJob(p, 'batch', (j) => ({ ...j, maxGpus: j.maxGpus + 1 }))],
  [
    'the home cluster',
    (p) =>
      withJob(p, 'interactive', (j) => ({
        ...j,
        homeClusterId: p.clusters[5]!.id,
        allowedClusterIds: undefined,
      })),
  ],
  [
    'the allowed clusters',
    (p) => withJob(p, 'batch', (j) => ({ ...j, allowedClusterIds: [p.clusters[1]!.id, p.clusters[4]!.id] })),
  ],
  [
    'a pin',
    (p) =>
      withJob(p, 'batch', (j) => ({ ...j, pins: { mustNotRunIn: [p.clusters[0]!.id, p.clusters[1]!.id] } })),
  ],
  ['an origin', (p) => withJob(p, 'interactive', (j) => ({ ...j, origin: j.origin === 'us' ? 'eu' : 'us' }))],
  [
    'the job order',
    (p) => {
      const q = clone(p);
      const a = q.jobs.findIndex((j) => j.kind === 'batch');
      const b = q.jobs.findIndex((j, i) => i > a && j.kind === 'batch');
      [q.jobs[a], q.jobs[b]] = [q.jobs[b]!, q.jobs[a]!];
      return q;
    },
  ],
  ['one job more', (p) => ({ ...clone(p), jobs: [...clone(p).jobs, { ...firstBatch(p), id: 'extra' }] })],
  ['one job less', (p) => ({ ...clone(p), jobs: clone(p).jobs.slice(1) })],
  [
    'one cluster less',
    (p) => {
      const q = clone(p);
      const gone = q.clusters.pop()!.id;
      q.jobs = q.jobs.map((j) => ({
        ...j,
        allowedClusterIds: j.allowedClusterIds?.filter((id) => id !== gone),
        homeClusterId: j.homeClusterId === gone ? undefined : j.homeClusterId,
      }));
      return q;
    },
  ],
  [
    'the slot length',
    (p) => ({
      ...clone(p),
      slotMinutes: 30,
      slotStartsUtc: p.slotStartsUtc.map((_s, t) =>
        new Date(Date.parse(p.slotStartsUtc[0]!) + t * 1_800_000).toISOString(),
      ),
    }),
  ],
];

describe('HomeBaselineMemo', () => {
  it('hits on a price-only change and gives exactly what computing again gives', () => {
    const p = base();
    for (const [name, change] of PRICE_ONLY) {
      const memo = new HomeBaselineMemo();
      expect(memo.get(normalizeProblem(p))).toEqual(homeBaselineWholeGpus(normalizeProblem(p)));
      const q = change(p);
      const hit = memo.get(normalizeProblem(q));
      expect({ name, hits: memo.hits, misses: memo.misses }).toEqual({ name, hits: 1, misses: 1 });
      expect(hit).toEqual(homeBaselineWholeGpus(normalizeProblem(q)));
    }
  });

  it.each(NON_PRICE)('misses when %s changes, and the miss is computed afresh', (_name, change) => {
    const p = base();
    const q = change(p);
    const memo = new HomeBaselineMemo();
    memo.get(normalizeProblem(p));
    expect(homeBaselineKey(normalizeProblem(q))).not.toEqual(homeBaselineKey(normalizeProblem(p)));
    const got = memo.get(normalizeProblem(q));
    expect({ hits: memo.hits, misses: memo.misses }).toEqual({ hits: 0, misses: 2 });
    expect(got).toEqual(homeBaselineWholeGpus(normalizeProblem(q)));
    // …and the new entry serves the changed problem.
    expect(memo.get(normalizeProblem(q))).toEqual(got);
    expect(memo.hits).toBe(1);
  });

  it('a hit is a copy: changing what it returned does not change the next hit', () => {
    const p = base();
    const memo = new HomeBaselineMemo();
    const first = memo.get(normalizeProblem(p));
    const fresh = homeBaselineWholeGpus(normalizeProblem(p));
    first.entries.gpus.fill(99);
    const second = memo.get(normalizeProblem(p));
    second.entries.work.fill(-1);
    expect(memo.get(normalizeProblem(p))).toEqual(fresh);
  });

  it('solvePlacement with the memo gives the same result as without, over price-only re-plans', () => {
    const p = base();
    const memo = new HomeBaselineMemo();
    const strip = (r: ReturnType<typeof solvePlacement>) => ({ ...r, solver: { ...r.solver, stats: null } });
    for (const q of [p, ...PRICE_ONLY.map(([, change]) => change(p))]) {
      expect(strip(solvePlacement(q, { homeBaselineMemo: memo, explain: false }))).toEqual(
        strip(solvePlacement(q, { explain: false })),
      );
    }
    expect({ hits: memo.hits, misses: memo.misses }).toEqual({ hits: PRICE_ONLY.length, misses: 1 });
  });
});
