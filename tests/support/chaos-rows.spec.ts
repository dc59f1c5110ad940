import { describe, expect, it } from 'vitest';
import { chaosTable, tallyChaos } from './chaos-rows.js';

describe('tallyChaos', () => {
  it.each([
    // 3 sent, all once in the sink
    {
      name: 'clean',
      sent: ['a', 'b', 'c'],
      sink: ['c', 'a', 'b'],
      want: { stored: 3, lost: 0, duplicates: 0 },
    },
    // b twice, c three times: 1 + 2 duplicates; nothing lost
    {
      name: 'duplicates',
      sent: ['a', 'b', 'c'],
      sink: ['a', 'b', 'b', 'c', 'c', 'c'],
      want: { stored: 3, lost: 0, duplicates: 3 },
    },
    // c missing: 1 lost
    { name: 'lost', sent: ['a', 'b', 'c'], sink: ['a', 'b'], want: { stored: 2, lost: 1, duplicates: 0 } },
    // a sent twice by the producer counts once
    { name: 'resent', sent: ['a', 'a', 'b'], sink: ['a', 'b'], want: { stored: 2, lost: 0, duplicates: 0 } },
  ])('$name', ({ sent, sink, want }) => {
    const { row, unexpected } = tallyChaos('s', sent, sink, 1.234);
    expect(row).toEqual({ scenario: 's', sent: new Set(sent).size, ...want, recoverySeconds: 1.2 });
    expect(unexpected).toEqual([]);
  });

  it('reports sink ids that were never sent', () => {
    expect(tallyChaos('s', ['a'], ['a', 'x', 'x'], 0).unexpected).toEqual(['x']);
  });

  it('formats a table row per scenario', () => {
    const { row } = tallyChaos('broker', ['a', 'b'], ['a', 'b'], 3.25);
    expect(chaosTable([row]).split('\n')[2]).toBe('| broker | 2 | 2 | 0 | 0 | 3.3 |');
  });
});
