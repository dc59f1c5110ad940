import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// libs/persistence owns every SQL statement: apps, the other libs and the scripts (demo, benchmarks, tools) call its
// repositories (named by intent, returning plain typed rows) and never run SQL themselves. Tests and test support
// may seed and inspect with SQL.

const root = join(import.meta.dirname, '../..');

/** A call that sends SQL (TypeORM's `query`, pg's `query`) or an SQL statement in a string. */
const SQL = [
  /\.query\s*(<[^>]*>)?\s*\(/,
  /[`'"]\s*(select|insert\s+into|update\s+\w+\s+set|delete\s+from|with\s+\w+\s+as|listen|notify)\b/i,
];

function productionSources(): string[] {
  const tracked = execFileSync('git', ['ls-files', 'apps', 'libs', 'scripts'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /^(apps|libs)\/[^/]+\/src\/.*\.ts$/.test(f) || /^scripts\/.*\.ts$/.test(f));
  return tracked.filter((f) => !f.startsWith('libs/persistence/') && !/\.(spec|test)\.ts$/.test(f));
}

const hasSql = (file: string) => {
  const text = readFileSync(join(root, file), 'utf8');
  return SQL.some((pattern) => pattern.test(text));
};

describe('data layer', () => {
  it('no SQL outside libs/persistence (apps, libs, scripts)', () => {
    expect(productionSources().some((f) => f.startsWith('scripts/'))).toBe(true);
    expect(productionSources().filter(hasSql)).toEqual([]);
  });

  it('the check sees SQL where there is some', () => {
    expect(hasSql('libs/persistence/src/repositories/schedule.repository.ts')).toBe(true);
    expect(hasSql('libs/scheduling/src/diff.ts')).toBe(false);
    expect(hasSql('libs/persistence/src/repositories/pipeline-probe.repository.ts')).toBe(true);
  });
});
