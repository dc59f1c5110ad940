import { describe, expect, it } from 'vitest';
import { compactError } from './logger.js';

describe('compactError', () => {
  it('counts the bound parameters of a failed statement instead of logging them; cuts long queries', () => {
    const error = Object.assign(new Error('new row violates check constraint'), {
      query: `insert into schedules values (${'$1, '.repeat(1000)})`,
      parameters: ['x'.repeat(1_000_000), 2, 3],
      code: '23514',
    });
    const out = compactError(error) as Record<string, unknown>;
    expect(out.parameters).toBe('[3 parameters left out]');
    expect((out.query as string).length).toBe(2001);
    expect(out.code).toBe('23514');
    expect(out.message).toBe('new row violates check constraint');
    expect(JSON.stringify(out).length).toBeLessThan(10_000);
  });

  it('leaves other values alone', () => {
    expect(compactError('plain')).toBe('plain');
  });
});
