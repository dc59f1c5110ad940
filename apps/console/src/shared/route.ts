/**
 * Hash routes (`#/schedules/<id>?against=…`): the console is static files under /console, so the server
 * needs no fallback route and every page has a link an operator can share. No React here: the entry script
 * (main.tsx) reads the route before React has loaded (`useRoute` is in useRoute.ts).
 */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?', 2);
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

/** A link target: `href('schedules', id, { against })` → `#/schedules/<id>?against=…`. */
export function href(...parts: (string | Record<string, string | undefined>)[]): string {
  const query = new URLSearchParams();
  const path: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') path.push(encodeURIComponent(part));
    else for (const [k, v] of Object.entries(part)) if (v !== undefined && v !== '') query.set(k, v);
  }
  const q = query.toString();
  return `#/${path.join('/')}${q ? `?${q}` : ''}`;
}
