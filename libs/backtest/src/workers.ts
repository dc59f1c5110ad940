import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BacktestInputError } from './errors.js';
import {
  assembleBacktest,
  backtestPlanCount,
  simulationsOf,
  type BacktestInput,
  type BacktestProgress,
  type BacktestResult,
  type SimulationName,
  type SimulationOutcome,
} from './rolling.js';

// The backtest's simulations are independent (each plan carries its own state), so they can run on separate
// threads: gridshift's plan (the LP with whole-GPU rounding, the heaviest) on one, the references on another.

type Message =
  | { kind: 'plan'; planMs: number }
  | { kind: 'outcome'; outcome: SimulationOutcome }
  | { kind: 'done' }
  | { kind: 'error'; name: string; message: string };

function spawn(workerData: unknown): Worker {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.ts'))
    return new Worker(new URL('./simulate-worker.js', import.meta.url), { workerData });
  // From TypeScript sources (tsx, vitest): register tsx in the worker before importing the .ts entry.
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(
    join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  const entry = new URL('./simulate-worker.ts', import.meta.url).href;
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry)}); })` +
    `.catch((error) => { require('node:worker_threads').parentPort.postMessage({ kind: 'error', name: 'Error', message: String(error) }); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

function runWorker(
  input: BacktestInput,
  names: SimulationName[],
  onPlan: (planMs: number) => void,
): Promise<SimulationOutcome[]> {
  return new Promise((resolve, reject) => {
    const outcomes: SimulationOutcome[] = [];
    const worker = spawn({ input, names });
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error) reject(error);
      else resolve(outcomes);
    };
    worker.on('message', (m: Message) => {
      if (m.kind === 'plan') onPlan(m.planMs);
      else if (m.kind === 'outcome') outcomes.push(m.outcome);
      else if (m.kind === 'done') finish();
      else finish(m.name === 'BacktestInputError' ? new BacktestInputError(m.message) : new Error(m.message));
    });
    worker.on('error', (error: Error) => finish(error));
    worker.on('exit', (code) => {
      if (!settled) finish(new Error(`backtest worker exited with code ${code} before finishing`));
    });
  });
}

/**
 * `runBacktest` on worker threads: gridshift's plan on one thread, the other simulations on another (one thread
 * when the machine has a single core). Same result as `runBacktest`.
 */
export async function runBacktestInWorkers(
  input: BacktestInput,
  onProgress?: (p: BacktestProgress) => void,
): Promise<BacktestResult> {
  const total = backtestPlanCount(input);
  let finished = 0;
  const onPlan = (planMs: number) =>
    onProgress?.({ done: ++finished, total, stepStartUtc: new Date(planMs).toISOString() });
  const [first, ...rest] = simulationsOf(input);
  const groups: SimulationName[][] =
    availableParallelism() > 1 && first ? [[first], rest] : [[...(first ? [first] : []), ...rest]];
  const outcomes = (await Promise.all(groups.map((names) => runWorker(input, names, onPlan)))).flat();
  return assembleBacktest(input, outcomes);
}
