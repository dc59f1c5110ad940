// The planner's warm-up: the pipeline's pure phases run a few times on the stored inputs before real plans need
// them, so the first reaction after a start (a deploy, a failover) runs compiled code, not the interpreter's.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { encodePlacementCells } from '#gridshift/persistence';
import { buildScheduleAccount, type PreviousSchedule } from './account.js';
import { checkedPlacements } from './checked-placements.js';
import { loadInputs, planningNow } from './inputs.js';
import { prepareOrders } from './lifecycle.js';
import { buildProblem } from './problem.js';
import type { PlanningSettings } from './settings.js';
import { buildSnapshot, marketSignature, snapshotDocument } from './snapshot.js';
import { solveInThread } from './solve.js';

export interface WarmUpOptions {
  /** No round starts after this long from the warm-up's start (a round under way finishes). */
  budgetMs: number;
  /** Rounds at most. */
  maxRounds: number;
  /** Problems above this many jobs are solved in a worker by real plans (a fresh isolate): not warmed. */
  maxInThreadJobs: number;
  /** Checked before each round: true stops the warm-up (the process shuts down). */
  cancelled?: () => boolean;
  /** The planning clock (default: the settings' clock). */
  now?: () => Date;
}

export interface WarmUpReport {
  rounds: number;
  /** Wall time of each round (load → orders), ms. */
  roundMs: number[];
  /** Why the warm-up stopped before `maxRounds`: out of budget, or nothing it can warm. */
  stopped: 'rounds' | 'budget' | 'cancelled' | 'nothing-to-plan' | 'solves-in-worker';
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Runs the plan pipeline's phases — load the inputs, build the problem, solve on this thread, check, account,
 * snapshot, the placement cells' encoding and the orders — on the current stored inputs, up to `maxRounds` times
 * within `budgetMs`, and stores nothing (reads only: no plan, no outbox row; the result is dropped).
 * The planner runs it before it campaigns for leadership, so no real plan waits for a round. Problems the
 * planner solves in a worker (above `maxInThreadJobs`, or with a stability term) are not warmed: each worker is a
 * new isolate that keeps nothing of this thread's compiled code.
 */
export async function warmUpPipeline(
  dataSource: DataSource,
  settings: PlanningSettings,
  scheduleInForce: () => Promise<PreviousSchedule | null>,
  options: WarmUpOptions,
): Promise<WarmUpReport> {
  const started = performance.now();
  const roundMs: number[] = [];
  let stopped: WarmUpReport['stopped'] = 'rounds';
  while (roundMs.length < options.maxRounds) {
    if (performance.now() - started >= options.budgetMs) {
      stopped = 'budget';
      break;
    }
    await new Promise((resolve) => setImmediate(resolve)); // timers (the lease, /health) run between rounds
    if (options.cancelled?.()) {
      stopped = 'cancelled';
      break;
    }
    const t = performance.now();
    const now = options.now ? options.now() : await planningNow(dataSource, settings.clock);
    const [inputs, previous] = await Promise.all([
      loadInputs(dataSource, { settings, now }),
      scheduleInForce(),
    ]);
    if (inputs.clusters.length === 0 || inputs.jobs.length === 0) {
      stopped = 'nothing-to-plan';
      break;
    }
    const built = buildProblem(inputs, { previous: previous?.placements });
    const { problem } = built;
    if ((problem.stability?.costPerGpuHourMoved ?? 0) > 0 || problem.jobs.length > options.maxInThreadJobs) {
      stopped = 'solves-in-worker';
      break;
    }
    const market = marketSignature(inputs, {}, {});
    snapshotDocument(buildSnapshot(inputs, problem, market, previous?.id ?? null), null);
    const result = await solveInThread(problem, settings.solveTimeLimitMs);
    const checked = checkedPlacements(problem, result);
    buildScheduleAccount(result, checked.placements, previous, checked.warnings);
    const id = randomUUID();
    encodePlacementCells(id, checked.placements, inputs.horizonStartUtc, inputs.slotMinutes);
    const issued = new Date();
    prepareOrders({
      scheduleId: id,
      version: 1,
      now: issued,
      issuedAtUtc: issued.toISOString(),
      slotMinutes: inputs.slotMinutes,
      placements: checked.placements,
      previousOrders: new Map(),
    });
    roundMs.push(round1(performance.now() - t));
  }
  return { rounds: roundMs.length, roundMs, stopped };
}
