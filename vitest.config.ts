import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// One config, four tiers. `npm run test:unit|integration|e2e` or `npm run chaos` picks one; `npm test` runs all.
const shared = {
  resolve: {
    alias: [{ find: /^#gridshift\/([\w-]+)$/, replacement: `${root}libs/$1/src/index.ts` }],
  },
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
    }),
  ],
};

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: [
            'libs/**/*.spec.ts',
            'apps/**/*.spec.ts',
            'scripts/**/*.spec.ts',
            'tests/support/**/*.spec.ts',
          ],
          testTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          setupFiles: ['tests/support/kafkajs-fix.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          setupFiles: ['tests/support/kafkajs-fix.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
        },
      },
      {
        ...shared,
        test: {
          // Faults injected into a private 3-broker cluster and PostgreSQL (tests/support/chaos-global-setup.ts),
          // one scenario at a time; `npm run chaos [-- --json FILE]`.
          name: 'chaos',
          sequence: { groupOrder: 3 },
          include: ['tests/chaos/**/*.test.ts'],
          globalSetup: ['tests/support/chaos-global-setup.ts'],
          setupFiles: ['tests/support/kafkajs-fix.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});
