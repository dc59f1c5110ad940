import type { DataSource, EntityManager } from 'typeorm';
import {
  getPlanRequest,
  requestPlan,
  runWhatIf,
  ScheduleLifecycle,
  solveInWorker,
  type SolveFn,
} from '#gridshift/scheduling';
import type { PlanRequestState, SchedulingPort } from './scheduling.port.js';

/** A solve in the worker capped at `maxMs` of wall clock (the planner's own limit still applies when lower). */
export function cappedSolve(maxMs: number, inner: SolveFn = solveInWorker): SolveFn {
  return (problem, timeLimitMs) => inner(problem, Math.min(timeLimitMs, maxMs));
}

/** SchedulingPort over libs/scheduling (the planner's shared library). */
export class SchedulingAdapter implements SchedulingPort {
  private readonly lifecycle: ScheduleLifecycle;

  constructor(private readonly db: DataSource) {
    this.lifecycle = new ScheduleLifecycle(db);
  }

  async approve(scheduleId: string, input: { actor: string; reason?: string }): Promise<void> {
    await this.lifecycle.approve(scheduleId, input);
  }

  async reject(scheduleId: string, input: { actor: string; reason: string }): Promise<void> {
    await this.lifecycle.reject(scheduleId, input);
  }

  requestPlan(
    input: { trigger: 'manual' | 'override'; requestedBy: string; reason?: string },
    manager?: EntityManager,
  ): Promise<string> {
    return requestPlan(manager ?? this.db, input);
  }

  getPlanRequest(id: string): Promise<PlanRequestState> {
    return getPlanRequest(this.db, id);
  }

  async runWhatIf(input: {
    scenario: unknown;
    requestedBy: string;
    reason?: string;
    solveTimeLimitMs: number;
  }): Promise<string> {
    const { solveTimeLimitMs, ...request } = input;
    return (await runWhatIf(this.db, { ...request, solve: cappedSolve(solveTimeLimitMs) })).id;
  }
}
