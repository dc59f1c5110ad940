import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * index.html runs a small entry script (src/main.tsx) that starts the first API requests and then imports
 * the app (app/start.tsx: React and the shell). This adds `<link rel="modulepreload">` for that chunk and
 * its static imports, so the browser fetches and compiles them while the entry script and the API requests
 * run, instead of after the entry script asked for them.
 */
function preloadAppChunk(): Plugin {
  let base = '/';
  return {
    name: 'gridshift-console-preload-app',
    apply: 'build',
    configResolved(config) {
      base = config.base;
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {}).filter((c) => c.type === 'chunk');
        const start = chunks.find((c) => c.facadeModuleId?.endsWith('/src/app/start.tsx'));
        if (!start) throw new Error('preloadAppChunk: no chunk for src/app/start.tsx');
        const entries = new Set(chunks.filter((c) => c.isEntry).map((c) => c.fileName));
        const files = [start.fileName, ...start.imports].filter((file) => !entries.has(file));
        return files.map((file) => ({
          tag: 'link',
          attrs: { rel: 'modulepreload', crossorigin: true, href: `${base}${file}` },
          injectTo: 'head' as const,
        }));
      },
    },
  };
}

/**
 * The console is served by the admin API under /console (static files, see apps/console/README.md). In
 * development `npm run console:dev` serves it from Vite and forwards API calls to ADMIN_API_URL.
 */
export default defineConfig({
  root,
  base: '/console/',
  plugins: [preloadAppChunk()],
  // The components are written against React's API and run on Preact (preact/compat): the same hooks and
  // createRoot in a 10th of React's size (README, "Framework"). JSX compiles to Preact's runtime; imports of
  // react and react-dom resolve to preact/compat (tsconfig.json's paths do the same for the types).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    alias: [
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      { find: /^react(-dom)?$/, replacement: 'preact/compat' },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The budget is checked by tests/browser/console.browser.ts (see README); Vite's own warning is off.
    chunkSizeWarningLimit: 2000,
    rollupOptions: { output: { manualChunks: undefined } },
  },
  server: {
    proxy: Object.fromEntries(
      [
        '/schedules',
        '/jobs',
        '/clusters',
        '/zones',
        '/prices',
        '/load',
        '/plans',
        '/what-ifs',
        '/reports',
        '/audit-log',
        '/api-keys',
        '/dead-letters',
        '/deliveries',
      ].map((path) => [path, process.env.ADMIN_API_URL ?? 'http://127.0.0.1:3100']),
    ),
  },
});
