import type { ConsumerDeadLetterCode, DeadLetterCode } from '#gridshift/contracts';

/** A failure worth retrying (database down, broker hiccup); anything else is treated as non-retriable. */
export class RetriableError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetriableError';
  }
}

/** A message that can never be processed (bad content): it goes to the dead-letter topic with `code`. */
export class NonRetriableMessageError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: DeadLetterCode | ConsumerDeadLetterCode,
    message: string,
  ) {
    super(message);
    this.name = 'NonRetriableMessageError';
  }
}

const retriablePgCodes = new Set([
  '40001',
  '40P01',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

/** Classifies an error from a write path: connection failures, timeouts and serialization conflicts retry. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof RetriableError) return true;
  if (error instanceof NonRetriableMessageError) return false;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { retriable?: unknown; code?: unknown; message?: unknown; driverError?: unknown };
  if (e.retriable === true) return true;
  if (typeof e.code === 'string') {
    if (retriablePgCodes.has(e.code) || e.code.startsWith('08')) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(e.code))
      return true;
  }
  if (e.driverError) return isRetriable(e.driverError);
  const message = typeof e.message === 'string' ? e.message : '';
  return /connection (terminated|refused|ended)|timeout|Connection terminated|the database system is/i.test(
    message,
  );
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
