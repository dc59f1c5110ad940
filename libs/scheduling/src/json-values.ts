/**
 * Readers of stored JSON documents (schedule totals, baselines, snapshots) whose shape is not validated on
 * the way out of the database: a value of the wrong type reads as null.
 */

/** `v` when it is a finite number, else null. */
export function finiteNumberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** `v` when it is a JSON object (not an array, not null), else null. */
export function recordOrNull(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
