/** A small LRU of promises: concurrent misses for one key share one computation; failures are not kept. */
export class PromiseLru<V> {
  private readonly entries = new Map<string, Promise<V>>();

  constructor(private readonly capacity: number) {}

  /** The cached value of `key`, computing it with `load` on a miss. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = load();
    if (this.capacity <= 0) return pending;
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return pending;
  }

  /** Forgets `key` (e.g. a value that must not be kept). */
  delete(key: string): void {
    this.entries.delete(key);
  }
}
