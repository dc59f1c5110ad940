import { describe, expect, it } from 'vitest';
import { decodeOrderReasons, encodeOrderReasons, type OrderReasonV1 } from './order-reasons.js';

const reason: OrderReasonV1 = {
  code: 'grid-event',
  eventId: 'dr-42',
  programId: 'flex',
  modificationNumber: 3,
  compliance: 'mandatory',
  capped: true,
};

describe('gridshift-reasons header', () => {
  it('round-trips; no reasons → no header', () => {
    expect(encodeOrderReasons([])).toBeUndefined();
    const header = encodeOrderReasons([reason])!;
    expect(decodeOrderReasons(header)).toEqual({ ok: true, reasons: [reason] });
    expect(decodeOrderReasons(Buffer.from(header))).toEqual({ ok: true, reasons: [reason] });
    expect(decodeOrderReasons(undefined)).toEqual({ ok: true, reasons: [] });
  });

  it('skips codes added later, rejects malformed headers and invalid known reasons', () => {
    const later = JSON.stringify([{ code: 'carbon-window', why: 'x' }, reason]);
    expect(decodeOrderReasons(later)).toEqual({ ok: true, reasons: [reason] });
    expect(decodeOrderReasons('not json').ok).toBe(false);
    expect(decodeOrderReasons('{"code":"grid-event"}').ok).toBe(false);
    expect(decodeOrderReasons('[{"eventId":"x"}]').ok).toBe(false);
    expect(decodeOrderReasons(JSON.stringify([{ ...reason, modificationNumber: -1 }])).ok).toBe(false);
    expect(() => encodeOrderReasons([{ ...reason, eventId: '' }])).toThrow();
  });
});
