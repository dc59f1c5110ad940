import { describe, expect, it } from 'vitest';
import { parseRoute } from '../shared/route';
import { pageOf } from './pages';

describe('the page a route shows', () => {
  it.each([
    ['', 'overview'],
    ['#/', 'overview'],
    ['#/schedules', 'scheduleList'],
    ['#/schedules?status=draft', 'scheduleList'],
    ['#/schedules/abc', 'scheduleDetail'],
    ['#/schedules/abc/diff?against=def', 'scheduleDiff'],
    ['#/jobs', 'jobs'],
    ['#/what-if', 'whatIf'],
    ['#/audit', 'audit'],
    ['#/nope', undefined],
  ])('%s → %s', (hash, want) => {
    expect(pageOf(parseRoute(hash))).toBe(want);
  });
});
