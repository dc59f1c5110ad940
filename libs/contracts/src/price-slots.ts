import { MS_PER_MINUTE } from './time.js';

// Prices are stored per interval as the partner sent them; every reader (planner, admin API, backtest, the
// `prices` view) sees them on a slot grid through this one rule (docs/contracts/README.md#prices-per-interval):
//   1. Per 5-minute cell, the interval of the newest issuedAt covering it wins; on a tie the finer interval,
//      then the lower tieBreak (e.g. the partner id), then input order. So a later 15-minute correction
//      replaces its own 15 minutes of an hourly price, never the whole hour.
//   2. A slot's price (and carbon) is the time-weighted mean over the minutes its winning intervals cover;
//      coverageMinutes is how many minutes that is. A slot counts as priced only when fully covered.

/** Smallest interval on the wire: every interval and slot is a whole number of these. */
const CELL_MINUTES = 5;

/** One stored price interval, as `priceSlots` reads it. */
export interface PriceInterval {
  startMs: number;
  minutes: number;
  /** Base currency per MWh. */
  pricePerMwh: number;
  carbonGPerKwh: number | null;
  issuedMs: number;
  /**
   * Minutes the price holds for, when less than `minutes`: slots aggregated before prices were stored per
   * interval (migration 1732380000021) may cover only part of their span. Default `minutes`.
   */
  coverageMinutes?: number | null;
  /** Orders intervals of the same issuedAt and length (lower wins), e.g. the partner id. */
  tieBreak?: string;
}

/** One slot of the grid as `priceSlots` resolves it. */
export interface SlotPrice {
  startMs: number;
  /** Time-weighted mean over the covered minutes, base currency per MWh. */
  pricePerMwh: number;
  /** Time-weighted mean over the covered minutes that have carbon; null when none has. */
  carbonGPerKwh: number | null;
  /** Minutes of the slot covered by winning intervals. */
  coverageMinutes: number;
  /** coverageMinutes = the slot length: only such a slot counts as priced. */
  complete: boolean;
  /** Oldest and newest issuedAt among the intervals the slot's price is made of. */
  oldestIssuedMs: number;
  newestIssuedMs: number;
}

/** The slot grid `priceSlots` aggregates onto: `count` slots of `slotMinutes` from `startMs`. */
export interface SlotGridSpec {
  startMs: number;
  slotMinutes: number;
  count: number;
}

function checkGrid(grid: SlotGridSpec): void {
  const cellMs = CELL_MINUTES * MS_PER_MINUTE;
  if (
    !Number.isInteger(grid.slotMinutes) ||
    grid.slotMinutes <= 0 ||
    grid.slotMinutes % CELL_MINUTES !== 0 ||
    !Number.isInteger(grid.count) ||
    grid.count < 0 ||
    grid.startMs % cellMs !== 0
  )
    throw new RangeError(
      `slot grid must start on the ${CELL_MINUTES}-minute grid with slots a multiple of ${CELL_MINUTES} minutes, got ${JSON.stringify(grid)}`,
    );
}

/**
 * Resolves the intervals of one series (e.g. one zone and market) onto `grid` by the rule above: one entry per
 * slot, null where no interval covers any of it. Pure; the input is not modified.
 */
export function priceSlots(intervals: readonly PriceInterval[], grid: SlotGridSpec): (SlotPrice | null)[] {
  checkGrid(grid);
  const cellMs = CELL_MINUTES * MS_PER_MINUTE;
  const slotMs = grid.slotMinutes * MS_PER_MINUTE;
  const cellsPerSlot = grid.slotMinutes / CELL_MINUTES;
  const gridEndMs = grid.startMs + grid.count * slotMs;
  const order = intervals
    .map((interval, index) => ({ interval, index }))
    .filter(
      ({ interval: i }) => i.startMs < gridEndMs && i.startMs + i.minutes * MS_PER_MINUTE > grid.startMs,
    );
  order.sort(
    (a, b) =>
      b.interval.issuedMs - a.interval.issuedMs ||
      a.interval.minutes - b.interval.minutes ||
      compareText(a.interval.tieBreak, b.interval.tieBreak) ||
      a.index - b.index,
  );
  const claimed = new Uint8Array(grid.count * cellsPerSlot);
  const weight = new Float64Array(grid.count);
  const priceSum = new Float64Array(grid.count);
  const carbonWeight = new Float64Array(grid.count);
  const carbonSum = new Float64Array(grid.count);
  const oldest = new Float64Array(grid.count).fill(Number.POSITIVE_INFINITY);
  const newest = new Float64Array(grid.count).fill(Number.NEGATIVE_INFINITY);
  // Intervals contributing per slot, and the last one: a slot made of one interval takes its values as stored.
  const contributors = new Uint32Array(grid.count);
  const lastContributor = new Int32Array(grid.count).fill(-1);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!.interval;
    if (i.startMs % cellMs !== 0 || i.minutes % CELL_MINUTES !== 0 || i.minutes <= 0)
      throw new RangeError(
        `interval ${new Date(i.startMs).toISOString()}/${i.minutes}min is off the ${CELL_MINUTES}-minute grid`,
      );
    // A partly covered stored interval counts for its covered share of every cell it claims.
    const share = Math.min(1, Math.max(0, (i.coverageMinutes ?? i.minutes) / i.minutes));
    const fromCell = Math.max(0, (i.startMs - grid.startMs) / cellMs);
    const toCell = Math.min(claimed.length, (i.startMs + i.minutes * MS_PER_MINUTE - grid.startMs) / cellMs);
    // Cells this interval wins, per slot; added to the slot once (one term per interval, as the view does).
    const flush = (t: number, cells: number) => {
      const minutes = cells * CELL_MINUTES * share;
      if (minutes === 0) return;
      contributors[t]! += 1;
      lastContributor[t] = k;
      weight[t]! += minutes;
      priceSum[t]! += minutes * i.pricePerMwh;
      if (i.carbonGPerKwh !== null) {
        carbonWeight[t]! += minutes;
        carbonSum[t]! += minutes * i.carbonGPerKwh;
      }
      if (i.issuedMs < oldest[t]!) oldest[t] = i.issuedMs;
      if (i.issuedMs > newest[t]!) newest[t] = i.issuedMs;
    };
    let slot = -1;
    let won = 0;
    for (let cell = fromCell; cell < toCell; cell++) {
      const t = Math.floor(cell / cellsPerSlot);
      if (t !== slot) {
        if (slot >= 0) flush(slot, won);
        slot = t;
        won = 0;
      }
      if (claimed[cell] === 1) continue;
      claimed[cell] = 1;
      won += 1;
    }
    if (slot >= 0) flush(slot, won);
  }
  return Array.from({ length: grid.count }, (_, t) => {
    const covered = weight[t]!;
    if (covered === 0) return null;
    // Cells are whole minutes unless a legacy partial interval contributed; round away float noise.
    const coverageMinutes = Math.round(covered * 1e6) / 1e6;
    const only = contributors[t] === 1 ? order[lastContributor[t]!]!.interval : undefined;
    return {
      startMs: grid.startMs + t * slotMs,
      pricePerMwh: only ? only.pricePerMwh : priceSum[t]! / covered,
      carbonGPerKwh: only
        ? only.carbonGPerKwh
        : carbonWeight[t]! > 0
          ? carbonSum[t]! / carbonWeight[t]!
          : null,
      coverageMinutes,
      complete: coverageMinutes >= grid.slotMinutes,
      oldestIssuedMs: oldest[t]!,
      newestIssuedMs: newest[t]!,
    };
  });
}

function compareText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** The slot grid covering [fromMs, toMs): slots of `slotMinutes` on the UTC grid (from the epoch). */
export function slotGridCovering(fromMs: number, toMs: number, slotMinutes: number): SlotGridSpec {
  const slotMs = slotMinutes * MS_PER_MINUTE;
  const startMs = Math.floor(fromMs / slotMs) * slotMs;
  return { startMs, slotMinutes, count: Math.max(0, Math.ceil((toMs - startMs) / slotMs)) };
}
