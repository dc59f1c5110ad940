/** Binary min-heap of (key, node) pairs for Dijkstra; stale entries are skipped by the caller (lazy deletion). */
export class MinHeap {
  keys = new Float64Array(1024);
  nodes = new Int32Array(1024);
  size = 0;
  /** Key of the entry the last `pop` removed. */
  lastKey = 0;

  push(key: number, node: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(this.size * 2);
      keys.set(this.keys);
      const nodes = new Int32Array(this.size * 2);
      nodes.set(this.nodes);
      this.keys = keys;
      this.nodes = nodes;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.keys[parent] ?? 0) <= key) break;
      this.keys[i] = this.keys[parent] ?? 0;
      this.nodes[i] = this.nodes[parent] ?? 0;
      i = parent;
    }
    this.keys[i] = key;
    this.nodes[i] = node;
  }

  /** Removes the minimum; returns its node (its key in `lastKey`). */
  pop(): number {
    const node = this.nodes[0] ?? 0;
    this.lastKey = this.keys[0] ?? 0;
    const key = this.keys[--this.size] ?? 0;
    const last = this.nodes[this.size] ?? 0;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && (this.keys[child + 1] ?? 0) < (this.keys[child] ?? 0)) child++;
      if ((this.keys[child] ?? 0) >= key) break;
      this.keys[i] = this.keys[child] ?? 0;
      this.nodes[i] = this.nodes[child] ?? 0;
      i = child;
    }
    this.keys[i] = key;
    this.nodes[i] = last;
    return node;
  }
}
