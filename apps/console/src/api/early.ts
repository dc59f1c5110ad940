/**
 * Requests the entry script (main.tsx) starts before React and the pages have loaded — the key check and a
 * shared link's schedule — so a first load's API round trips run while the scripts download and compile.
 * The one typed client (client.ts) takes each answer once, for the same GET, path and key; anything else
 * goes to the network as usual. No React and no openapi-fetch here: this module is in the entry chunk.
 */
const started = new Map<string, Promise<Response>>();

const keyOf = (url: string, authorization: string | null) => `${authorization ?? ''} ${url}`;

/** Starts `GET path` (same origin) with the key now; the client takes the answer when a page asks. */
export function requestEarly(path: string, apiKey: string): void {
  const url = new URL(path, window.location.origin).href;
  const authorization = `Bearer ${apiKey}`;
  const answer = fetch(url, { headers: { authorization } });
  answer.catch(() => undefined); // the page reports a failure when it takes the answer
  started.set(keyOf(url, authorization), answer);
}

/** The early answer to this request, once (a body reads only once); undefined when none was started. */
export function takeEarly(request: Request): Promise<Response> | undefined {
  if (request.method !== 'GET') return undefined;
  const key = keyOf(request.url, request.headers.get('authorization'));
  const answer = started.get(key);
  started.delete(key);
  return answer;
}

/** The early requests of a first load on `path` (the route's segments), with the saved key. */
export function earlyPaths(path: string[]): string[] {
  const [section, id, sub] = path;
  const paths = ['/api-keys/me'];
  if (section === 'schedules' && id && sub === undefined) paths.push(`/schedules/${encodeURIComponent(id)}`);
  return paths;
}
