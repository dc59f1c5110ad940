import type { TimedMessage } from './messages.js';

export interface ReplayOptions {
  /** Simulated seconds per real second; `Infinity` sends everything as fast as the broker takes it. */
  speed: number;
  /** Simulated time at which the replay starts (default: the first message's time). */
  startMs?: number;
  /** Messages per send call when several are due at once. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (sent: number, total: number, simulatedMs: number) => void;
}

/** Sends the messages in time order, pacing them by `speed`; resolves with how many were sent. */
export async function replay<T>(
  messages: TimedMessage<T>[],
  send: (batch: TimedMessage<T>[]) => Promise<void>,
  opts: ReplayOptions,
): Promise<number> {
  const ordered = [...messages].sort((a, b) => a.atMs - b.atMs);
  const simStart = opts.startMs ?? ordered[0]?.atMs ?? 0;
  const realStart = Date.now();
  const batchSize = opts.batchSize ?? 500;
  let sent = 0;
  while (sent < ordered.length) {
    if (opts.signal?.aborted) break;
    const next = ordered[sent]!;
    if (Number.isFinite(opts.speed)) {
      const dueReal = realStart + (next.atMs - simStart) / opts.speed;
      const wait = dueReal - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 1000)));
      if (dueReal > Date.now()) continue;
    }
    const simulatedNow = Number.isFinite(opts.speed)
      ? simStart + (Date.now() - realStart) * opts.speed
      : Infinity;
    let end = sent;
    while (end < ordered.length && end - sent < batchSize && ordered[end]!.atMs <= simulatedNow) end += 1;
    if (end === sent) end = sent + 1;
    await send(ordered.slice(sent, end));
    sent = end;
    opts.onProgress?.(sent, ordered.length, ordered[end - 1]!.atMs);
  }
  return sent;
}
