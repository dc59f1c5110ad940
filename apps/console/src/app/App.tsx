import { useCallback, useEffect, useState } from 'react';
import { createApiClient } from '../api/client';
import { openSession, SignIn } from '../features/auth/SignIn';
import { AuditLog } from '../features/audit/AuditLog';
import { Jobs } from '../features/jobs/Jobs';
import { Overview } from '../features/overview/Overview';
import { prefetchScheduleDetail } from '../features/schedules/api';
import { ScheduleDetail } from '../features/schedules/ScheduleDetail';
import { ScheduleDiff } from '../features/schedules/ScheduleDiff';
import { ScheduleList } from '../features/schedules/ScheduleList';
import { WhatIf } from '../features/what-if/WhatIf';
import { href, parseRoute, type Route, useRoute } from '../shared/route';
import { mark } from '../shared/marks';
import { keyStore, type Session, SessionProvider } from '../shared/session';

const NAV = [
  ['', 'Overview'],
  ['schedules', 'Schedules'],
  ['jobs', 'Jobs'],
  ['what-if', 'What-if'],
  ['audit', 'Audit log'],
] as const;

function Page({ route }: { route: Route }) {
  const [section, id, sub] = route.path;
  switch (section) {
    case undefined:
      return <Overview />;
    case 'schedules':
      if (id && sub === 'diff') return <ScheduleDiff id={id} against={route.query.get('against')} />;
      if (id) return <ScheduleDetail id={id} />;
      return <ScheduleList query={route.query} />;
    case 'jobs':
      return <Jobs />;
    case 'what-if':
      return <WhatIf />;
    case 'audit':
      return <AuditLog />;
    default:
      return <p role="alert">No page at {window.location.hash}.</p>;
  }
}

/** The console: sign-in gate, navigation, and the page the hash names. */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const [restoring, setRestoring] = useState(() => keyStore.load() !== null);

  const signOut = useCallback((why?: string) => {
    keyStore.clear();
    setSession(null);
    setNotice(why);
  }, []);

  const signIn = useCallback(
    async (key: string, remember: boolean) => {
      const opened = await openSession(key, () => signOut('The key was refused (revoked?): sign in again.'));
      mark('signed-in');
      if (remember) keyStore.save(key);
      else keyStore.clear();
      setNotice(undefined);
      setSession({ ...opened, signOut: () => signOut() });
    },
    [signOut],
  );

  useEffect(() => {
    const saved = keyStore.load();
    if (!saved) return;
    // A shared link to a schedule: ask for it while the key is checked (one round trip less before the heatmap).
    const [section, id, sub] = parseRoute(window.location.hash).path;
    if (section === 'schedules' && id && sub === undefined)
      prefetchScheduleDetail(
        createApiClient(saved, () => undefined),
        id,
      );
    signIn(saved, true)
      .catch(() => signOut('The saved key was refused: sign in again.'))
      .finally(() => setRestoring(false));
  }, [signIn, signOut]);

  if (restoring) return <p role="status">Signing in…</p>;
  if (!session) return <SignIn onSignedIn={signIn} {...(notice ? { notice } : {})} />;
  const active = route.path[0] ?? '';
  return (
    <SessionProvider session={session}>
      <header className="top">
        <span className="brand">gridshift</span>
        <nav aria-label="main">
          {NAV.map(([path, label]) => (
            <a key={path} href={href(path)} aria-current={active === path ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="caller">
          {session.caller.name} · {session.caller.role}
        </span>
        <button type="button" className="link" onClick={() => session.signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </SessionProvider>
  );
}
