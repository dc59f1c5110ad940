import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
      // Past start.sh's own bound (KAFKA_START_TIMEOUT_S for the wait, plus formatting and a 5 s stop of what it
      // started): a kill by this timeout would report exit 1 without start.sh's explanation.
      { env, timeout: (Number(env.KAFKA_START_TIMEOUT_S ?? 90) + 60) * 1000 },
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

/**
 * The kernel's ephemeral port range (Linux: /proc/sys/net/ipv4/ip_local_port_range; 32768–60999 by default). A port
 * in it that is free now can be taken, before a broker binds it, as the source port of any outgoing connection (this
 * machine's database and Kafka clients open them all the time); the broker's bind then fails with "Address already
 * in use" — SO_REUSEADDR does not help against a connected socket — and the node exits. Ports for a service started
 * later are therefore chosen below it.
 */
export function ephemeralPortRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low: low!, high: high! };
  } catch {
    // not Linux: the IANA range
  }
  return { low: 49_152, high: 65_535 };
}

/**
 * Ranges of the private services' ports, disjoint so that files running at the same time never pick the same ports
 * before either binds them, and below the ephemeral range (see `ephemeralPortRange`); the fixed ports of the e2e
 * tests (231xx–234xx) and the browser stack (24000–24999) are below them.
 */
export const PRIVATE_PORT_RANGES = {
  kafkaInfra: [25_000, 26_000],
  kafkaCluster: [26_000, 29_000],
  chaos: [29_000, 32_000],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * The first of `count` consecutive ports on 127.0.0.1, all free a moment ago, from a random base in [from, to) —
 * only ports below the kernel's ephemeral range (an outgoing connection could take one of those before the service
 * binds it).
 */
export async function freePortRange(count: number, from: number, to: number): Promise<number> {
  const { low } = ephemeralPortRange();
  const end = Math.min(to, low);
  if (end - from < count)
    throw new Error(`no ${count} ports in [${from}, ${to}) below the ephemeral port range (from ${low})`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (end - from - count + 1));
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports in [${from}, ${end}) after 50 tries`);
}
