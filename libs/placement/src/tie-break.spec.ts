import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobFlows } from './account.js';
import { accountSchedule, fromJobMaps } from './account.js';
import { checkPlacement } from './check.js';
import type { JobInput, PlacementProblem } from './model.js';
import { normalizeProblem } from './normalize.js';
import { solvePlacement } from './solve.js';
import { batch, cluster, HOUR_STARTS, interactive, problem } from './test-support.js';
import { claimOrder, orderTies } from './tie-break.js';

/** The LP optimum of `p` as job flows, before any tie-break. */
function lpFlows(p: PlacementProblem): JobFlows {
  const norm = normalizeProblem(p);
  const result = solvePlacement(p, { tieBreak: false, wholeGpus: false, explain: false, baselines: false });
  const jobIndex = new Map(norm.jobs.map((j) => [j.id, j.index]));
  const clusterIndex = new Map(norm.clusters.map((c, r) => [c.id, r]));
  const flows: JobFlows = norm.jobs.map(() => new Map<number, number>());
  for (const pl of result.placements) {
    const j = jobIndex.get(pl.jobId) ?? -1;
    const r = clusterIndex.get(pl.clusterId) ?? -1;
    if (pl.lpGpuHours > 0) flows[j]?.set(r * norm.slotCount + pl.slotIndex, pl.lpGpuHours);
  }
  return flows;
}

/** Cost of one job's work (energy + priced carbon). */
function jobCost(p: PlacementProblem, flows: JobFlows, j: number): number {
  const norm = normalizeProblem(p);
  let cost = 0;
  for (const [cell, gpuHours] of flows[j] ?? [])
    cost +=
      gpuHours *
      (norm.clusters[Math.floor(cell / norm.slotCount)]?.costPerGpuHour[cell % norm.slotCount] ?? 0);
  return cost;
}

function byCell(flows: JobFlows): Map<number, number> {
  const out = new Map<number, number>();
  for (const cells of flows) for (const [cell, v] of cells) out.set(cell, (out.get(cell) ?? 0) + v);
  return out;
}

function bySlot(flows: JobFlows, T: number): string[] {
  return flows.map((cells) => {
    const s = new Float64Array(T);
    for (const [cell, v] of cells) s[cell % T] = (s[cell % T] ?? 0) + v;
    return [...s].map((v) => v.toFixed(6)).join(',');
  });
}

describe('orderTies: the least flexible work takes the cheapest cells of its slot', () => {
  it('interactive work takes the cheap cluster; the batch work it displaces takes the dear one', () => {
    // One slot, cheap a (10 EUR/MWh) and dear b (50), 5 GPUs each; 5 GPU-h interactive, 5 GPU-h batch that
    // may also run in slot 1 (where both clusters have no GPUs): both cells are full in every optimum
    // (cost 5 × 0.01 + 5 × 0.05 = 0.30 EUR), who runs where is a tie. Interactive (2 allowed cells) claims
    // before batch (2 clusters × 2 slots = 4 cells): it gets a.
    const p = problem(
      2,
      [cluster('a', [10, 10], [5, 0]), cluster('b', [50, 50], [5, 0])],
      [batch('flex', 5, 5, { windowStartSlot: 0, deadlineSlot: 2 }), interactive('chat', [5, 0], 5)],
    );
    const norm = normalizeProblem(p);
    const flows = orderTies(norm, lpFlows(p));
    // cells: a@0 = 0, b@0 = 2 (r·T + t with T = 2)
    expect(Object.fromEntries(flows[1] ?? [])).toEqual({ 0: 5 });
    expect(Object.fromEntries(flows[0] ?? [])).toEqual({ 2: 5 });
    expect(accountSchedule(norm, fromJobMaps(flows)).totalCost).toBeCloseTo(0.3, 12);
  });

  it('a chain of later jobs makes room (each moving within its own allowed clusters)', () => {
    // One slot, clusters a (10) < b (20) < c (90), 1 GPU each, all used. first may use a or c; x may use a
    // or b; y may use b or c. Start: first@c, x@a, y@b. first claims a: x moves a → b, y moves b → c.
    const p = problem(
      1,
      [cluster('a', [10], 1), cluster('b', [20], 1), cluster('c', [90], 1)],
      [
        interactive('first', [1], 1, { allowedClusterIds: ['a', 'c'], penaltyPerGpuHour: 1000 }),
        batch('x', 1, 1, { allowedClusterIds: ['a', 'b'] }),
        batch('y', 1, 1, { allowedClusterIds: ['b', 'c'] }),
      ],
    );
    const norm = normalizeProblem(p);
    const start: JobFlows = [new Map([[2, 1]]), new Map([[0, 1]]), new Map([[1, 1]])];
    const flows = orderTies(norm, start);
    expect(flows.map((cells) => Object.fromEntries(cells))).toEqual([{ 0: 1 }, { 1: 1 }, { 2: 1 }]);
  });

  it('keeps every cell, every job per slot and the cost; the first claimant never pays more', () => {
    const arb = fc
      .record({
        slots: fc.integer({ min: 1, max: 4 }),
        clusters: fc.integer({ min: 1, max: 4 }),
        jobs: fc.integer({ min: 1, max: 7 }),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      })
      .map(({ slots, clusters, jobs, seed }) => {
        let s = seed;
        const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        const ids = Array.from({ length: clusters }, (_v, k) => `c${k}`);
        const cs = ids.map((id) =>
          cluster(
            id,
            Array.from({ length: slots }, () => Math.round(rnd() * 200 - 20)),
            Array.from({ length: slots }, () => Math.floor(rnd() * 6)),
            { pue: 1 + Math.round(rnd() * 5) / 10 },
          ),
        );
        const js: JobInput[] = Array.from({ length: jobs }, (_v, k) => {
          const allowed = ids.filter(() => rnd() < 0.7);
          const extra = { allowedClusterIds: allowed.length ? allowed : [ids[0] ?? 'c0'] };
          if (rnd() < 0.4)
            return interactive(
              `i${k}`,
              Array.from({ length: slots }, () => Math.round(rnd() * 400) / 100),
              1 + Math.floor(rnd() * 4),
              extra,
            );
          const a = Math.floor(rnd() * slots);
          const b = a + 1 + Math.floor(rnd() * (slots - a));
          return batch(`b${k}`, Math.round(rnd() * 900) / 100, 1 + Math.floor(rnd() * 4), {
            ...extra,
            windowStartSlot: a,
            deadlineSlot: b,
          });
        });
        return { ...problem(slots, cs, js), slotStartsUtc: HOUR_STARTS.slice(0, slots) };
      });
    fc.assert(
      fc.property(arb, (p) => {
        const norm = normalizeProblem(p);
        const before = lpFlows(p);
        const after = orderTies(norm, before);
        const cellsBefore = byCell(before);
        const cellsAfter = byCell(after);
        for (const cell of new Set([...cellsBefore.keys(), ...cellsAfter.keys()]))
          expect(cellsAfter.get(cell) ?? 0).toBeCloseTo(cellsBefore.get(cell) ?? 0, 9);
        expect(bySlot(after, norm.slotCount)).toEqual(bySlot(before, norm.slotCount));
        after.forEach((cells, j) => {
          for (const cell of cells.keys())
            expect(norm.jobs[j]?.allowed).toContain(Math.floor(cell / norm.slotCount));
        });
        const cost = accountSchedule(norm, fromJobMaps(before)).totalCost;
        expect(Math.abs(accountSchedule(norm, fromJobMaps(after)).totalCost - cost)).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(cost)),
        );
        const first = claimOrder(norm.jobs)[0];
        if (first)
          expect(jobCost(p, after, first.index)).toBeLessThanOrEqual(jobCost(p, before, first.index) + 1e-9);
        const result = solvePlacement(p, { tieBreak: true });
        expect(checkPlacement(p, result)).toEqual([]);
        const untied = solvePlacement(p);
        expect(result.lpBound?.totalCost).toBeCloseTo(untied.lpBound?.totalCost ?? NaN, 9);
      }),
      { numRuns: 200, seed: 20261207 },
    );
  });
});
