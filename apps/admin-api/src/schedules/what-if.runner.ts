import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '#gridshift/platform';
import type { AdminApiConfig } from '../config.js';
import { BusyError } from '../http/errors.js';
import { SCHEDULING, type SchedulingPort } from './scheduling.port.js';

/**
 * Runs what-ifs one at a time per process: a what-if solves inside its request (a worker thread, up to
 * WHAT_IF_SOLVE_TIME_LIMIT_MS, plus loading inputs and storing the result), so a second one while the first
 * runs gets BusyError (429, Retry-After ≈ the first one's remaining time limit) instead of queueing up
 * CPU and memory behind it. Other replicas have their own slot.
 */
@Injectable()
export class WhatIfRunner {
  private runningSinceMs: number | undefined;

  constructor(
    @Inject(SCHEDULING) private readonly scheduling: SchedulingPort,
    @Inject(APP_CONFIG) private readonly config: Pick<AdminApiConfig, 'WHAT_IF_SOLVE_TIME_LIMIT_MS'>,
  ) {}

  /** Plans the scenario and returns the stored what-if schedule's id; BusyError while another one runs. */
  async run(input: { scenario: unknown; requestedBy: string; reason?: string }): Promise<string> {
    const limitMs = this.config.WHAT_IF_SOLVE_TIME_LIMIT_MS;
    const now = Date.now();
    if (this.runningSinceMs !== undefined) {
      const retryAfterSeconds = Math.max(1, Math.ceil((this.runningSinceMs + limitMs - now) / 1000));
      throw new BusyError(
        `another what-if is being solved in this process (one at a time); retry in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      );
    }
    this.runningSinceMs = now;
    try {
      return await this.scheduling.runWhatIf({ ...input, solveTimeLimitMs: limitMs });
    } finally {
      this.runningSinceMs = undefined;
    }
  }
}
