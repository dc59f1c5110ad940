import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console is served by the admin API under /console (static files, see apps/console/README.md). In
 * development `npm run console:dev` serves it from Vite and forwards API calls to ADMIN_API_URL.
 */
export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
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
