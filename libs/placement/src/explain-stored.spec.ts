import { describe, expect, it } from 'vitest';
import { storedScheduleExplainer as explainerOf, type StoredPlacement } from './explain.js';
import type { PlacementProblem } from './model.js';
import { solvePlacement } from './solve.js';
import { batch, cluster, interactive, problem } from './test-support.js';

// Clusters draw 1 kW per GPU at PUE 1, so one GPU-hour costs price / 1000 EUR; penalty 10 EUR per GPU-hour.

/** The explainer of `placements` as the stores reads it: GPUs per cell of the schedule, each job's placements. */
function storedScheduleExplainer(
  p: PlacementProblem,
  placements: StoredPlacement[],
  opts: { heuristic: boolean },
): (jobId: string) => ReturnType<ReturnType<typeof explainerOf>> {
  const cells = new Map<string, { clusterId: string; slotStartUtc: string; gpus: number }>();
  for (const x of placements) {
    const key = `${x.clusterId}|${x.slotStartUtc}`;
    const cell = cells.get(key) ?? { clusterId: x.clusterId, slotStartUtc: x.slotStartUtc, gpus: 0 };
    cell.gpus += x.gpus;
    cells.set(key, cell);
  }
  const explain = explainerOf(p, [...cells.values()], opts);
  return (jobId) => explain(jobId, placements);
}

/** The whole-GPU placements a schedule stores. */
function stored(p: PlacementProblem): StoredPlacement[] {
  return solvePlacement(p, { explain: false }).placements.filter((x) => x.gpus > 0);
}

describe('storedScheduleExplainer', () => {
  // Optima that are whole GPUs already: the LP and the stored schedule are the same, so are the explanations.
  const integral: { name: string; problem: PlacementProblem }[] = [
    {
      name: 'every block reason of the solver’s own explanation',
      problem: problem(
        3,
        [
          cluster('cheap', [10, 10, 10], 10, { zone: 'US-CAL', region: 'us' }),
          cluster('full', [20, 20, 20], [1, 1, 1]),
          cluster('capped', [25, 25, 25], 10, { powerCapKw: [0, 0, 0] }),
          cluster('used', [60, 40, 60], 10),
        ],
        [batch('b', 6, 4, { residencyRegions: ['eu'], deadlineSlot: 2 })],
      ),
    },
    {
      name: 'nowhere allowed',
      problem: problem(1, [cluster('fra', [50], 1)], [batch('b', 1, 1, { allowedClusterIds: [] })]),
    },
    {
      name: 'capacity spills, interactive demand at its parallelism limit',
      problem: problem(
        2,
        [cluster('fra', [30, 30], 4), cluster('ams', [50, 50], 10)],
        [batch('b', 10, 10), interactive('i', [3, 3], 3)],
      ),
    },
    {
      name: 'deadline too close for maxGpus (partly unserved)',
      problem: problem(4, [cluster('fra', [50, 50, 50, 10], 10)], [batch('b', 10, 2, { deadlineSlot: 3 })]),
    },
  ];
  it.each(integral)('equals the solver’s explanation on an integral optimum: $name', ({ problem: p }) => {
    const result = solvePlacement(p);
    const explain = storedScheduleExplainer(p, stored(p), { heuristic: false });
    for (const job of result.jobs) {
      const e = explain(job.jobId);
      expect(e?.outcome).toBe(job.outcome);
      expect(e?.excludedClusters).toEqual(job.excludedClusters);
      expect({ ...e, outcome: undefined, excludedClusters: undefined }).toEqual({
        ...job.explanation,
        outcome: undefined,
        excludedClusters: undefined,
      });
    }
  });

  it('describes the whole-GPU schedule, not the LP before rounding', () => {
    // 1.5 GPU-hours in one slot: the LP runs 1.5 GPUs, the stored schedule 2 whole GPUs doing 1.5 GPU-hours.
    const p = problem(1, [cluster('fra', [40], 4)], [interactive('i', [1.5], 4)]);
    const placements = stored(p);
    expect(placements).toEqual([expect.objectContaining({ gpus: 2, gpuHours: 1.5 })]);
    const e = storedScheduleExplainer(p, placements, { heuristic: false })('i');
    expect(e?.summary).toBe('Placed 1.50 of 1.50 GPU-h in fra (slot 0). Marginal cost 0.0400 EUR/GPU-h.');
    expect(e?.clusters).toEqual([{ clusterId: 'fra', gpuHours: 1.5, firstSlot: 0, lastSlot: 0 }]);
  });

  it('counts a cell full when its whole GPUs are taken, and names the job’s own limits', () => {
    // cheap has 2 GPUs, both taken by `a`; `b` (maxGpus 1) pays 60 in dear and could not use cheap.
    const p = problem(1, [cluster('cheap', [10], 2), cluster('dear', [60], 10)], [batch('a', 2, 2)]);
    p.jobs.push(batch('b', 1, 1));
    const placements: StoredPlacement[] = [
      { jobId: 'a', clusterId: 'cheap', slotStartUtc: p.slotStartsUtc[0]!, gpus: 2, gpuHours: 2 },
      { jobId: 'b', clusterId: 'dear', slotStartUtc: p.slotStartsUtc[0]!, gpus: 1, gpuHours: 1 },
    ];
    const explain = storedScheduleExplainer(p, placements, { heuristic: false });
    expect(explain('b')?.cheaperCells).toEqual([
      {
        clusterId: 'cheap',
        slotIndex: 0,
        slotStartUtc: p.slotStartsUtc[0],
        costPerGpuHour: 0.01,
        blockedBy: 'capacity',
      },
    ]);
    expect(explain('b')?.marginalCostPerGpuHour).toBeCloseTo(0.06, 12);
    expect(explain('a')?.cheaperCells).toEqual([]);
    // A fallback schedule says so for cells it left unused.
    const unused = storedScheduleExplainer(p, placements.slice(1), { heuristic: true });
    expect(unused('b')?.cheaperCells.map((c) => c.blockedBy)).toEqual(['heuristic']);
    expect(unused('a')?.outcome).toBe('unplaceable');
  });

  it('gives null for a job the problem does not have, and ignores placements outside the problem', () => {
    const p = problem(1, [cluster('fra', [40], 4)], [batch('b', 1, 1)]);
    const explain = storedScheduleExplainer(
      p,
      [{ jobId: 'gone', clusterId: 'nowhere', slotStartUtc: p.slotStartsUtc[0]!, gpus: 1, gpuHours: 1 }],
      { heuristic: false },
    );
    expect(explain('gone')).toBeNull();
    expect(explain('b')?.outcome).toBe('unplaceable');
  });
});
