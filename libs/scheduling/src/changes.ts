import type { MarketSignature } from './snapshot.js';

/** When a price or capacity change is worth a new plan. */
export interface ChangeThresholds {
  /** A slot's price must move by more than this share of the planned price, %… */
  pricePct: number;
  /** …and by more than this absolute amount, base currency per MWh (guards prices near zero). */
  priceAbsPerMwh: number;
  /** A slot's schedulable GPUs must move by more than this share, %… */
  capacityPct: number;
  /** …and by at least this many GPUs. */
  capacityAbsGpus: number;
}

export const DEFAULT_CHANGE_THRESHOLDS: ChangeThresholds = {
  pricePct: 10,
  priceAbsPerMwh: 5,
  capacityPct: 10,
  capacityAbsGpus: 8,
};

export type ChangeTrigger = 'grid-event' | 'day-ahead' | 'price-change' | 'capacity-change';

export interface SignificantChange {
  trigger: ChangeTrigger;
  /** Human-readable findings, most important first (at most 10). */
  reasons: string[];
}

/**
 * Compares the market the last plan saw with the current one over their common slots (pure). A newer
 * day-ahead issue for any zone is always significant; a price or capacity move is significant when it
 * exceeds both the relative and the absolute threshold; a zone or cluster appearing or disappearing is
 * significant; a grid event appearing, changing (new modificationNumber) or going (cancelled, over) always is.
 * Returns null when nothing significant changed.
 */
export function detectSignificantChange(
  planned: MarketSignature,
  current: MarketSignature,
  thresholds: ChangeThresholds,
): SignificantChange | null {
  const found: Record<ChangeTrigger, string[]> = {
    'grid-event': [],
    'day-ahead': [],
    'price-change': [],
    'capacity-change': [],
  };
  const eventsBefore = planned.gridEventRevisions ?? {};
  const eventsNow = current.gridEventRevisions ?? {};
  for (const [eventId, revision] of Object.entries(eventsNow)) {
    const before = eventsBefore[eventId];
    if (before === undefined) found['grid-event'].push(`grid event ${eventId}: new (revision ${revision})`);
    else if (before !== revision)
      found['grid-event'].push(`grid event ${eventId}: revision ${before} → ${revision}`);
  }
  for (const eventId of Object.keys(eventsBefore)) {
    if (!(eventId in eventsNow)) found['grid-event'].push(`grid event ${eventId}: cancelled or over`);
  }
  for (const [zone, issued] of Object.entries(current.dayAheadIssuedAtByZone)) {
    const before = planned.dayAheadIssuedAtByZone[zone];
    if (before === undefined || Date.parse(issued) > Date.parse(before)) {
      found['day-ahead'].push(`${zone}: new day-ahead prices issued ${issued}`);
    }
  }
  const plannedIndex = new Map(planned.slotStartsUtc.map((s, i) => [s, i]));
  const common = current.slotStartsUtc
    .map((s, i) => [i, plannedIndex.get(s)] as const)
    .filter((pair): pair is readonly [number, number] => pair[1] !== undefined);

  for (const [zone, prices] of Object.entries(current.pricePerMwhByZone)) {
    const before = planned.pricePerMwhByZone[zone];
    if (!before) {
      found['price-change'].push(`${zone}: zone is new`);
      continue;
    }
    for (const [now, then] of common) {
      const a = before[then]!;
      const b = prices[now]!;
      const delta = Math.abs(b - a);
      if (delta > thresholds.priceAbsPerMwh && delta > (thresholds.pricePct / 100) * Math.abs(a)) {
        found['price-change'].push(`${zone} ${current.slotStartsUtc[now]}: ${fmt(a)} → ${fmt(b)} per MWh`);
        break;
      }
    }
  }
  for (const zone of Object.keys(planned.pricePerMwhByZone)) {
    if (!(zone in current.pricePerMwhByZone)) found['price-change'].push(`${zone}: zone is gone`);
  }
  for (const [clusterId, gpus] of Object.entries(current.schedulableGpusByCluster)) {
    const before = planned.schedulableGpusByCluster[clusterId];
    if (!before) {
      found['capacity-change'].push(`${clusterId}: cluster is new`);
      continue;
    }
    for (const [now, then] of common) {
      const a = before[then]!;
      const b = gpus[now]!;
      const delta = Math.abs(b - a);
      if (delta >= thresholds.capacityAbsGpus && delta > (thresholds.capacityPct / 100) * Math.abs(a)) {
        found['capacity-change'].push(
          `${clusterId} ${current.slotStartsUtc[now]}: ${a} → ${b} schedulable GPUs`,
        );
        break;
      }
    }
  }
  for (const clusterId of Object.keys(planned.schedulableGpusByCluster)) {
    if (!(clusterId in current.schedulableGpusByCluster))
      found['capacity-change'].push(`${clusterId}: cluster is gone`);
  }
  const order: ChangeTrigger[] = ['grid-event', 'day-ahead', 'price-change', 'capacity-change'];
  const trigger = order.find((t) => found[t].length > 0);
  if (!trigger) return null;
  return { trigger, reasons: order.flatMap((t) => found[t]).slice(0, 10) };
}

function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}
