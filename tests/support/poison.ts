import type { ConsumerDeadLetterCode, DeadLetterCode } from '#gridshift/contracts';
import type { OutgoingMessage } from '#gridshift/messaging';
import { dayAheadCurve, loadReport } from './ingest-fixtures.js';

/** A message the ingest must dead-letter with `code`. */
export interface PoisonMessage extends OutgoingMessage {
  topic: 'prices' | 'load';
  code: DeadLetterCode | ConsumerDeadLetterCode;
  messageId: string;
}

/**
 * Codes no input can produce on its own: DECODE_FAILED is a decoder bug, STORE_REJECTED a record PostgreSQL refuses
 * after it passed validation (both covered by the consumer runner's unit tests).
 */
export const CODES_NOT_FROM_INPUT = ['DECODE_FAILED', 'STORE_REJECTED'] as const;

/**
 * Codes only the grid-events and placement-acks topics produce; the poison burst covers the prices and load topics,
 * and these are dead-lettered through Kafka in tests/e2e/grid-events-kafka.test.ts and tests/e2e/closed-loop.test.ts.
 */
export const CODES_OF_OTHER_TOPICS = [
  'MISSING_CURRENCY',
  'MISSING_INCENTIVE',
  'IMPLAUSIBLE_PAYLOAD',
  'UNKNOWN_ORDER',
] as const;

/** The ingest's consumer groups, by suffix, in the order /ready lists them. */
export const INGEST_CONSUMER_GROUPS = ['prices', 'load', 'grid-events', 'acks', 'usage'] as const;

/**
 * One message per dead-letter code the ingest's input can cause, for a registered `zone` and `cluster` (and the
 * unregistered `unknownZone` / `unknownCluster`); ids `<idPrefix>-<code>`. `reissueOf` is a valid price the
 * ingest stored before: the CONFLICTING_REISSUE message re-sends its identity with another price. `day` is the
 * UTC day (YYYY-MM-DD) the prices are for.
 */
export function poisonMessages(opts: {
  idPrefix: string;
  zone: string;
  otherZone: string;
  unknownZone: string;
  cluster: string;
  unknownCluster: string;
  day: string;
  reissueOf: ReturnType<typeof dayAheadCurve>;
}): PoisonMessage[] {
  const { zone, cluster, day } = opts;
  const curve = dayAheadCurve({
    zone,
    startUtc: `${day}T05:00:00Z`,
    prices: [55],
    issuedAt: `${day}T00:00:00Z`,
  });
  const point = curve.points[0]!;
  const observedAt = `${day}T05:00:00Z`;
  const price = (code: PoisonMessage['code'], value: unknown, key = zone): PoisonMessage => ({
    topic: 'prices',
    key,
    value,
    code,
    messageId: `${opts.idPrefix}-${code}`,
  });
  const load = (code: PoisonMessage['code'], value: unknown, key = cluster): PoisonMessage => ({
    topic: 'load',
    key,
    value,
    code,
    messageId: `${opts.idPrefix}-${code}`,
  });
  const reissue = opts.reissueOf;
  return [
    price('EMPTY_KEY', curve, ''),
    price('MALFORMED_JSON', '{"partnerId": "acme", '),
    price('NAIVE_TIMESTAMP', { ...curve, issuedAt: `${day}T00:00:00` }),
    price('UNKNOWN_MARKET', { ...curve, market: 'capacity' }),
    price('MISALIGNED_INTERVAL', { ...curve, points: [{ ...point, intervalMinutes: 45 }] }),
    price('SCHEMA_VIOLATION', { ...curve, partnerId: undefined }),
    price('KEY_MISMATCH', curve, opts.otherZone),
    price('FUTURE_TIMESTAMP', { ...curve, issuedAt: new Date(Date.now() + 86_400_000).toISOString() }),
    price('UNKNOWN_CURRENCY', { ...curve, currency: 'XAU' }),
    price('OVERLAPPING_INTERVALS', { ...curve, points: [point, { ...point, price: 56 }] }),
    price('IMPLAUSIBLE_PRICE', { ...curve, points: [{ ...point, price: 5e7 }] }),
    price('FUTURE_INTERVAL', { ...curve, points: [{ ...point, intervalStart: '9999-12-31T23:00:00Z' }] }),
    price('UNKNOWN_ZONE', { ...curve, zone: opts.unknownZone }, opts.unknownZone),
    price(
      'CONFLICTING_REISSUE',
      { ...reissue, points: reissue.points.map((p) => ({ ...p, price: p.price + 1 })) },
      reissue.zone,
    ),
    price('OVERSIZED', { ...curve, pad: 'p'.repeat(300_000) }),
    load('NEGATIVE_COUNT', loadReport(cluster, observedAt, { gpuSchedulable: -1 })),
    load('GPU_BUSY_EXCEEDS_TOTAL', loadReport(cluster, observedAt, { gpuBusy: 5000 })),
    load('GPU_SCHEDULABLE_EXCEEDS_TOTAL', loadReport(cluster, observedAt, { gpuSchedulable: 5000 })),
    load('UNKNOWN_CLUSTER', loadReport(opts.unknownCluster, observedAt), opts.unknownCluster),
  ];
}
