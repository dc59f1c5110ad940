// Dead letters the ingest wrote to `<topic>.dlq`, as rows the admin API lists and counts (migration 35).
import { type Queryable, queryRows } from './query.js';

/** Characters of the original value (and key) kept in a row: enough to see what was wrong. */
export const DEAD_LETTER_EXCERPT_CHARS = 512;

/** One dead letter as the ingest records it (after its DLQ topic took it). */
export interface DeadLetterWrite {
  sourceTopic: string;
  sourcePartition: number;
  /** Kafka offset, decimal text (int64). */
  sourceOffset: string;
  dlqTopic: string;
  code: string;
  reason: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The original's `message-id` header, when it had one. */
  messageId: string | null;
}

/** One stored dead letter. */
export interface DeadLetterRow {
  id: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  dlqTopic: string;
  code: string;
  reason: string;
  key: string | null;
  messageId: string | null;
  valueBytes: number | null;
  valueExcerpt: string | null;
  recordedAt: Date;
}

/** Dead letters per source topic and code over a window. */
export interface DeadLetterCount {
  sourceTopic: string;
  code: string;
  count: number;
  lastAt: Date;
}

/** Text PostgreSQL can hold: UTF-8 decoded (invalid bytes replaced), NULs replaced, cut to `max` characters. */
function excerpt(bytes: Buffer | null, max = DEAD_LETTER_EXCERPT_CHARS): string | null {
  if (bytes === null) return null;
  const text = bytes.subarray(0, max * 4).toString('utf8');
  return Array.from(text).slice(0, max).join('').replaceAll('\u0000', '\uFFFD');
}

export class DeadLetterRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Records dead letters; a source record already recorded (dead-lettered again after a restart) is left as it
   * is. Returns how many rows were new.
   */
  async record(letters: DeadLetterWrite[], db: Queryable = this.db): Promise<number> {
    if (letters.length === 0) return 0;
    const rows = await queryRows<{ n: number }>(
      db,
      `with inserted as (
         insert into dead_letters (source_topic, source_partition, source_offset, dlq_topic, code, reason,
                                   message_key, message_id, value_bytes, value_excerpt)
         select * from unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::int[], $10::text[])
         on conflict (source_topic, source_partition, source_offset) do nothing
         returning 1)
       select count(*)::int as n from inserted`,
      [
        letters.map((l) => l.sourceTopic),
        letters.map((l) => l.sourcePartition),
        letters.map((l) => l.sourceOffset),
        letters.map((l) => l.dlqTopic),
        letters.map((l) => l.code),
        letters.map((l) => excerpt(Buffer.from(l.reason), 2000)),
        letters.map((l) => excerpt(l.key, 200)),
        letters.map((l) => (l.messageId === null ? null : excerpt(Buffer.from(l.messageId), 200))),
        letters.map((l) => l.value?.length ?? null),
        letters.map((l) => excerpt(l.value)),
      ],
    );
    return rows[0]?.n ?? 0;
  }

  /** Dead letters recorded since `since`, per source topic and code, most frequent first. */
  async countsSince(since: Date): Promise<DeadLetterCount[]> {
    const rows = await queryRows<{ source_topic: string; code: string; n: number; last_at: Date }>(
      this.db,
      `select source_topic, code, count(*)::int as n, max(recorded_at) as last_at from dead_letters
       where recorded_at >= $1 group by 1, 2 order by n desc, source_topic, code`,
      [since],
    );
    return rows.map((r) => ({ sourceTopic: r.source_topic, code: r.code, count: r.n, lastAt: r.last_at }));
  }

  /** The newest dead letters since `since` (newest first), optionally of one topic / code; `beforeId` pages on. */
  async latest(options: {
    since: Date;
    limit: number;
    beforeId?: string;
    sourceTopic?: string;
    code?: string;
  }): Promise<DeadLetterRow[]> {
    const rows = await queryRows<{
      id: string;
      source_topic: string;
      source_partition: number;
      source_offset: string;
      dlq_topic: string;
      code: string;
      reason: string;
      message_key: string | null;
      message_id: string | null;
      value_bytes: number | null;
      value_excerpt: string | null;
      recorded_at: Date;
    }>(
      this.db,
      `select id::text as id, source_topic, source_partition, source_offset::text as source_offset, dlq_topic, code,
              reason, message_key, message_id, value_bytes, value_excerpt, recorded_at
       from dead_letters
       where recorded_at >= $1 and ($2::bigint is null or id < $2::bigint)
         and ($3::text is null or source_topic = $3) and ($4::text is null or code = $4)
       order by id desc limit $5`,
      [
        options.since,
        options.beforeId ?? null,
        options.sourceTopic ?? null,
        options.code ?? null,
        options.limit,
      ],
    );
    return rows.map((r) => ({
      id: r.id,
      sourceTopic: r.source_topic,
      sourcePartition: r.source_partition,
      sourceOffset: r.source_offset,
      dlqTopic: r.dlq_topic,
      code: r.code,
      reason: r.reason,
      key: r.message_key,
      messageId: r.message_id,
      valueBytes: r.value_bytes,
      valueExcerpt: r.value_excerpt,
      recordedAt: r.recorded_at,
    }));
  }

  /** Deletes rows recorded before `before` (retention); returns how many. */
  async deleteOlderThan(before: Date): Promise<number> {
    const rows = await queryRows<{ n: number }>(
      this.db,
      `with gone as (delete from dead_letters where recorded_at < $1 returning 1) select count(*)::int as n from gone`,
      [before],
    );
    return rows[0]?.n ?? 0;
  }
}
