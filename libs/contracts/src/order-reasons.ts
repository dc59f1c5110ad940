import { z } from 'zod';

// Reasons on a placement order, carried in the `gridshift-reasons` Kafka header (HEADERS.reasons) as a JSON array.
// `gridshift.placements.v1` is a strict schema (additionalProperties: false): a new body field would make v1
// consumers that validate reject every order, so the reasons travel beside the body. Consumers that do not know the
// header ignore it; consumers that do read it with `decodeOrderReasons`, which keeps the reasons it knows and skips
// codes added later (forward compatible).

/** Most reasons on one order (the header stays far below Kafka's limits: ~200 bytes each). */
export const MAX_ORDER_REASONS = 64;

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/);

export const GridEventOrderReasonV1Schema = z
  .strictObject({
    code: z.literal('grid-event'),
    eventId: identifier.describe('The `eventId` of gridshift.grid-events.v1 the schedule honoured.'),
    programId: identifier,
    modificationNumber: z.int().min(0).describe('The revision of the event the schedule planned with.'),
    compliance: z.enum(['mandatory', 'voluntary']),
    capped: z
      .boolean()
      .describe(
        'True when the event capped this cluster’s power in some slot (else it priced its zone only).',
      ),
  })
  .describe('The schedule behind this order honoured a demand-response event that targets this cluster.');

export type GridEventOrderReasonV1 = z.infer<typeof GridEventOrderReasonV1Schema>;
/** A reason on a placement order (one code today). */
export type OrderReasonV1 = GridEventOrderReasonV1;

export const OrderReasonsV1Schema = z
  .array(GridEventOrderReasonV1Schema)
  .max(MAX_ORDER_REASONS)
  .meta({ title: 'gridshift-reasons header of gridshift.placements.v1' });

/** The header value for `reasons` (undefined when there are none: the header is left out). */
export function encodeOrderReasons(reasons: readonly OrderReasonV1[]): string | undefined {
  if (reasons.length === 0) return undefined;
  return JSON.stringify(OrderReasonsV1Schema.parse(reasons.slice(0, MAX_ORDER_REASONS)));
}

/**
 * Reads the `gridshift-reasons` header of an order: the reasons of known codes, validated; entries with an unknown
 * `code` are skipped (added by a newer gridshift). A header that is not a JSON array of objects with a `code`, or a
 * known code with an invalid shape, is an error (the order itself stays valid: it is only the explanation).
 */
export function decodeOrderReasons(
  header: string | Buffer | undefined,
): { ok: true; reasons: OrderReasonV1[] } | { ok: false; message: string } {
  if (header === undefined) return { ok: true, reasons: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(header.toString());
  } catch (error) {
    return { ok: false, message: `gridshift-reasons is not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, message: 'gridshift-reasons is not a JSON array' };
  const reasons: OrderReasonV1[] = [];
  for (const [i, entry] of parsed.entries()) {
    if (typeof entry !== 'object' || entry === null || typeof (entry as { code?: unknown }).code !== 'string')
      return { ok: false, message: `gridshift-reasons[${i}] has no string code` };
    if ((entry as { code: string }).code !== 'grid-event') continue;
    const result = GridEventOrderReasonV1Schema.safeParse(entry);
    if (!result.success)
      return {
        ok: false,
        message: `gridshift-reasons[${i}]: ${result.error.issues[0]?.message ?? 'invalid'}`,
      };
    reasons.push(result.data);
  }
  return { ok: true, reasons };
}
