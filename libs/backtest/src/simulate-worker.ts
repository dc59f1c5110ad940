// Worker-thread entry of `runBacktestInWorkers`: runs some of a backtest's simulations and posts each outcome.
import { parentPort, workerData } from 'node:worker_threads';
import { runSimulation, type BacktestInput, type SimulationName } from './rolling.js';

interface Job {
  input: BacktestInput;
  names: SimulationName[];
}

const { input, names } = workerData as Job;
try {
  for (const name of names) {
    const outcome = runSimulation(input, name, (planMs) => parentPort?.postMessage({ kind: 'plan', planMs }));
    parentPort?.postMessage({ kind: 'outcome', outcome });
  }
  parentPort?.postMessage({ kind: 'done' });
} catch (error) {
  parentPort?.postMessage({
    kind: 'error',
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  });
}
