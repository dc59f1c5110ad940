import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};

describe('runtime', () => {
  it('the test suite runs on Node >= 24', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('runs on the Node pinned as the devDependency `node` (npm scripts put node_modules/.bin first on PATH)', () => {
    const pinned = pkg.devDependencies.node;
    expect(pinned).toMatch(/^24\.\d+\.\d+$/); // exact, so every machine runs the same binary
    expect(process.version).toBe(`v${pinned}`);
    expect(pkg.allowScripts.node).toBe(true); // npm 11 runs its install script (fetches the binary) only then
    expect(pkg.engines.node).toBe('>=24');
  });
});
