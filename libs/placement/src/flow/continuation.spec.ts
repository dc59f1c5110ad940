import { describe, expect, it } from 'vitest';
import { aggregateJobs, withMemberDemand, type ClassFlows, type PlacementClass } from '../aggregate.js';
import { generateProblem } from '../bench-fixtures/generate.js';
import { normalizeProblem, type NormalizedProblem } from '../normalize.js';
import { wholeGpuProblem } from '../round.js';
import { relGap } from '../test-support.js';
import { solveByFlow } from './solve-by-flow.js';

/** Energy + carbon + penalty of class flows, from the inputs (independent of the network's objective). */
function classCost(norm: NormalizedProblem, classes: PlacementClass[], flows: ClassFlows): number {
  const T = norm.slotCount;
  let cost = 0;
  for (const cls of classes) {
    const cells = flows.cells[cls.index] ?? [];
    cells.forEach((cell, e) => {
      const price = norm.clusters[Math.floor(cell / T)]?.costPerGpuHour[cell % T] ?? NaN;
      cost += (flows.gpuHours[cls.index]?.[e] ?? 0) * price;
    });
    cost += (flows.unserved[cls.index] ?? 0) * cls.penaltyPerGpuHour;
    for (const u of flows.unservedBySlot[cls.index] ?? []) cost += u * cls.penaltyPerGpuHour;
  }
  return cost;
}

/** GPU-hours per cell of class flows. */
function cellLoad(norm: NormalizedProblem, flows: ClassFlows): Float64Array {
  const load = new Float64Array(norm.clusters.length * norm.slotCount);
  flows.cells.forEach((cells, c) =>
    cells.forEach((cell, e) => (load[cell] = (load[cell] ?? 0) + (flows.gpuHours[c]?.[e] ?? 0))),
  );
  return load;
}

// Rounding's whole-GPU problem solved from scratch vs continued from the LP's optimal flow: the same
// optimum (the continuation is not proven optimal, so this is what keeps it honest), within capacity.
describe('whole-GPU continuation of the flow solve', () => {
  const cases = [
    { jobs: 300, clusters: 8, slots: 24, seed: 1 },
    { jobs: 300, clusters: 8, slots: 24, seed: 2 },
    { jobs: 1000, clusters: 10, slots: 24, seed: 3 },
  ];
  it.each(cases)('$jobs jobs × $clusters × $slots, seed $seed: same optimum as a fresh solve', (size) => {
    const norm = normalizeProblem(generateProblem(size));
    const classes = aggregateJobs(norm);
    const whole = wholeGpuProblem(norm);
    const wholeClasses = withMemberDemand(whole, classes);
    const fresh = solveByFlow(whole, wholeClasses).flows;
    const continued = solveByFlow(norm, classes).wholeGpus(whole, wholeClasses);
    expect(
      relGap(classCost(whole, wholeClasses, continued), classCost(whole, wholeClasses, fresh)),
    ).toBeLessThan(1e-9);
    const load = cellLoad(whole, continued);
    whole.clusters.forEach((cluster, r) => {
      cluster.capGpuHours.forEach((cap, t) => expect(load[r * whole.slotCount + t]).toBeLessThan(cap + 1e-9));
    });
  });
});
