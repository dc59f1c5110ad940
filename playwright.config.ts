import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the operator console (tests/browser/*.browser.ts): Chromium from Debian packages
 * (Playwright's own downloads are not used), against the real stack that tests/browser/stack.ts starts.
 * `npm run test:browser`. Screenshots and traces of failures go to test-results/ (git-ignored).
 */
export default defineConfig({
  testDir: 'tests/browser',
  testMatch: '*.browser.ts',
  globalSetup: './tests/browser/stack.ts',
  outputDir: 'test-results/browser',
  fullyParallel: false,
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: process.env.CI ? [['line'], ['json', { outputFile: '.browser-results.json' }]] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
  },
});
