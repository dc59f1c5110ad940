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
  hasRun: true,
});

describe('ConsumerStatusBoard', () => {
  // grace 60 s; "now" is 12:01:00
  it.each([
    {
      name: 'running is never stuck',
      s: status('running', '2026-12-07T11:00:00Z'),
      stuck: false,
      ready: true,
    },
    {
      name: 'restarting 30 s < grace',
      s: status('restarting', '2026-12-07T12:00:30Z'),
      stuck: false,
      ready: true,
    },
    {
      name: 'restarting 61 s > grace',
      s: status('restarting', '2026-12-07T11:59:59Z'),
      stuck: true,
      ready: false,
    },
    {
      name: 'stopped is stuck at once',
      s: status('stopped', '2026-12-07T12:01:00Z'),
      stuck: true,
      ready: false,
    },
    {
      name: 'not yet joined: not stuck, not ready',
      s: { ...status('restarting', '2026-12-07T12:00:59Z'), hasRun: false },
      stuck: false,
      ready: false,
    },
  ])('$name', ({ s, stuck, ready }) => {
    const board = new ConsumerStatusBoard(60_000);
    board.register({ status: () => s });
    expect(board.snapshot(at('2026-12-07T12:01:00Z'))).toEqual([{ ...s, stuck, ready }]);
  });
});
