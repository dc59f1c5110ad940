import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deadLetterRecord, estimatedRecordBytes, type DeadLetterReference } from './dead-letter.js';

const source = {
  code: 'OVERSIZED' as const,
  message: 'value is 5000000 bytes; the limit is 262144',
  sourceTopic: 'gridshift.prices.v1',
  sourcePartition: 2,
  sourceOffset: '41',
  originalHeaders: { 'message-id': 'm-1' },
  key: Buffer.from('DE-LU'),
};
const MIB = 1_048_576;

describe('deadLetterRecord', () => {
  it('keeps the original key, value and headers when they fit the topic', () => {
    const value = Buffer.from('{"zone":"DE-LU"}');
    const letter = deadLetterRecord({ ...source, value }, MIB);
    expect(letter.valueKind).toBe('original');
    expect(letter.value.equals(value)).toBe(true);
    expect(letter.key?.toString()).toBe('DE-LU');
    expect(letter.headers).toMatchObject({
      'message-id': 'm-1',
      'error-code': 'OVERSIZED',
      'dead-letter-value': 'original',
      'source-offset': '41',
    });
  });

  it('writes a reference (size, SHA-256, first KiB) when the value does not fit, and it fits', () => {
    const value = Buffer.alloc(5_000_000, 'a'); // 5 MB into a 1 MiB topic
    const letter = deadLetterRecord({ ...source, value }, MIB);
    expect(letter.valueKind).toBe('reference');
    expect(letter.headers['dead-letter-value']).toBe('reference');
    expect(letter.headers['error-code']).toBe('OVERSIZED');
    const reference = JSON.parse(letter.value.toString()) as DeadLetterReference;
    expect(reference).toMatchObject({
      kind: 'gridshift.dead-letter-reference.v1',
      sourceTopic: 'gridshift.prices.v1',
      sourcePartition: 2,
      sourceOffset: '41',
      valueBytes: 5_000_000,
      valueSha256: createHash('sha256').update(value).digest('hex'),
      keyBytes: 5,
      originalHeadersDropped: false,
    });
    expect(Buffer.from(reference.valueHeadBase64, 'base64').equals(value.subarray(0, 1024))).toBe(true);
    expect(estimatedRecordBytes(letter)).toBeLessThan(4096);
  });

  it('drops huge original headers and a huge key from a reference; minimal drops them always', () => {
    const value = Buffer.alloc(2 * MIB);
    const key = Buffer.alloc(4096, 'k');
    const letter = deadLetterRecord(
      { ...source, key, value, originalHeaders: { big: 'x'.repeat(50_000) } },
      MIB,
    );
    expect(letter.key).toBeNull();
    expect(letter.headers.big).toBeUndefined();
    expect((JSON.parse(letter.value.toString()) as DeadLetterReference).originalHeadersDropped).toBe(true);
    const minimal = deadLetterRecord({ ...source, value: Buffer.from('{}') }, MIB, true);
    expect(minimal).toMatchObject({ valueKind: 'reference', key: null });
    expect(minimal.headers['message-id']).toBeUndefined();
    expect(minimal.headers['error-code']).toBe('OVERSIZED');
  });
});
