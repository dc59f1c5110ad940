import type { EntityManager } from 'typeorm';

/**
 * What the admin API needs from libs/scheduling (the planner's shared library). The adapter in
 * scheduling.adapter.ts binds it; tests and the API only see this interface.
 */
export interface SchedulingPort {
  /** draft → approved, writing outbox rows and an audit row in one transaction (the planner's relay publishes). */
  approve(scheduleId: string, input: { actor: string; reason?: string }): Promise<void>;
  /** draft → rejected with a reason, audited in the same transaction. */
  reject(scheduleId: string, input: { actor: string; reason: string }): Promise<void>;
  /** Asks the planner for a new plan; returns the plan request id. */
  requestPlan(
    input: { trigger: 'manual' | 'override'; requestedBy: string; reason?: string },
    manager?: EntityManager,
  ): Promise<string>;
  /** The state of a plan request; throws PlanRequestNotFoundError when unknown. */
  getPlanRequest(id: string): Promise<PlanRequestState>;
  /**
   * Plans a modified scenario and stores it as a what-if schedule (never published); returns its id. The
   * solve gets at most `solveTimeLimitMs` of wall clock (then the greedy fallback, flagged, as in the planner).
   */
  runWhatIf(input: {
    scenario: unknown;
    requestedBy: string;
    reason?: string;
    solveTimeLimitMs: number;
  }): Promise<string>;
}

/** A re-plan request as libs/scheduling reports it. */
export interface PlanRequestState {
  id: string;
  trigger: 'manual' | 'override';
  requestedBy: string;
  reason: string | null;
  status: 'pending' | 'running' | 'done' | 'failed';
  scheduleId: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const SCHEDULING = Symbol('SCHEDULING');
