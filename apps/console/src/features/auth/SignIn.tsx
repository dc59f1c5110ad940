import { type FormEvent, useState } from 'react';
import { createApiClient } from '../../api/client';
import { dataOf } from '../../shared/useApi';
import type { Session } from '../../shared/session';

/** Checks a key against the API (`GET /api-keys/me`) and returns the session it opens. */
export async function openSession(
  key: string,
  onUnauthorized: () => void,
): Promise<Omit<Session, 'signOut'>> {
  const api = createApiClient(key, onUnauthorized);
  const caller = dataOf(await api.GET('/api-keys/me'));
  return { api, caller };
}

/** Sign in with an API key. The key stays in memory, or in this tab's sessionStorage when asked. */
export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (key: string, remember: boolean) => Promise<void>;
  notice?: string;
}) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    onSignedIn(key.trim(), remember)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };

  return (
    <main className="sign-in">
      <h1>gridshift console</h1>
      <p>Sign in with an admin API key (viewer, operator or admin).</p>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onChange={(e) => setKey(e.currentTarget.value)}
          placeholder="gsk_…"
          required
        />
        <label className="inline">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />{' '}
          keep me signed in in this tab (sessionStorage)
        </label>
        <button type="submit" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
