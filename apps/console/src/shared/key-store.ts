const STORAGE_KEY = 'gridshift.console.key';

/**
 * Where the key lives: sessionStorage (this tab only, gone when it closes) when the operator asks to stay
 * signed in across reloads, else only in memory. Never localStorage, never a cookie. No React here: the
 * entry script (main.tsx) reads it before React has loaded.
 */
export const keyStore = {
  load: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  save: (key: string) => sessionStorage.setItem(STORAGE_KEY, key),
  clear: () => sessionStorage.removeItem(STORAGE_KEY),
};
