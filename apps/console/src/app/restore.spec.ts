import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../api/client';
import { type OpenedSession, restoreSession, SAVED_KEY_REFUSED } from './restore';

const opened: OpenedSession = {
  api: {} as ApiClient, // not called: restoreSession only hands it on
  caller: { name: 'ops', role: 'operator' } as OpenedSession['caller'],
};

describe('the session decided before the first render', () => {
  it('no saved key: the sign-in form, without asking the API', async () => {
    const open = vi.fn();
    const forget = vi.fn();
    expect(await restoreSession(null, open, forget)).toEqual({ opened: null });
    expect(open).not.toHaveBeenCalled();
    expect(forget).not.toHaveBeenCalled();
  });

  it('a saved key the API accepts: its session, opened once with that key', async () => {
    const open = vi.fn().mockResolvedValue(opened);
    const forget = vi.fn();
    const first = await restoreSession('gsk_saved', open, forget);
    expect(first.opened).toBe(opened);
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0]?.[0]).toBe('gsk_saved');
    expect(forget).not.toHaveBeenCalled();
  });

  it('a refused saved key is forgotten and the sign-in form says so', async () => {
    const open = vi.fn().mockRejectedValue(new Error('Unauthorized — invalid API key'));
    const forget = vi.fn();
    expect(await restoreSession('gsk_revoked', open, forget)).toEqual({
      opened: null,
      notice: SAVED_KEY_REFUSED,
    });
    expect(forget).toHaveBeenCalledTimes(1);
  });

  it('a 401 on the restored client reaches the handler App sets later, not before', async () => {
    let onUnauthorized: () => void = () => undefined;
    const open = vi.fn((_key: string, on: () => void) => {
      onUnauthorized = on;
      return Promise.resolve(opened);
    });
    const first = await restoreSession('gsk_saved', open, vi.fn());
    if (!first.opened) throw new Error('expected a session');
    onUnauthorized(); // before App mounted: nothing to call yet, and no throw
    const signOut = vi.fn();
    first.unauthorized.set(signOut);
    onUnauthorized();
    expect(signOut).toHaveBeenCalledTimes(1);
  });
});
