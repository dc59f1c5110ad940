import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { descendingOrder } from './round.js';

/** The order `roundUp` used before: indices sorted by key descending, ties by index. */
function comparatorOrder(key: Float64Array): number[] {
  return Array.from(key, (_v, k) => k).sort((a, b) => key[b]! - key[a]! || a - b);
}

describe('descendingOrder', () => {
  it('orders a hand-made case by key descending, ties by index (0 and -0 tie)', () => {
    const key = Float64Array.from([0.5, 2, 0.5, -0, 2, 0, 1.25]);
    expect([...descendingOrder(key)]).toEqual([1, 4, 6, 0, 2, 3, 5]);
  });

  it('is the comparator sort on generated keys with many ties', () => {
    const keys = fc.array(
      fc.oneof(
        fc.constantFrom(0, -0, 0.1, 0.2, 0.30000000000000004, 8, 2.5 * 0.35),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
      ),
      { maxLength: 300 },
    );
    fc.assert(
      fc.property(keys, (values) => {
        const key = Float64Array.from(values);
        expect([...descendingOrder(key)]).toEqual(comparatorOrder(key));
      }),
      { numRuns: 500, seed: 17 },
    );
  });
});
