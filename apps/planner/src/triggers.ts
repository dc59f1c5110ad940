import { Injectable, type Type } from '@nestjs/common';
import { Cron, Interval } from '@nestjs/schedule';
import type { PlannerConfig } from './config.js';
import { PlannerService } from './planner.service.js';

/**
 * The planner's timers, built from the validated config (decorators need the values when the class is
 * defined). Each `@Cron` / `@Interval` method only calls one service method.
 */
export function plannerTriggers(
  config: Pick<PlannerConfig, 'PLANNER_CRON' | 'PLANNER_POLL_MS' | 'PLANNER_RETENTION_INTERVAL_MS'>,
): Type<unknown> {
  @Injectable()
  class PlannerTriggers {
    constructor(private readonly planner: PlannerService) {}

    @Cron(config.PLANNER_CRON, { name: 'planner-cron', timeZone: 'UTC' })
    cron(): void {
      this.planner.onCron();
    }

    @Interval('planner-poll', config.PLANNER_POLL_MS)
    poll(): Promise<void> {
      return this.planner.onPoll();
    }

    @Interval('planner-retention', config.PLANNER_RETENTION_INTERVAL_MS)
    retention(): Promise<void> {
      return this.planner.onRetention();
    }
  }
  return PlannerTriggers;
}
