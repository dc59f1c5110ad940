import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * ECharts is its own chunk (imported dynamically by src/shared/Chart.tsx) so the first chunk stays small; this
 * names it in index.html as a modulepreload, so the browser fetches and compiles it while the first chunk runs
 * instead of after it.
 */
function preloadCharts(): Plugin {
  return {
    name: 'gridshift-preload-charts',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === 'chunk' && (c.facadeModuleId ?? '').endsWith('/src/shared/echarts.ts'),
        );
        if (!chunk) throw new Error('no ECharts chunk in the bundle (src/shared/echarts.ts)');
        return [
          {
            tag: 'link',
            attrs: { rel: 'modulepreload', crossorigin: true, href: `/console/${chunk.fileName}` },
            injectTo: 'head',
          },
        ];
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
  plugins: [react(), preloadCharts()],
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
      ].map((path) => [path, process.env.ADMIN_API_URL ?? 'http://127.0.0.1:3100']),
    ),
  },
});
