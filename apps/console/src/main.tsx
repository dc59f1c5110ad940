// The entry script: small on purpose. It starts the first load's API requests (the saved key's check and a
// shared link's schedule) and the page's chunk, then loads React and the app — all in parallel, so the
// round trips and the downloads overlap instead of following each other (README, "First load").
import { earlyPaths, requestEarly } from './api/early';
import { keyStore } from './shared/key-store';
import { parseRoute } from './shared/route';
import { preloadPage } from './app/pages';
import './shared/styles.css';

const route = parseRoute(window.location.hash);
const saved = keyStore.load();
if (saved) {
  for (const path of earlyPaths(route.path)) requestEarly(path, saved);
  preloadPage(route);
  // Shown until the app has decided the session (app/start.tsx) and renders over it.
  const waiting = document.createElement('p');
  waiting.setAttribute('role', 'status');
  waiting.textContent = 'Signing in…';
  document.getElementById('root')?.replaceChildren(waiting);
}
void import('./app/start');
