// infra/kafka/wait-ready.mjs against broker processes that exit: the wait ends at once with the node's log tail
// instead of running out its timeout (how a cluster node whose port was taken before its bind used to look: a
// silent wait of KAFKA_START_TIMEOUT_S, then exit 1). No broker is started: nothing answers on the probed ports.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, PRIVATE_PORT_RANGES } from '../support/kafka-scripts.js';
import { repoRoot } from '../support/processes.js';

interface WaitResult {
  exitCode: number;
  stderr: string;
  ms: number;
}

function waitReady(args: string[]): Promise<WaitResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'infra/kafka/wait-ready.mjs'), ...args],
      { timeout: 60_000 },
      (error, _stdout, stderr) =>
        resolve({
          exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stderr,
          ms: performance.now() - started,
        }),
    );
  });
}

/** A process that lives `seconds` and then exits (a stand-in for a JVM that dies during the wait). */
function shortLived(seconds: number): number {
  return spawn('sleep', [String(seconds)], { stdio: 'ignore' }).pid!;
}

describe('wait-ready.mjs with --pid and --log per node', () => {
  let dir = '';
  let port = 0;
  let logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gridshift-wait-ready-'));
    port = await freePortRange(3, ...PRIVATE_PORT_RANGES.kafkaInfra); // nothing listens on them
    logs = [1, 2, 3].map((node) => join(dir, `node-${node}.log`));
    for (const [i, log] of logs.entries())
      await writeFile(log, `node ${i + 1} starting\n${i === 1 ? 'ERROR Address already in use\n' : ''}`);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('ends at once when one node exits, naming it and printing its log', async () => {
    const pids = [shortLived(60), shortLived(1), shortLived(60)];
    const result = await waitReady([
      '--port',
      [port, port + 1, port + 2].join(','),
      '--brokers',
      '3',
      '--timeout-s',
      '45',
      '--pid',
      pids.join(','),
      '--log',
      logs.join(','),
    ]);
    for (const pid of [pids[0]!, pids[2]!]) process.kill(pid, 'SIGKILL'); // node 2's is gone already
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`broker process ${pids[1]} (node 2 of 3) exited before answering`);
    expect(result.stderr).toContain('ERROR Address already in use');
    expect(result.ms).toBeLessThan(30_000); // not the 45 s timeout
  });

  it('rejects a malformed --pid', async () => {
    const result = await waitReady(['--port', String(port), '--pid', '12,abc']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("bad --pid '12,abc'");
  });
});
