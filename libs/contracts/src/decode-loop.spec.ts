import { describe, expect, it } from 'vitest';
import { decodePlacementAck, decodeUsageMessage, encodeMessage } from './decode.js';
import type { PlacementAckV1, UsageMessageV1 } from './schemas.js';

// The closed loop's inbound contracts: acknowledgements and usage from data centers.

const ack: PlacementAckV1 = {
  clusterId: 'fra-1',
  scheduleId: '0b7c2a9e-3f7e-4a0a-9f7e-2d1c0b6a5e4f',
  version: 7,
  messageId: 'placement:0b7c2a9e-3f7e-4a0a-9f7e-2d1c0b6a5e4f:fra-1',
  status: 'applied',
  at: '2023-03-01T12:00:03Z',
  reasons: [],
};

const usage: UsageMessageV1 = {
  clusterId: 'fra-1',
  observedAt: '2023-03-02T01:00:05Z',
  rows: [
    { jobId: 'chat-eu', slotStart: '2023-03-02T00:00:00Z', minutes: 60, gpuHours: 61.5, energyKwh: 50.8 },
    { jobId: 'chat-eu', slotStart: '2023-03-02T00:45:00Z', minutes: 15, gpuHours: 2, energyKwh: 1.6 },
  ],
};

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodePlacementAck', () => {
  it('accepts a valid acknowledgement, also partially applied with its differences', () => {
    expect(decodePlacementAck('fra-1', encodeMessage(ack))).toEqual({ ok: true, value: ack });
    const partial: PlacementAckV1 = {
      ...ack,
      status: 'partially-applied',
      reasons: [{ code: 'policy', text: 'not on this site', jobId: 'batch-1' }],
      applied: [{ jobId: 'batch-1', slotStart: '2023-03-02T00:00:00Z', gpus: 0 }],
    };
    expect(decodePlacementAck('fra-1', encodeMessage(partial)).ok).toBe(true);
  });

  it.each([
    { name: 'key differs from clusterId', key: 'ams-1', value: ack, code: 'KEY_MISMATCH' },
    { name: 'unknown status', key: 'fra-1', value: { ...ack, status: 'done' }, code: 'SCHEMA_VIOLATION' },
    { name: 'naive at', key: 'fra-1', value: { ...ack, at: '2023-03-01T12:00:03' }, code: 'NAIVE_TIMESTAMP' },
    { name: 'version 0', key: 'fra-1', value: { ...ack, version: 0 }, code: 'SCHEMA_VIOLATION' },
    {
      name: 'rejected without a reason',
      key: 'fra-1',
      value: { ...ack, status: 'rejected' },
      code: 'SCHEMA_VIOLATION',
    },
    {
      name: 'unknown reason code',
      key: 'fra-1',
      value: { ...ack, status: 'rejected', reasons: [{ code: 'tired', text: 'x' }] },
      code: 'SCHEMA_VIOLATION',
    },
    {
      name: 'negative applied GPUs',
      key: 'fra-1',
      value: { ...ack, applied: [{ jobId: 'a', slotStart: '2023-03-02T00:00:00Z', gpus: -1 }] },
      code: 'NEGATIVE_COUNT',
    },
    {
      name: 'a (job, slot) twice in applied',
      key: 'fra-1',
      value: {
        ...ack,
        applied: [
          { jobId: 'a', slotStart: '2023-03-02T00:00:00Z', gpus: 1 },
          { jobId: 'a', slotStart: '2023-03-02T01:00:00+01:00', gpus: 2 },
        ],
      },
      code: 'SCHEMA_VIOLATION',
    },
    { name: 'extra field', key: 'fra-1', value: { ...ack, colour: 'red' }, code: 'SCHEMA_VIOLATION' },
  ])('$name → $code', ({ key, value, code }) => {
    const decoded = decodePlacementAck(key, bytes(value));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.code).toBe(code);
  });

  it('rejects an `at` after now plus the skew tolerance', () => {
    const decoded = decodePlacementAck('fra-1', encodeMessage(ack), {
      notAfterMs: Date.parse('2023-03-01T12:00:00Z'),
    });
    expect(decoded).toMatchObject({ ok: false, code: 'FUTURE_TIMESTAMP' });
  });
});

describe('decodeUsageMessage', () => {
  it('accepts hourly and finer rows', () => {
    expect(decodeUsageMessage('fra-1', encodeMessage(usage))).toEqual({ ok: true, value: usage });
  });

  it.each([
    { name: 'key differs', key: 'ams-1', value: usage, code: 'KEY_MISMATCH' },
    { name: 'no rows', key: 'fra-1', value: { ...usage, rows: [] }, code: 'SCHEMA_VIOLATION' },
    {
      name: 'negative GPU-hours',
      key: 'fra-1',
      value: { ...usage, rows: [{ ...usage.rows[0]!, gpuHours: -1 }] },
      code: 'SCHEMA_VIOLATION',
    },
    {
      name: '45-minute interval',
      key: 'fra-1',
      value: { ...usage, rows: [{ ...usage.rows[0]!, minutes: 45 }] },
      code: 'MISALIGNED_INTERVAL',
    },
    {
      name: 'start off the hourly grid',
      key: 'fra-1',
      value: { ...usage, rows: [{ ...usage.rows[0]!, slotStart: '2023-03-02T00:15:00Z' }] },
      code: 'MISALIGNED_INTERVAL',
    },
    {
      name: 'interval starting after observedAt',
      key: 'fra-1',
      value: { ...usage, rows: [{ ...usage.rows[0]!, slotStart: '2023-03-02T02:00:00Z' }] },
      code: 'FUTURE_INTERVAL',
    },
    {
      name: 'a (job, slot) twice',
      key: 'fra-1',
      value: { ...usage, rows: [usage.rows[0]!, { ...usage.rows[0]!, gpuHours: 1 }] },
      code: 'SCHEMA_VIOLATION',
    },
  ])('$name → $code', ({ key, value, code }) => {
    const decoded = decodeUsageMessage(key, bytes(value));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.code).toBe(code);
  });
});
