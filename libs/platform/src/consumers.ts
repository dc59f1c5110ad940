import type { ConsumerStatus } from '#gridshift/messaging';

/** Anything that reports a consumer's state (a `ConsumerRunner`). */
export interface ConsumerStatusSource {
  status(): ConsumerStatus;
}

/** A consumer as `/ready` shows it: its status, and whether it is stuck. */
export interface ConsumerReadiness extends ConsumerStatus {
  stuck: boolean;
}

/**
 * The process's consumers, for `/ready`: a consumer is stuck while it is stopped, or has been restarting
 * longer than the grace (a broker restart or a rebalance normally heals well within it).
 */
export class ConsumerStatusBoard {
  private readonly sources: ConsumerStatusSource[] = [];

  constructor(private readonly stuckGraceMs: number) {}

  register(source: ConsumerStatusSource): void {
    this.sources.push(source);
  }

  get size(): number {
    return this.sources.length;
  }

  snapshot(nowMs = Date.now()): ConsumerReadiness[] {
    return this.sources.map((source) => {
      const status = source.status();
      const stuck =
        status.state === 'stopped' ||
        (status.state === 'restarting' && nowMs - Date.parse(status.since) > this.stuckGraceMs);
      return { ...status, stuck };
    });
  }
}
