import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHECK_PENDING_REQUESTS_INTERVAL_MS,
  installRequestQueueFix,
  pendingCheckDelayMs,
  type RequestQueueState,
} from './request-queue-fix.js';

// kafkajs's own RequestQueue class (internal), with the fix installed: no socket is involved, the queue's state is
// set as kafkajs sets it. Without the fix, kafkajs 2.2.4 schedules a timer of `-1 - Date.now()` ms on an idle queue.

type RequestQueueInstance = RequestQueueState & { destroy(): void };
const RequestQueue = createRequire(createRequire(import.meta.url).resolve('kafkajs'))(
  './src/network/requestQueue/index.js',
) as new (options: object) => RequestQueueInstance;
const quietLogger = { debug: () => undefined, warn: () => undefined };
const newQueue = (): RequestQueueInstance =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    clientId: 't',
    broker: 'b',
    logger: quietLogger,
  });

describe('pendingCheckDelayMs', () => {
  const now = 1_800_000_000_000; // an absolute time in ms, as Date.now() gives
  it.each([
    {
      name: 'nothing pending: no check, whatever the throttle',
      pending: 0,
      throttledUntil: -1,
      want: undefined,
    },
    { name: 'nothing pending while throttled', pending: 0, throttledUntil: now + 500, want: undefined },
    // kafkajs's initial throttledUntil is -1: the old delay was -1 - now ≈ -1.8e12 ms
    { name: 'pending, never throttled: kafkajs interval', pending: 2, throttledUntil: -1, want: 10 },
    {
      name: 'pending, throttle over',
      pending: 1,
      throttledUntil: now - 5,
      want: CHECK_PENDING_REQUESTS_INTERVAL_MS,
    },
    { name: 'pending, throttled 250 ms more', pending: 1, throttledUntil: now + 250, want: 250 },
  ])('$name', ({ pending, throttledUntil, want }) => {
    expect(pendingCheckDelayMs(pending, throttledUntil, now)).toBe(want);
  });
});

describe('installRequestQueueFix on kafkajs RequestQueue', () => {
  const queues: RequestQueueInstance[] = [];
  afterEach(() => {
    for (const queue of queues.splice(0)) queue.destroy();
  });

  it('is installed once (kafka.ts installs it on import)', () => {
    installRequestQueueFix();
    expect(installRequestQueueFix()).toBe(false);
  });

  it('an idle queue (a response arrived, nothing pending) schedules no timer', () => {
    installRequestQueueFix();
    const queue = newQueue();
    queues.push(queue);
    queue.checkPendingRequests(); // what fulfillRequest does on every response
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('a throttled queue with a waiting request checks again when the throttle ends', async () => {
    installRequestQueueFix();
    const queue = newQueue();
    queues.push(queue);
    let sent = 0;
    queue.pending.push({ send: () => sent++, expectResponse: true, correlationId: 1 });
    queue.throttledUntil = Date.now() + 30;
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    expect(sent).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sent).toBe(1); // sent by the scheduled check
    expect(queue.pending).toHaveLength(0);
    expect(queue.throttleCheckTimeoutId).toBeNull(); // and nothing re-scheduled once the queue is empty
  });
});
