import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'gridshift-pg-'));
const port = String(54400 + Math.floor(Math.random() * 400));
const env = {
  ...process.env,
  DATABASE_URL: '',
  GRIDSHIFT_EMBEDDED_PG_DIR: dir,
  GRIDSHIFT_EMBEDDED_PG_PORT: port,
};
const urlOf = (args: string[], extra: Record<string, string> = {}) =>
  execFileSync(process.execPath, ['infra/postgres/url.mjs', ...args], {
    cwd: repoRoot,
    env: { ...env, ...extra },
    encoding: 'utf8',
  }).trim();

afterAll(() => {
  try {
    urlOf(['--stop']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('infra/postgres/url.mjs', () => {
  it('prints DATABASE_URL unchanged when it is given', () => {
    expect(urlOf([], { DATABASE_URL: 'postgres://someone@db.internal:6543/prod' })).toBe(
      'postgres://someone@db.internal:6543/prod',
    );
  });

  it('starts an embedded PostgreSQL from npm when asked, creates the database, and is idempotent', async () => {
    const url = urlOf(['--mode', 'embedded', '--database', 'gridshift_embedded']);
    expect(url).toBe(`postgres://postgres@127.0.0.1:${port}/gridshift_embedded`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const [row] = (
      await client.query<{ db: string; v: string }>(
        `select current_database() db, current_setting('server_version_num') v`,
      )
    ).rows;
    await client.end();
    expect(row!.db).toBe('gridshift_embedded');
    expect(Number(row!.v)).toBeGreaterThanOrEqual(150000);
    // A second call finds it running and prints the same URL.
    expect(urlOf(['--mode', 'embedded', '--database', 'gridshift_embedded'])).toBe(url);
  });
});
