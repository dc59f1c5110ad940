import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './processes.js';

export interface ScriptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs infra/kafka/<script> with the given environment and arguments; never rejects, reports the exit code. */
export async function runKafkaScript(
  script: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<ScriptResult> {
  const startedMs = performance.now();
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(repoRoot, 'infra/kafka', script), ...args],
      { env, timeout: 170_000 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ exitCode, stdout, stderr, durationMs: performance.now() - startedMs });
      },
    );
  });
}

/** True when nothing listens on 127.0.0.1:`port` (a listen there succeeds). */
async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The first of `count` consecutive ports on 127.0.0.1, all free a moment ago, from a random base in [from, to). */
export async function freePortRange(count: number, from = 30_000, to = 40_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports in [${from}, ${to}) after 50 tries`);
}
