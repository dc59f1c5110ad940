import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryCollector, fromJobMaps, toJobMaps, valueAt } from './account.js';

describe('EntryCollector: flat per-job schedules', () => {
  it('groups entries by job, sorts cells, merges a cell held twice and keeps empty jobs empty', () => {
    const collector = new EntryCollector(4);
    collector.add(2, 7, 1, 10);
    collector.add(0, 5, 2, 20);
    collector.add(2, 3, 4, 40);
    collector.add(0, 1, 8, 80);
    collector.add(2, 7, 0.5, 5); // job 2 holds cell 7 again: 1 + 0.5 GPU-h, 10 + 5
    const { start, cell, a, b } = collector.finish();
    // job 0: cells 1, 5; job 1: none; job 2: cells 3, 7 (merged); job 3: none.
    expect([...start]).toEqual([0, 2, 2, 4, 4]);
    expect([...cell]).toEqual([1, 5, 3, 7]);
    expect([...a]).toEqual([8, 2, 4, 1.5]);
    expect([...b]).toEqual([80, 20, 40, 15]);
  });

  it('holds the same schedule as one map per job, in any insertion order (fast-check)', () => {
    const entry = fc.record({
      job: fc.integer({ min: 0, max: 5 }),
      cell: fc.integer({ min: 0, max: 11 }),
      gpuHours: fc.integer({ min: 1, max: 1000 }).map((n) => n / 8),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        // Independent reference: one map per job, cell → summed GPU-hours (eighths: exact in floating point).
        const maps = Array.from({ length: 6 }, () => new Map<number, number>());
        const collector = new EntryCollector(6);
        for (const e of entries) {
          maps[e.job]!.set(e.cell, (maps[e.job]!.get(e.cell) ?? 0) + e.gpuHours);
          collector.add(e.job, e.cell, e.gpuHours);
        }
        const schedule = collector.schedule();
        for (let j = 0; j < 6; j++) {
          const cells = [...schedule.cell.subarray(schedule.start[j], schedule.start[j + 1])];
          expect(cells).toEqual([...maps[j]!.keys()].sort((x, y) => x - y));
          for (const [c, v] of maps[j]!) expect(valueAt(schedule, j, c)).toBe(v);
        }
        expect(toJobMaps(schedule).map((m) => [...m].sort((x, y) => x[0] - y[0]))).toEqual(
          maps.map((m) => [...m].sort((x, y) => x[0] - y[0])),
        );
        expect(fromJobMaps(maps)).toEqual(schedule);
      }),
      { numRuns: 300, seed: 17 },
    );
  });
});
