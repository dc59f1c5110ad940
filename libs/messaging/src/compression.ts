import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import kafkajs from 'kafkajs';

// kafkajs is CommonJS and Node's ESM loader does not see `CompressionCodecs` as a named export.
const { CompressionCodecs, CompressionTypes } = kafkajs;

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

/**
 * The zlib level gridshift's Kafka producers gzip their batches with. kafkajs's own codec uses zlib's default
 * (6); on a 5,000-job plan's placement orders (1.8 MB of JSON) level 1 took 0.26× the CPU (median, alternating
 * in one run) for 1.35× the bytes (apps/planner/README.md, "Reaction under a second"). The relay compresses
 * every re-plan's orders on the price-change → placement-order path. Still gzip: every consumer decodes it as
 * before.
 */
export const KAFKA_GZIP_LEVEL = 1;

/** A kafkajs compression codec: gzip at `level` on the way out, any zlib/gzip stream on the way in. */
export function gzipCodec(level: number): () => {
  compress: (encoder: { buffer: Buffer }) => Promise<Buffer>;
  decompress: (buffer: Buffer) => Promise<Buffer>;
} {
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw new RangeError(`gzip level must be an integer 0–9, got ${level}`);
  const codec = {
    compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  };
  return () => codec;
}

/**
 * Makes kafkajs gzip at `KAFKA_GZIP_LEVEL` in this process. kafkajs keeps one codec per compression type for the
 * whole process, so this is process-wide; `createKafka` calls it (idempotent).
 */
export function useGridshiftGzip(): void {
  CompressionCodecs[CompressionTypes.GZIP] = gzipCodec(KAFKA_GZIP_LEVEL);
}
