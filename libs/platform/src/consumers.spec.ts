import { describe, expect, it } from 'vitest';
import type { ConsumerStatus } from '#gridshift/messaging';
import { ConsumerStatusBoard } from './consumers.js';

const at = (iso: string) => Date.parse(iso);
const status = (state: ConsumerStatus['state'], since: string): ConsumerStatus => ({
  groupId: 'g',
  topics: ['t'],
  state,
  reason: state === 'running' ? null : 'boom',
  since,
  restarts: 1,
  lastErrorAt: since,
});

describe('ConsumerStatusBoard', () => {
  // grace 60 s; "now" is 12:01:00
  it.each([
    { name: 'running is never stuck', s: status('running', '2026-12-07T11:00:00Z'), stuck: false },
    { name: 'restarting 30 s < grace', s: status('restarting', '2026-12-07T12:00:30Z'), stuck: false },
    { name: 'restarting 61 s > grace', s: status('restarting', '2026-12-07T11:59:59Z'), stuck: true },
    { name: 'stopped is stuck at once', s: status('stopped', '2026-12-07T12:01:00Z'), stuck: true },
  ])('$name', ({ s, stuck }) => {
    const board = new ConsumerStatusBoard(60_000);
    board.register({ status: () => s });
    expect(board.snapshot(at('2026-12-07T12:01:00Z'))).toEqual([{ ...s, stuck }]);
  });
});
