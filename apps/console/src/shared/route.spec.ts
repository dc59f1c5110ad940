import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './route';

describe('console routes', () => {
  it('round-trips a path with a query', () => {
    const link = href('schedules', 'a b', { against: 'x/y', empty: '' });
    expect(link).toBe('#/schedules/a%20b?against=x%2Fy');
    const route = parseRoute(link);
    expect(route.path).toEqual(['schedules', 'a b']);
    expect(route.query.get('against')).toBe('x/y');
  });

  it('the empty hash is the overview', () => {
    expect(parseRoute('').path).toEqual([]);
    expect(parseRoute('#/').path).toEqual([]);
  });
});
