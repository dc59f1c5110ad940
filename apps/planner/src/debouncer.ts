/**
 * Coalesces bursts of signals: fires `waitMs` after the last signal, but no later than `maxWaitMs` after
 * the first signal of the burst (a steady stream of price messages still gets a plan).
 */
export class Debouncer {
  private firstAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly waitMs: number,
    private readonly maxWaitMs: number,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one signal and (re)arms the timer. */
  signal(): void {
    const now = this.now();
    this.firstAt ??= now;
    const deadline = Math.min(now + this.waitMs, this.firstAt + Math.max(this.waitMs, this.maxWaitMs));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.firstAt = null;
        this.fire();
      },
      Math.max(0, deadline - now),
    );
  }

  /** Drops a pending burst. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.firstAt = null;
  }
}
