import { useCallback, useEffect, useState } from 'react';
import { problemText } from '../api/client';

/** What a page shows while a request runs, when it failed, and when it answered. */
export type Loaded<T> =
  { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

/** The `{ data, error, response }` an openapi-fetch call resolves to. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Turns an openapi-fetch answer into its data, or throws the problem as one readable line. */
export function dataOf<T>(answer: Answer<T>): T {
  if (answer.data === undefined || !answer.response.ok)
    throw new Error(problemText(answer.error, answer.response.status));
  return answer.data;
}

/**
 * Runs `load` when `deps` change (the previous answer is ignored once they do) and on `reload()`.
 * A small hook on purpose: pages read a handful of endpoints and need no client-side cache.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]) {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    const controller = new AbortController();
    setLoaded((previous) => (previous.state === 'ready' ? previous : { state: 'loading' }));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setLoaded({ state: 'ready', data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          setLoaded({ state: 'error', message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what `load` reads
  }, [...deps, generation]);
  return { loaded, reload };
}
