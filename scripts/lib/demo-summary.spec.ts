import { describe, expect, it } from 'vitest';
import { comparisonTable, savingsLines, shortfallLine, type TotalsFigures } from './demo-summary.js';

const optimum: TotalsFigures = {
  energyMwh: 40,
  energyCost: 4000,
  carbonTonnes: 12.34,
  carbonCost: 0,
  penaltyCost: 0,
  servedGpuHours: 32_000,
  unservedGpuHours: 0,
  tokensMillions: 800_000,
  costPerMillionTokens: 0.005,
};

describe('demo summary', () => {
  it('puts the three schedules side by side, carbon cost only when priced', () => {
    const lines = comparisonTable('USD', [
      { name: 'gridshift', totals: optimum },
      { name: 'home', totals: { ...optimum, servedGpuHours: 30_000, unservedGpuHours: 2000 } },
      { name: 'greedy', totals: null },
    ]);
    expect(lines).toEqual([
      '| | gridshift | home | greedy |',
      '|---|---:|---:|---:|',
      '| served GPU-h | 32,000 | 30,000 | n/a |',
      '| unserved GPU-h | 0 | 2,000 | n/a |',
      '| energy cost | USD 4,000 | USD 4,000 | n/a |',
      '| t CO₂ | 12.3 | 12.3 | n/a |',
      '| cost per million tokens | USD 0.00500 | USD 0.00500 | n/a |',
    ]);
    expect(
      comparisonTable('USD', [{ name: 'gridshift', totals: { ...optimum, carbonCost: 500 } }]),
    ).toContain('| carbon cost | USD 500 |');
  });

  it.each([
    {
      name: 'same work: saving on energy',
      base: { ...optimum, energyCost: 5000 },
      want: 'vs greedy: gridshift saves USD 1,000 (20.0 %) on energy for the same work', // 5000 − 4000 = 1000 of 5000
    },
    {
      name: 'within half a GPU-hour: no note',
      base: { ...optimum, servedGpuHours: 31_999.6, energyCost: 4000 },
      // 4000 × 32,000 / 31,999.6 − 4000 = 0.05
      want: 'vs greedy: gridshift saves USD 0 (0.0 %) on energy for the same work',
    },
    {
      name: 'baseline serves up to 0.1 % less: its missing work costed at its own average',
      base: { ...optimum, servedGpuHours: 31_980, energyCost: 4500 },
      // 4500 × 32,000 / 31,980 = 4502.81 − 4000 = 502.81 (11.2 % of 4500)
      want: 'vs greedy: gridshift saves USD 503 (11.2 %) on energy for the same work (greedy served 20 GPU-h less: costed at its own average)',
    },
    {
      name: 'baseline serves less: no saving, cost per GPU-h instead',
      base: { ...optimum, servedGpuHours: 24_000, energyCost: 3600 },
      // 4000 / 32,000 = 0.125; 3600 / 24,000 = 0.15
      want: 'vs greedy: greedy serves 8,000 GPU-h less; not a like-for-like saving — gridshift USD 0.1250 per GPU-h, greedy USD 0.1500 per GPU-h',
    },
    {
      name: 'baseline serves more: the optimum pays the penalty for what it leaves',
      base: { ...optimum, servedGpuHours: 33_000, energyCost: 4400 },
      // optimum: 4000 + penalty 0 (its stored penalty); greedy 4400 → 400 (9.1 %)
      want: 'vs greedy: gridshift saves USD 400 (9.1 %) on energy for the same work (gridshift served 1,000 GPU-h less: charged at its penalty)',
    },
    { name: 'no baseline stored', base: null, want: 'vs greedy: n/a (no baseline stored)' },
  ])('$name', ({ base, want }) => {
    expect(
      savingsLines('USD', { name: 'gridshift', totals: optimum }, [{ name: 'greedy', totals: base }]),
    ).toEqual([want]);
  });

  it('adds energy + carbon when carbon is priced', () => {
    const opt = { ...optimum, carbonCost: 1000 };
    const base = { ...optimum, energyCost: 4500, carbonCost: 1500 };
    // energy + carbon 6000 − 5000 = 1000 (16.7 % of 6000)
    expect(savingsLines('USD', { name: 'gridshift', totals: opt }, [{ name: 'home', totals: base }])).toEqual(
      ['vs home: gridshift saves USD 1,000 (16.7 %) on energy + carbon for the same work'],
    );
  });

  it('sums shortfalls by reason instead of listing them', () => {
    const rounding = (jobId: string, gpuHours: number) => ({
      jobId,
      outcome: 'partially-placed',
      reasons: [{ reason: 'rounding', gpuHours }],
      gpuHours,
    });
    expect(shortfallLine([])).toBe('shortfall: none — every job fully served');
    // 0.012 + 0.008 = 0.02 GPU-h of whole-GPU rounding
    expect(shortfallLine([rounding('a-h18', 0.012), rounding('a-h20', 0.008)])).toBe(
      'shortfall: 2 job(s), 0.02 GPU-h (rounding 0.02)',
    );
    expect(
      shortfallLine(
        [{ jobId: 'b', reasons: [{ reason: 'capacity', gpuHours: 120 }], gpuHours: 120 }, rounding('c', 0.5)],
        true,
      ),
    ).toBe('shortfall: 2+ job(s), 121 GPU-h (capacity 120, rounding 0.50)');
  });
});
