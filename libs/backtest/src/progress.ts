import type { BacktestProgress } from './rolling.js';

/** Where progress goes (process.stderr fits). */
export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBar {
  /** A loading phase begins: `label: loading <what> … ` (the line ends with `loaded`). */
  loading(what: string): void;
  /** The phase ended after `ms`: ` 1.2 s (<detail>)` and a newline. */
  loaded(what: string, ms: number, detail: string): void;
  /** Planning begins: the ETA clock starts here, so loading time does not skew it. */
  start(): void;
  update(p: BacktestProgress): void;
  /** Ends the bar (a final newline on a TTY). */
  finish(): void;
}

const BAR_WIDTH = 28;

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/**
 * A progress bar for `sink`: one line per loading phase with its time; then, on a TTY, one line redrawn in
 * place (at most every `minIntervalMs`) with the step time and an ETA counted from `start()` (or creation);
 * otherwise a plain line at every 10 % so logs stay readable.
 */
export function createProgressBar(
  sink: ProgressSink,
  label: string,
  opts: { minIntervalMs?: number; now?: () => number } = {},
): ProgressBar {
  const now = opts.now ?? (() => performance.now());
  const minInterval = opts.minIntervalMs ?? 100;
  let startedAt = now();
  let lastDrawAt = Number.NEGATIVE_INFINITY;
  let lastDecile = -1;
  let drawn = false;
  return {
    loading(what) {
      sink.write(`${label}: loading ${what} … `);
    },
    loaded(_what, ms, detail) {
      sink.write(`${(ms / 1000).toFixed(1)} s${detail ? ` (${detail})` : ''}\n`);
    },
    start() {
      startedAt = now();
    },
    update(p) {
      const fraction = p.total > 0 ? p.done / p.total : 1;
      const elapsed = (now() - startedAt) / 1000;
      const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Number.NaN;
      const at = p.stepStartUtc.slice(0, 16).replace('T', ' ');
      if (sink.isTTY) {
        const t = now();
        if (p.done < p.total && t - lastDrawAt < minInterval) return;
        lastDrawAt = t;
        const filled = Math.round(fraction * BAR_WIDTH);
        const line =
          `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
          `${p.done}/${p.total} eta ${formatSeconds(eta)} · ${at}Z`;
        sink.write(`\r${line.slice(0, (sink.columns ?? 120) - 1)}\u001b[K`);
        drawn = true;
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      sink.write(
        `${label}: ${Math.floor(fraction * 100)}% (${p.done}/${p.total} steps, at ${at}Z, ${formatSeconds(elapsed)} elapsed)\n`,
      );
    },
    finish() {
      if (sink.isTTY && drawn) sink.write('\n');
    },
  };
}
