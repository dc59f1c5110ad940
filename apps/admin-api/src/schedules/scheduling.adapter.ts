import type { DataSource, EntityManager } from 'typeorm';
import { getPlanRequest, requestPlan, runWhatIf, ScheduleLifecycle } from '#gridshift/scheduling';
import type { PlanRequestState, SchedulingPort } from './scheduling.port.js';

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

  async runWhatIf(input: { scenario: unknown; requestedBy: string; reason?: string }): Promise<string> {
    return (await runWhatIf(this.db, input)).id;
  }
}
