import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The planner's retention job deletes sent placement orders older than its retention (and only those whose
 * delivery settled and that a newer order of their cluster follows): this partial index finds them by `sent_at`
 * without reading the rest of the outbox, in (sent_at, id) order: each batch continues after the previous one's last
 * row (a batch that restarted from the oldest would walk over every row deleted before it that VACUUM has not yet
 * removed: quadratic). Pending rows, which the relay's own index covers, are not in it.
 */
export class IndexSentOutboxRowsByAge1732380000044 implements MigrationInterface {
  name = 'IndexSentOutboxRowsByAge1732380000044';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`create index outbox_sent_at_id_idx on outbox (sent_at, id) where status = 'sent'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index outbox_sent_at_id_idx`);
  }
}
