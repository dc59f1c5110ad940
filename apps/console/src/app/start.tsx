import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { openSession } from '../features/auth/SignIn';
import { keyStore } from '../shared/key-store';
import { parseRoute } from '../shared/route';
import { App } from './App';
import { loadPage, pageOf } from './pages';
import { restoreSession } from './restore';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

// The first render is the page itself: the saved key's check (started by the entry script, api/early.ts)
// and the chunk of the page the link names are awaited here, before React renders anything — not a
// "Signing in…" render, an effect and a second render.
const saved = keyStore.load();
const first = restoreSession(saved, openSession, keyStore.clear);
const page = saved === null ? undefined : pageOf(parseRoute(window.location.hash));
const chunk = page === undefined ? undefined : loadPage(page).catch(() => undefined); // the page reports it

void Promise.all([first, chunk]).then(([session]) =>
  createRoot(root).render(
    <StrictMode>
      <App first={session} />
    </StrictMode>,
  ),
);
