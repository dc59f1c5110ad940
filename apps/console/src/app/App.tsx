import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { openSession, SignIn } from '../features/auth/SignIn';
import { keyStore } from '../shared/key-store';
import { mark } from '../shared/marks';
import { href, type Route } from '../shared/route';
import { type Session, SessionProvider } from '../shared/session';
import { useRoute } from '../shared/useRoute';
import { loadedPage, loadPage, type PageName, pageOf } from './pages';

const NAV = [
  ['', 'Overview'],
  ['schedules', 'Schedules'],
  ['jobs', 'Jobs'],
  ['what-if', 'What-if'],
  ['audit', 'Audit log'],
] as const;

/** Loads a page's chunk when it is not there yet; re-renders when it arrives (or says it failed). */
function usePageChunk(name: PageName | undefined): string | null {
  const [failed, setFailed] = useState<string | null>(null);
  const [, setArrived] = useState(0);
  const ready = name === undefined || loadedPage(name) !== undefined;
  useEffect(() => {
    if (!name || ready) return;
    let gone = false;
    setFailed(null);
    loadPage(name).then(
      () => !gone && setArrived((n) => n + 1),
      (error: unknown) =>
        !gone && setFailed(`This page did not load (${String(error)}): reload to try again.`),
    );
    return () => {
      gone = true;
    };
  }, [name, ready]);
  return failed;
}

function Page({ route }: { route: Route }) {
  const [, id = ''] = route.path;
  const name = pageOf(route);
  const failed = usePageChunk(name);
  if (failed) return <p role="alert">{failed}</p>;
  const waiting = <p role="status">Loading page…</p>;
  const show = <N extends PageName>(
    page: N,
    render: (component: NonNullable<ReturnType<typeof loadedPage<N>>>) => ReactNode,
  ) => {
    const component = loadedPage(page);
    return component ? render(component) : waiting;
  };
  switch (name) {
    case 'overview':
      return show(name, (Overview) => <Overview />);
    case 'scheduleList':
      return show(name, (ScheduleList) => <ScheduleList query={route.query} />);
    case 'scheduleDetail':
      return show(name, (ScheduleDetail) => <ScheduleDetail id={id} />);
    case 'scheduleDiff':
      return show(name, (ScheduleDiff) => <ScheduleDiff id={id} against={route.query.get('against')} />);
    case 'jobs':
      return show(name, (Jobs) => <Jobs />);
    case 'whatIf':
      return show(name, (WhatIf) => <WhatIf />);
    case 'audit':
      return show(name, (AuditLog) => <AuditLog />);
    case undefined:
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
    // The entry script has already asked for the key check (and a shared link's schedule): api/early.ts.
    const saved = keyStore.load();
    if (!saved) return;
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
