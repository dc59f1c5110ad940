import type { ConsumerStatus } from '#gridshift/messaging';

/** Anything that reports a consumer's state (a `ConsumerRunner`). */
export interface ConsumerStatusSource {
  status(): ConsumerStatus;
}

/** A consumer as `/ready` shows it: its status, whether it is stuck, and whether it counts as ready. */
export interface ConsumerReadiness extends ConsumerStatus {
  stuck: boolean;
  /** Running, or restarting within the grace after it had run: not yet started counts as not ready. */
  ready: boolean;
}

/**
 * The process's consumers, for `/ready`: a consumer is stuck while it is stopped, or has been restarting
 * longer than the grace (a broker restart or a rebalance normally heals well within it). `/ready` also waits for
 * each consumer's first join, so ready means the topics exist and consuming has begun.
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
      const ready = status.state === 'running' || (status.hasRun && !stuck);
      return { ...status, stuck, ready };
    });
  }
}
