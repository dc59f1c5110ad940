import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debouncer.js';

describe('Debouncer (wait 200 ms, at most 1,000 ms)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once, 200 ms after the last signal of a burst', () => {
    const fire = vi.fn();
    const d = new Debouncer(200, 1000, fire, () => Date.now());
    d.signal();
    vi.advanceTimersByTime(150);
    d.signal();
    vi.advanceTimersByTime(199);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('fires at most 1,000 ms after the first signal of a steady stream', () => {
    const fire = vi.fn();
    const d = new Debouncer(200, 1000, fire, () => Date.now());
    for (let t = 0; t < 1000; t += 100) {
      d.signal();
      vi.advanceTimersByTime(100);
    }
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('cancel drops the burst', () => {
    const fire = vi.fn();
    const d = new Debouncer(200, 1000, fire, () => Date.now());
    d.signal();
    d.cancel();
    vi.advanceTimersByTime(5000);
    expect(fire).not.toHaveBeenCalled();
  });
});
