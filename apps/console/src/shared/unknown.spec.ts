import { describe, expect, it } from 'vitest';
import { scalars, text } from './unknown';

describe('reading open-ended API fields', () => {
  it('flattens one level and lists arrays', () => {
    expect(
      scalars({
        status: 'optimal',
        fallback: null,
        stats: { iterations: 12, deep: { x: 1 } },
        warnings: ['a', 'b'],
      }),
    ).toEqual([
      ['status', 'optimal'],
      ['fallback', 'null'],
      ['stats.iterations', '12'], // stats.deep: two levels down, left out
      ['warnings', 'a, b'],
    ]);
  });

  it('reads text fields of unknown values', () => {
    expect(text({ summary: 'cheapest cells' }, 'summary')).toBe('cheapest cells');
    expect(text('x', 'summary')).toBeUndefined();
    expect(text({ n: 3 }, 'n')).toBe('3');
  });
});
