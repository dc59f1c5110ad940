// kafkajs 2.2.4 (its last release) schedules a check of a connection's pending requests after every response with
// `setTimeout(fn, throttledUntil - Date.now())` even when nothing is pending; `throttledUntil` starts at -1 (an
// absolute time), so the delay is ≈ −1.8e12 ms: Node clamps it to 1 ms and prints a `TimeoutNegativeWarning`, and
// the check re-schedules itself, so every open connection runs a 1 ms timer loop for as long as it is open
// (kafkajs issues #1704 and #1751; open upstream fixes #1667 / #1768). This module replaces that one method, once,
// on kafkajs's RequestQueue class: a check is scheduled only when requests wait — at the end of the client-side
// throttle, or after kafkajs's own 10 ms when the queue waits on in-flight requests (a response re-checks anyway).
// A queue with nothing pending needs no timer: `push` schedules one when a request has to wait.
import { createRequire } from 'node:module';

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (ms): the retry delay when requests wait but no throttle is set. */
export const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The RequestQueue state the replaced method reads and writes (kafkajs's own field names). */
export interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** The delay (ms) until the pending requests should be checked again, or undefined when none wait. */
export function pendingCheckDelayMs(
  pendingCount: number,
  throttledUntilMs: number,
  nowMs: number,
): number | undefined {
  if (pendingCount === 0) return undefined;
  const untilUnthrottledMs = throttledUntilMs - nowMs;
  return untilUnthrottledMs > 0 ? untilUnthrottledMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
}

/** The replacement of RequestQueue.prototype.scheduleCheckPendingRequests (`this` is the queue). */
export function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return; // one scheduled check at a time, as kafkajs does
  const delayMs = pendingCheckDelayMs(this.pending.length, this.throttledUntil, Date.now());
  if (delayMs === undefined) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

interface RequestQueueClass {
  prototype: { scheduleCheckPendingRequests: (this: RequestQueueState) => void };
}

/** Installs the fix on the kafkajs this process loads (idempotent); true when the method was replaced now. */
export function installRequestQueueFix(): boolean {
  // The class is internal to kafkajs (not exported by its index): load it by path from kafkajs's own package.
  const requireFromKafkajs = createRequire(createRequire(import.meta.url).resolve('kafkajs'));
  const RequestQueue = requireFromKafkajs('./src/network/requestQueue/index.js') as RequestQueueClass;
  if (RequestQueue.prototype.scheduleCheckPendingRequests === scheduleCheckPendingRequests) return false;
  if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function')
    throw new Error(
      'kafkajs RequestQueue has no scheduleCheckPendingRequests: re-check the fix against this version',
    );
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}
