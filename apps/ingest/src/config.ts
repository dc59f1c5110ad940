import { commonShape, env, type ConfigOf } from '#gridshift/config';

/** Environment of apps/ingest (see docs/operations.md, "Configuration"). */
export const ingestConfigShape = {
  ...commonShape,
  PORT: env.int(1, 65535, 3101),
  MIGRATE_ON_BOOT: env.bool(true),
  INGEST_GROUP_ID: env.string('gridshift-ingest'),
  INGEST_MAX_MESSAGE_BYTES: env.int(1024, 10_485_760, 262_144),
  /** A price issuedAt / load observedAt later than now plus this is dead-lettered FUTURE_TIMESTAMP. */
  INGEST_MAX_CLOCK_SKEW_SECONDS: env.int(0, 604_800, 600),
  /** A price interval starting more than this many days after the message's issuedAt is dead-lettered FUTURE_INTERVAL. */
  INGEST_MAX_FUTURE_DAYS: env.int(1, 366, 14),
  /** Prices only for registered zones (UNKNOWN_ZONE otherwise), load only for registered clusters (UNKNOWN_CLUSTER). */
  INGEST_REQUIRE_REGISTERED: env.bool(true),
  INGEST_CHUNK_SIZE: env.int(1, 20_000, 8000),
  /** Partitions written concurrently (keys give per-zone/per-cluster order, so partitions never share rows). */
  INGEST_CONCURRENCY: env.int(1, 64, 3),
  /** Bytes fetched per partition per request (large fetches keep the consumer busy between fetch rounds). */
  INGEST_FETCH_PARTITION_BYTES: env.int(65_536, 268_435_456, 16_777_216),
  /** JSON like data/fx-2023.json: { "base": "USD", "perUsd": { "EUR": 0.925, ... } }; empty = the shipped table. */
  /** Recorded dead letters (the admin API's `/dead-letters`) are deleted this many days after recording. */
  INGEST_DEAD_LETTER_RETENTION_DAYS: env.int(1, 3650, 30),
  FX_RATES_FILE: env.optionalString(),
  PRICE_MIN_PER_MWH: env.number(-1e9, 0, -10_000),
  PRICE_MAX_PER_MWH: env.number(0, 1e9, 100_000),
} as const;

export type IngestConfig = ConfigOf<typeof ingestConfigShape>;
