// Worker-thread entry of `solvePlacementInWorker`: solves one problem and posts the result back.
import { parentPort, workerData } from 'node:worker_threads';
import type { PlacementProblem } from './model.js';
import type { SolveOptions } from './result.js';
import { packResult } from './result-transfer.js';
import { solvePlacement } from './solve.js';

interface Job {
  problem: PlacementProblem;
  opts: SolveOptions;
}

const { problem, opts } = workerData as Job;
try {
  // Packed: its placements cross as transferred buffers, not as one cloned object each.
  const { packed, transfer } = packResult(solvePlacement(problem, opts));
  parentPort?.postMessage({ ok: true, packed }, transfer);
} catch (error) {
  parentPort?.postMessage({
    ok: false,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}
