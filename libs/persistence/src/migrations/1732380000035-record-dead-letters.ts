import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters as the ingest wrote them to `<topic>.dlq`: one row per source record (topic, partition, offset —
 * a record dead-lettered again after a restart is one row), with its code, reason and a short excerpt of the
 * original, so the admin API can list and count them without reading Kafka. The DLQ topics stay the record of
 * the originals (`npm run dlq:replay`); rows older than the ingest's retention are deleted by the ingest.
 */
export class RecordDeadLetters1732380000035 implements MigrationInterface {
  name = 'RecordDeadLetters1732380000035';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table dead_letters (
        id bigint generated always as identity primary key,
        source_topic text not null,
        source_partition integer not null check (source_partition >= 0),
        source_offset bigint not null check (source_offset >= 0),
        dlq_topic text not null,
        code text not null,
        reason text not null,
        message_key text,
        message_id text,
        value_bytes integer check (value_bytes >= 0),
        value_excerpt text,
        recorded_at timestamptz not null default now(),
        unique (source_topic, source_partition, source_offset)
      )`);
    await q.query(`create index dead_letters_recorded_idx on dead_letters (recorded_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table dead_letters`);
  }
}
