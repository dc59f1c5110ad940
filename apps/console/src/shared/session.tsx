import { createContext, type ReactNode, useContext } from 'react';
import type { ApiClient, Schemas } from '../api/client';

/** The signed-in operator: the typed client carrying their key, and who the API says they are. */
export interface Session {
  api: ApiClient;
  caller: Schemas['Caller'];
  signOut: () => void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The session of a signed-in page (pages render only inside the provider). */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** Operators and admins act on schedules and jobs; viewers only read (the API enforces it too). */
export function canOperate(session: Session): boolean {
  return session.caller.role === 'operator' || session.caller.role === 'admin';
}
