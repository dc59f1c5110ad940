import { describe, expect, it } from 'vitest';
import { earlyPaths } from './early';

describe('early requests of a first load', () => {
  it.each([
    { name: 'overview: only the key check', path: [], want: ['/api-keys/me'] },
    {
      name: 'a shared schedule link: key check and detail',
      path: ['schedules', 'a b'],
      want: ['/api-keys/me', '/schedules/a%20b'],
    },
    {
      name: 'a diff page: the detail is not what it shows first',
      path: ['schedules', 'x', 'diff'],
      want: ['/api-keys/me'],
    },
    { name: 'the schedule list', path: ['schedules'], want: ['/api-keys/me'] },
  ])('$name', ({ path, want }) => {
    expect(earlyPaths(path)).toEqual(want);
  });
});
