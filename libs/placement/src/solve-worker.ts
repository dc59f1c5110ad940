// Worker-thread entry of `solvePlacementInWorker`: solves one problem and posts the result back.
import { parentPort, workerData } from 'node:worker_threads';
import type { PlacementProblem } from './model.js';
import type { SolveOptions } from './result.js';
import { solvePlacement } from './solve.js';

interface Job {
  problem: PlacementProblem;
  opts: SolveOptions;
}

const { problem, opts } = workerData as Job;
try {
  parentPort?.postMessage({ ok: true, result: solvePlacement(problem, opts) });
} catch (error) {
  parentPort?.postMessage({
    ok: false,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}
