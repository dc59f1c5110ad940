/** Kafka topic names of the v1 contracts. A breaking change gets a new topic (`.v2`), run side by side. */
export const TOPICS = {
  prices: 'gridshift.prices.v1',
  clusterLoad: 'gridshift.cluster-load.v1',
  placements: 'gridshift.placements.v1',
  placementAcks: 'gridshift.placement-acks.v1',
  usage: 'gridshift.usage.v1',
  gridEvents: 'gridshift.grid-events.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Suffix of every dead-letter topic. */
export const DLQ_SUFFIX = '.dlq';

/** Dead-letter topic of `topic`: `gridshift.prices.v1` → `gridshift.prices.v1.dlq`. */
export function dlqTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

/** Kafka header names used by gridshift (all lower-case, values UTF-8 strings). */
export const HEADERS = {
  messageId: 'message-id',
  contentType: 'content-type',
  errorCode: 'error-code',
  errorMessage: 'error-message',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  /** On a dead letter: `original` (the value is the source record's bytes) or `reference` (see DeadLetterReference). */
  deadLetterValue: 'dead-letter-value',
  /**
   * On a placement order: why gridshift issued it, JSON `[{code: 'grid-event', eventId, …}]` (see OrderReasonV1).
   * A header, not a body field: `gridshift.placements.v1` is strict, so v1 consumers that validate keep working.
   */
  reasons: 'gridshift-reasons',
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];

/** The only content type of v1 messages. */
export const CONTENT_TYPE_JSON = 'application/json';

/** Price markets a partner may publish. */
export const MARKETS = ['day_ahead', 'intraday', 'real_time', 'forecast'] as const;
export type Market = (typeof MARKETS)[number];

/** Price units accepted on the wire; `kWh` prices are multiplied by 1000 into per-MWh. */
export const PRICE_UNITS = ['MWh', 'kWh'] as const;
export type PriceUnit = (typeof PRICE_UNITS)[number];

/** Interval lengths (minutes) a price point or placement slot may have. */
export const INTERVAL_MINUTES = [5, 15, 30, 60] as const;
export type IntervalMinutes = (typeof INTERVAL_MINUTES)[number];

/** Default planner slot length (minutes). */
export const DEFAULT_SLOT_MINUTES = 60;

/** Default maximum size of a message value (bytes); larger values are dead-lettered as OVERSIZED. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

/** How far after its issuedAt a price interval may start by default: 14 days (no market publishes further ahead). */
export const DEFAULT_MAX_INTERVAL_LEAD_MS = 14 * 86_400_000;

/** Plausible price range per MWh in the base currency; negative prices are valid. */
export interface PriceLimits {
  minPerMwhBase: number;
  maxPerMwhBase: number;
}

/** Default plausibility limits: −10,000 .. +100,000 per MWh in the base currency (market caps are in the thousands). */
export const DEFAULT_PRICE_LIMITS: PriceLimits = { minPerMwhBase: -10_000, maxPerMwhBase: 100_000 };

/** Upper bound of a carbon intensity (gCO2eq/kWh); the dirtiest real grids are near 1,200. */
export const MAX_CARBON_G_PER_KWH = 5_000;

/** What a data center says it did with a placement order (`gridshift.placement-acks.v1`). */
export const ACK_STATUSES = ['accepted', 'applied', 'partially-applied', 'rejected'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

/**
 * Why a data center did not apply (all of) an order. `policy`: a rule of its own refuses the job there (gridshift
 * keeps that job out of that cluster until an operator clears it); `capacity`: GPUs are gone (the cluster reports
 * what is left on `gridshift.cluster-load.v1`); `maintenance`, `invalid-order`, `other`: said, not acted on.
 */
export const ACK_REASON_CODES = ['policy', 'capacity', 'maintenance', 'invalid-order', 'other'] as const;
export type AckReasonCode = (typeof ACK_REASON_CODES)[number];

/** Most usage rows one `gridshift.usage.v1` message may carry (a cluster-hour of 5,000 jobs fits). */
export const MAX_USAGE_ROWS = 20_000;
