import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { openSession, SignIn } from '../features/auth/SignIn';
import { keyStore } from '../shared/key-store';
import { mark } from '../shared/marks';
import { href, type Route } from '../shared/route';
import { type Session, SessionProvider } from '../shared/session';
import { useRoute } from '../shared/useRoute';
import { loadedPage, loadPage, type PageName, pageOf } from './pages';
import type { FirstSession, OpenedSession } from './restore';

const KEY_REFUSED = 'The key was refused (revoked?): sign in again.';

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

/**
 * The console: sign-in gate, navigation, and the page the hash names. `first` is the session decided
 * before the first render (app/restore.ts): a saved key's session, or the sign-in form with a notice.
 */
export function App({ first }: { first: FirstSession }) {
  const route = useRoute();
  const [opened, setOpened] = useState<OpenedSession | null>(first.opened);
  const [notice, setNotice] = useState<string | undefined>(first.opened ? undefined : first.notice);

  const signOut = useCallback((why?: string) => {
    keyStore.clear();
    setOpened(null);
    setNotice(why);
  }, []);

  // A 401 on the restored session's client signs out (the client was made before App existed).
  useEffect(() => {
    if (first.opened) first.unauthorized.set(() => signOut(KEY_REFUSED));
  }, [first, signOut]);

  const signIn = useCallback(
    async (key: string, remember: boolean) => {
      const next = await openSession(key, () => signOut(KEY_REFUSED));
      mark('signed-in');
      if (remember) keyStore.save(key);
      else keyStore.clear();
      setNotice(undefined);
      setOpened(next);
    },
    [signOut],
  );

  const session = useMemo<Session | null>(
    () => opened && { ...opened, signOut: () => signOut() },
    [opened, signOut],
  );

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
