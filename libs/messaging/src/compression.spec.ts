import kafkajs from 'kafkajs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipCodec, KAFKA_GZIP_LEVEL } from './compression.js';
import { createKafka } from './kafka.js';

// The batch bytes a producer hands the codec: JSON orders repeat their keys and job ids, as real ones do.
const batch = Buffer.from(
  JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => ({
      jobId: `job-${String(i).padStart(5, '0')}`,
      gpus: (i * 7) % 41,
    })),
  ),
);

describe('Kafka gzip codec', () => {
  it('createKafka makes kafkajs gzip at KAFKA_GZIP_LEVEL, not zlib’s default, and the output is plain gzip', async () => {
    createKafka({ brokers: ['127.0.0.1:9'], clientId: 'codec-test' });
    const codec = (
      kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP] as ReturnType<typeof gzipCodec>
    )();
    const compressed = await codec.compress({ buffer: batch });
    expect(KAFKA_GZIP_LEVEL).toBe(1);
    expect(compressed.equals(gzipSync(batch, { level: KAFKA_GZIP_LEVEL }))).toBe(true);
    expect(compressed.equals(gzipSync(batch))).toBe(false);
    expect(gunzipSync(compressed).equals(batch)).toBe(true);
    expect((await codec.decompress(compressed)).equals(batch)).toBe(true);
    // A batch compressed by another producer at zlib's default level is read as well.
    expect((await codec.decompress(gzipSync(batch, { level: 9 }))).equals(batch)).toBe(true);
  });

  it('refuses a level zlib does not have', () => {
    expect(() => gzipCodec(10)).toThrow(RangeError);
    expect(() => gzipCodec(1.5)).toThrow(RangeError);
  });
});
