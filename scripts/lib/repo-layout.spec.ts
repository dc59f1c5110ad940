import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// nest-cli.json describes the repository's real apps and libs (and package.json's scripts point at files that
// exist), so the Nest tooling and newcomers see the project as it is.

const root = join(import.meta.dirname, '../..');

describe('repository layout', () => {
  it('nest-cli.json lists every app and lib, and nothing else', () => {
    const projects = (
      JSON.parse(readFileSync(join(root, 'nest-cli.json'), 'utf8')) as {
        projects: Record<string, { type: string; root: string; sourceRoot: string }>;
      }
    ).projects;
    // apps/console is a Vite (React) app served as static files by the admin API, not a Nest project.
    const notNest = new Set(['console']);
    const expected = [
      ...readdirSync(join(root, 'apps'))
        .filter((name) => !notNest.has(name))
        .map((name) => ({ name, type: 'application', root: `apps/${name}` })),
      ...readdirSync(join(root, 'libs')).map((name) => ({ name, type: 'library', root: `libs/${name}` })),
    ];
    expect(Object.keys(projects).sort()).toEqual(expected.map((p) => p.name).sort());
    for (const p of expected)
      expect(projects[p.name], p.name).toMatchObject({
        type: p.type,
        root: p.root,
        sourceRoot: `${p.root}/src`,
      });
  });

  it('every `bash <file>` and `node <file>` an npm script runs exists', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    for (const [name, command] of Object.entries(scripts)) {
      for (const m of command.matchAll(
        /\b(?:bash|node|tsx(?: --conditions=\S+)?)\s+((?:infra|scripts)\/\S+)/g,
      )) {
        const file = m[1] ?? '';
        expect(() => readFileSync(join(root, file)), `${name}: ${file}`).not.toThrow();
      }
    }
  });
});
