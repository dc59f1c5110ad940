import { describe, expect, it } from 'vitest';
import type { DayBaselines } from '#gridshift/placement';
import { BaselineLru } from './measured-savings.controller.js';

/** A day's baselines with `entries` (cluster, job) sums per kind: 200 + 2 × 32 × entries estimated bytes. */
function day(entries: number): DayBaselines {
  const sums = {
    clusterIds: Array.from({ length: entries }, () => 'fra-1'),
    jobIds: Array.from({ length: entries }, (_, i) => `job-${i}`),
    gpuHours: new Float64Array(entries),
    cost: new Float64Array(entries),
  };
  return new Map([
    ['home', sums],
    ['greedy', sums],
  ]);
}

describe('BaselineLru', () => {
  it('returns what was set for the same problem, nothing for another', () => {
    const lru = new BaselineLru(10_000);
    const a = day(1);
    lru.set('{"problem":"a"}', a);
    expect(lru.get('{"problem":"a"}')).toBe(a);
    expect(lru.get('{"problem":"b"}')).toBeUndefined();
  });

  it('drops the least recently used days once the estimated size passes the budget', () => {
    // Each day: 200 + 2 × 32 × 10 = 840 bytes; a budget of 2,000 holds two.
    const lru = new BaselineLru(2000);
    lru.set('a', day(10));
    lru.set('b', day(10));
    expect(lru.get('a')).toBeDefined(); // a is now the most recently used
    lru.set('c', day(10)); // 2,520 > 2,000: b goes
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
    expect(lru.get('c')).toBeDefined();
    expect(lru.estimatedBytes).toBe(1680);
    // Setting a key again replaces it without counting it twice.
    lru.set('c', day(10));
    expect(lru.estimatedBytes).toBe(1680);
  });
});
