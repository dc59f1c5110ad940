import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PlacementProblem } from './model.js';
import type { PlacementResult, SolveOptions } from './result.js';
import { unpackResult, type PackedResult } from './result-transfer.js';
import { greedyFallback } from './solve.js';
import { PlacementProblemError, validateProblem } from './validate.js';

/** Options of `solvePlacementInWorker`. A custom `lpSolver` cannot cross threads: the worker uses the default. */
export interface WorkerSolveOptions extends Omit<SolveOptions, 'lpSolver'> {
  /** Wall-clock limit for the whole solve in the worker, ms. */
  timeLimitMs: number;
  /** Heap limit of the worker (V8 old generation), MB; exceeding it is a `solver-error`. Default 2048. */
  maxHeapMb?: number;
}

type WorkerReply = { ok: true; packed: PackedResult } | { ok: false; error: string };

const DEFAULT_MAX_HEAP_MB = 2048;

function spawn(workerData: unknown, maxHeapMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb };
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.ts')) {
    return new Worker(new URL('./solve-worker.js', import.meta.url), { workerData, resourceLimits });
  }
  // Running from TypeScript sources (tsx, vitest): the worker has no TS loader of its own, so a tiny
  // bootstrap registers tsx (a dev dependency) before importing the .ts entry.
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(
    join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  const entry = new URL('./solve-worker.ts', import.meta.url).href;
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry)}); })` +
    `.catch((error) => { require('node:worker_threads').parentPort.postMessage({ ok: false, error: String(error) }); });`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}

/**
 * Solves off the main thread with a wall-clock limit. Resolves with the optimum, or — on timeout,
 * worker crash, out-of-memory or solver failure — with the greedy schedule flagged
 * `status: 'timeout' | 'solver-error'`, `fallback: 'greedy'`. Rejects only with `PlacementProblemError`.
 */
export function solvePlacementInWorker(
  problem: PlacementProblem,
  opts: WorkerSolveOptions,
): Promise<PlacementResult> {
  const issues = validateProblem(problem);
  if (issues.some((i) => i.severity === 'error')) return Promise.reject(new PlacementProblemError(issues));
  const { timeLimitMs, maxHeapMb, ...solveOpts } = opts;
  // A memo lives in the caller's thread (the worker would get a lifeless copy): the worker computes afresh.
  delete solveOpts.homeBaselineMemo;
  return new Promise<PlacementResult>((resolve) => {
    let settled = false;
    const worker = spawn({ problem, opts: solveOpts }, maxHeapMb ?? DEFAULT_MAX_HEAP_MB);
    const finish = (result: PlacementResult | (() => PlacementResult)) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(typeof result === 'function' ? result() : result);
    };
    const fallback = (status: 'timeout' | 'solver-error', message: string) => () =>
      greedyFallback(problem, status, message, solveOpts);
    const timer = setTimeout(
      () => finish(fallback('timeout', `no optimum within ${timeLimitMs} ms; greedy heuristic used`)),
      timeLimitMs,
    );
    worker.once('message', (reply: WorkerReply) => {
      if (reply.ok) finish(() => unpackResult(reply.packed));
      else finish(fallback('solver-error', `solver failed in worker: ${reply.error}`));
    });
    worker.once('error', (error: Error) =>
      finish(fallback('solver-error', `worker error: ${error.message}`)),
    );
    worker.once('exit', (code) =>
      finish(fallback('solver-error', `worker exited with code ${code} before replying`)),
    );
  });
}
