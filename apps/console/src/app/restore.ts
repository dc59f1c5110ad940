import { mark } from '../shared/marks';
import type { Session } from '../shared/session';

/** A session before the console has given it its sign-out: the client with the key, and the caller. */
export type OpenedSession = Omit<Session, 'signOut'>;

/** Checks a key and opens its session (features/auth's `openSession`); rejects when the key is refused. */
export type OpenSession = (key: string, onUnauthorized: () => void) => Promise<OpenedSession>;

/** A callback given to the client before the code that handles it exists (App sets it once mounted). */
export interface LateCallback {
  set(handler: () => void): void;
  call(): void;
}

function lateCallback(): LateCallback {
  let handler: (() => void) | undefined;
  return {
    set: (next) => {
      handler = next;
    },
    call: () => handler?.(),
  };
}

/** What the console's first render shows: the saved key's session, or the sign-in form (with why). */
export type FirstSession =
  { opened: OpenedSession; unauthorized: LateCallback } | { opened: null; notice?: string };

export const SAVED_KEY_REFUSED = 'The saved key was refused: sign in again.';

/**
 * Decides the session before the first render (app/start.tsx): with a key saved in this tab, its check —
 * which the entry script already started (api/early.ts), so this usually takes an answer that is already
 * there — opens the session; a refused key, or a check that failed, is forgotten and the sign-in form says
 * so. No key saved: the sign-in form, at once. Never rejects.
 */
export async function restoreSession(
  saved: string | null,
  open: OpenSession,
  forget: () => void,
): Promise<FirstSession> {
  if (saved === null) return { opened: null };
  const unauthorized = lateCallback();
  try {
    const opened = await open(saved, () => unauthorized.call());
    mark('signed-in');
    return { opened, unauthorized };
  } catch {
    forget();
    return { opened: null, notice: SAVED_KEY_REFUSED };
  }
}
