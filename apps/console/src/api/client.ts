import createClient, { type Middleware } from 'openapi-fetch';
import { takeEarly } from './early';
import type { components, paths } from './generated/schema';

/** Component schemas of the admin API, by name (generated from its OpenAPI document). */
export type Schemas = components['schemas'];

/** An RFC 9457 problem as the admin API sends it. */
export type Problem = Schemas['Problem'];

/** The one typed client of the console: every call goes through it, with the signed-in key. */
export function createApiClient(key: string, onUnauthorized: () => void) {
  const client = createClient<paths>({
    baseUrl: window.location.origin,
    // A GET the entry script already started (api/early.ts) is answered from there, once.
    fetch: (request) => takeEarly(request) ?? fetch(request),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${key}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  };
  client.use(auth);
  return client;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The error of a failed call, as one line for the page (problem+json `title: detail`, or the status). */
export function problemText(error: unknown, status?: number): string {
  if (error && typeof error === 'object' && 'title' in error) {
    const p = error as { title?: unknown; detail?: unknown; errors?: { field: string; message: string }[] };
    const fields = (p.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
    const title = typeof p.title === 'string' ? p.title : '';
    const detail = typeof p.detail === 'string' ? p.detail : '';
    return [title, detail, fields].filter(Boolean).join(' — ');
  }
  return status ? `request failed (HTTP ${status})` : 'request failed';
}
