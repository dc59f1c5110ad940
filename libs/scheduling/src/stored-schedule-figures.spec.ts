import { describe, expect, it } from 'vitest';
import { savingsAgainst } from '#gridshift/placement';
import {
  type BaselinePart,
  effectiveSlots,
  type SavingsPart,
  scheduleSavings,
  sumBaselineParts,
} from './delivered-savings.js';
import { summarizeMoves } from './diff.js';
import { costCells, pricingFromProblem } from './repricing.js';

const H = 3_600_000;
const T0 = Date.parse('2024-03-02T00:00:00Z');

// Two clusters, two hourly slots. a: 0.5 kW × PUE 1.2 = 0.6 kWh per GPU-hour; b: 1 kW × PUE 1 = 1 kWh.
const pricing = pricingFromProblem({
  currency: 'EUR',
  carbonPricePerTonne: 100,
  slotStartsUtc: ['2024-03-02T00:00:00Z', '2024-03-02T01:00:00Z'],
  clusters: [
    { id: 'a', kwPerGpu: 0.5, pue: 1.2, pricePerMwh: [100, 50], carbonGPerKwh: [200, null] },
    { id: 'b', kwPerGpu: 1, pue: 1, pricePerMwh: [-20, 80] },
  ],
});

describe('pricingFromProblem / costCells', () => {
  it('prices cells like libs/placement: kWh × price / 1000, carbon at the snapshot carbon price', () => {
    const { cells, totals, byCluster, unpricedCells } = costCells(
      [
        { clusterId: 'a', slotStartMs: T0, gpus: 10, gpuHours: 10, jobs: 2 }, // 6 kWh × 100/1000 = 0.6; carbon 6 kWh × 200 g = 1.2 kg → 0.0012 t × 100 = 0.12
        { clusterId: 'a', slotStartMs: T0 + H, gpus: 10, gpuHours: 5, jobs: 1 }, // 3 kWh × 50/1000 = 0.15; carbon unknown → 0
        { clusterId: 'b', slotStartMs: T0, gpus: 4, gpuHours: 4, jobs: 1 }, // 4 kWh × −20/1000 = −0.08 (negative price)
        { clusterId: 'c', slotStartMs: T0, gpus: 1, gpuHours: 1, jobs: 1 }, // not in the snapshot: unpriced
      ],
      pricing,
    );
    expect(cells.map((c) => +c.cost.toFixed(10))).toEqual([0.72, 0.15, -0.08, 0]);
    expect(cells.map((c) => c.priced)).toEqual([true, true, true, false]);
    expect(unpricedCells).toBe(1);
    expect(totals.energyCost).toBeCloseTo(0.6 + 0.15 - 0.08, 12);
    expect(totals.carbonCost).toBeCloseTo(0.12, 12);
    expect(totals.energyMwh).toBeCloseTo((6 + 3 + 4) / 1000, 12);
    expect(totals.gpuHours).toBe(20);
    expect(byCluster.get('a')?.cost).toBeCloseTo(0.87, 12);
  });

  it('gives no pricing for a snapshot without slots or priced clusters', () => {
    expect(pricingFromProblem(null)).toBeNull();
    expect(pricingFromProblem({ slotStartsUtc: [], clusters: [{ id: 'a' }] })).toBeNull();
  });
});

describe('summarizeMoves', () => {
  it('counts GPU-hours that left a cell as moved and prices both sides alike', () => {
    const price = (cluster: string) => (cluster === 'a' ? 2 : 1);
    const result = summarizeMoves(
      [
        { jobId: 'j1', clusterId: 'a', slotStartMs: T0, beforeGpuHours: 10, afterGpuHours: 0 }, // moved 10, −20
        { jobId: 'j1', clusterId: 'b', slotStartMs: T0, beforeGpuHours: 0, afterGpuHours: 10 }, // added 10, +10
        { jobId: 'j2', clusterId: 'a', slotStartMs: T0 + H, beforeGpuHours: 4, afterGpuHours: 6 }, // added 2, +4
      ],
      price,
    );
    expect(result.movedGpuHours).toBe(10);
    expect(result.addedGpuHours).toBe(12);
    expect(result.jobs).toEqual([
      {
        jobId: 'j1',
        movedGpuHours: 10,
        addedGpuHours: 10,
        costDelta: -10,
        clusters: [
          { clusterId: 'a', removedGpuHours: 10, addedGpuHours: 0 },
          { clusterId: 'b', removedGpuHours: 0, addedGpuHours: 10 },
        ],
      },
      {
        jobId: 'j2',
        movedGpuHours: 0,
        addedGpuHours: 2,
        costDelta: 4,
        clusters: [{ clusterId: 'a', removedGpuHours: 0, addedGpuHours: 2 }],
      },
    ]);
  });
});

describe('effectiveSlots', () => {
  const s = (id: string, version: number, startH: number, endH: number, publishedH: number) => ({
    id,
    version,
    horizonStartMs: T0 + startH * H,
    horizonEndMs: T0 + endH * H,
    slotMinutes: 60,
    publishedAtMs: T0 + publishedH * H,
  });
  it.each([
    {
      name: 'a newer version takes over from the slot it was published in',
      schedules: [s('v1', 1, 0, 6, -1), s('v2', 2, 2, 8, 2.5)],
      range: [0, 8],
      want: { v1: [0, 1], v2: [2, 3, 4, 5, 6, 7] }, // v2 published at 2.5 h, before slot 2 ends at 3 h
    },
    {
      name: 'a version published after a slot ended never governed it',
      schedules: [s('v1', 1, 0, 4, -1), s('v2', 2, 0, 4, 3.2)],
      range: [0, 4],
      want: { v1: [0, 1, 2], v2: [3] },
    },
    {
      name: 'only slots inside the range count; uncovered hours stay uncovered',
      schedules: [s('v1', 1, 0, 3, -1)],
      range: [1, 6],
      want: { v1: [1, 2] },
    },
  ])('$name', ({ schedules, range, want }) => {
    const out = effectiveSlots(schedules, T0 + range[0]! * H, T0 + range[1]! * H);
    const hours = Object.fromEntries([...out].map(([id, slots]) => [id, slots.map((t) => (t - T0) / H)]));
    expect(hours).toEqual(want);
  });
});

describe('scheduleSavings', () => {
  const cell = (slotH: number, gpuHours: number, cost: number) => ({
    clusterId: 'a',
    slotStartMs: T0 + slotH * H,
    gpus: gpuHours,
    gpuHours,
    jobs: 1,
    energyMwh: 0,
    energyCost: cost,
    carbonCost: 0,
    cost,
    priced: true,
  });
  // Baselines as stored (ScheduleTotals): energy + carbon + penalty cost and served GPU-hours.
  const figures = (energyCost: number, penaltyCost: number, servedGpuHours: number, carbonCost = 0) => ({
    energyCost,
    carbonCost,
    penaltyCost,
    servedGpuHours,
  });

  it('attributes baselines and penalties by the share of served GPU-hours in the effective slots', () => {
    // 100 GPU-h served in total, 40 of them in the effective slots → share 0.4.
    const result = scheduleSavings({
      id: 's',
      version: 1,
      slotCount: 4,
      totals: figures(300, 50, 100), // penalty 50 → 20 attributed
      home: figures(900, 100, 100), // 1000 → 400 attributed; serves the same 100 GPU-h
      greedy: figures(450, 50, 100, 25), // 525 → 210 attributed
      effectiveCells: [cell(2, 30, 90), cell(3, 10, 40)],
      effectiveSlotStartsMs: [T0 + 2 * H, T0 + 3 * H],
    });
    expect(result.share).toBeCloseTo(0.4, 12);
    expect(result.cost).toBeCloseTo(130 + 20, 12);
    expect(result.vsHome).toMatchObject({ comparable: true });
    expect(result.vsHome!.baselineCost).toBeCloseTo(400, 12);
    expect(result.vsHome!.baselineServedGpuHours).toBeCloseTo(40, 12);
    expect(result.vsHome!.amount).toBeCloseTo(400 - 150, 12);
    expect(result.vsHome!.pct).toBeCloseTo((250 / 360) * 100, 12); // of the home energy cost 900 × 0.4
    expect(result.vsGreedy!.amount).toBeCloseTo(210 - 150, 12);
    expect(result.vsGreedy!.pct).toBeCloseTo((60 / 190) * 100, 12); // of (450 + 25) × 0.4
    expect([...result.byDay.keys()]).toEqual(['2024-03-02']);
  });

  it('equals savingsAgainst on the stored totals when the whole horizon was in force', () => {
    const totals = figures(130, 10, 40);
    const home = figures(290, 10, 40);
    const result = scheduleSavings({
      id: 's',
      version: 1,
      slotCount: 2,
      totals,
      home,
      greedy: null,
      effectiveCells: [cell(0, 30, 90), cell(1, 10, 40)],
      effectiveSlotStartsMs: [T0, T0 + H],
    });
    expect(result.share).toBe(1);
    const stored = savingsAgainst(home, totals); // 300 − 140 = 160, 160 / 290 × 100 %
    expect(result.vsHome!.amount).toBeCloseTo(stored.amount!, 12);
    expect(result.vsHome!.pct).toBeCloseTo(stored.pct!, 12);
    expect(result.vsGreedy).toBeNull();
  });

  it('shows no saving against a baseline that serves less work, in every part of the schedule', () => {
    // Home leaves 10 of 40 GPU-h unserved: its 200 bill is lower than the schedule's 140 + penalty, but not a saving.
    const result = scheduleSavings({
      id: 's',
      version: 1,
      slotCount: 2,
      totals: figures(130, 10, 40),
      home: figures(100, 100, 30),
      greedy: figures(150, 10, 40),
      effectiveCells: [cell(0, 30, 90), cell(25, 10, 40)], // two UTC days
      effectiveSlotStartsMs: [T0, T0 + 25 * H],
    });
    expect(result.vsHome).toEqual({
      comparable: false,
      baselineServedGpuHours: 30,
      baselineCost: null,
      baselineEnergyCarbonCost: 100,
      amount: null,
      pct: null,
    });
    for (const day of result.byDay.values()) {
      expect(day.vsHome).toMatchObject({ comparable: false, amount: null });
      expect(day.vsGreedy).toMatchObject({ comparable: true });
    }
    // Day 1: 30 of 40 GPU-h → home serves 30 × 0.75 = 22.5 there.
    expect(result.byDay.get('2024-03-02')!.vsHome!.baselineServedGpuHours).toBeCloseTo(22.5, 12);
    expect(result.vsGreedy!.amount).toBeCloseTo(160 - 140, 12);
  });
});

describe('sumBaselineParts', () => {
  const part = (
    gpuHours: number,
    cost: number,
    baseline: BaselinePart | null,
  ): [SavingsPart, BaselinePart | null] => [{ gpuHours, cost, vsHome: baseline, vsGreedy: null }, baseline];
  const comparable = (baselineCost: number, cost: number, served: number): BaselinePart => ({
    comparable: true,
    baselineServedGpuHours: served,
    baselineCost,
    baselineEnergyCarbonCost: baselineCost, // no penalties here
    amount: baselineCost - cost,
    pct: ((baselineCost - cost) / baselineCost) * 100,
  });
  it.each([
    {
      name: 'all comparable: sums of the parts',
      parts: [part(10, 80, comparable(100, 80, 10)), part(5, 30, comparable(50, 30, 5))],
      // amount (100 − 80) + (50 − 30) = 40; pct 40 / 150
      want: {
        comparable: true,
        excludedSchedules: 0,
        comparedGpuHours: 15,
        comparedCost: 110,
        baselineCost: 150,
        amount: 40,
        pct: (40 / 150) * 100,
        baselineServedGpuHours: 15,
      },
    },
    {
      name: 'one baseline serves less: left out and counted, the rest still summed',
      parts: [
        part(10, 80, comparable(100, 80, 10)),
        part(5, 30, {
          comparable: false,
          baselineServedGpuHours: 2,
          baselineCost: null,
          baselineEnergyCarbonCost: 20,
          amount: null,
          pct: null,
        }),
      ],
      want: {
        comparable: false,
        excludedSchedules: 1,
        comparedGpuHours: 10,
        comparedCost: 80,
        baselineCost: 100,
        amount: 20,
        pct: 20,
        baselineServedGpuHours: 12,
      },
    },
    {
      name: 'no baseline stored and none comparable: no amount',
      parts: [part(10, 80, null)],
      want: {
        comparable: false,
        excludedSchedules: 1,
        comparedGpuHours: 0,
        comparedCost: 0,
        baselineCost: null,
        amount: null,
        pct: null,
        baselineServedGpuHours: 0,
      },
    },
  ])('$name', ({ parts, want }) => {
    const got = sumBaselineParts(parts);
    for (const [key, value] of Object.entries(want)) {
      if (typeof value === 'number') expect(got[key as keyof typeof got] as number).toBeCloseTo(value, 12);
      else expect(got[key as keyof typeof got]).toBe(value);
    }
  });
});
