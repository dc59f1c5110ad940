import { HEADERS } from '#gridshift/contracts';
import type { DeadRecord } from '#gridshift/messaging';
import { DeadLetterRepository } from '#gridshift/persistence';
import type { DataSource } from 'typeorm';

/**
 * The consumers' `recordDeadLetters`: every dead letter, once on its DLQ topic, becomes a row the admin API
 * lists and counts (`GET /dead-letters`); a record dead-lettered again after a restart stays one row.
 */
export function deadLetterRecorder(
  dataSource: DataSource,
): (letters: { dead: DeadRecord; dlqTopic: string }[]) => Promise<void> {
  const repository = new DeadLetterRepository(dataSource);
  return async (letters) => {
    await repository.record(
      letters.map(({ dead, dlqTopic }) => ({
        sourceTopic: dead.record.topic,
        sourcePartition: dead.record.partition,
        sourceOffset: dead.record.offset,
        dlqTopic,
        code: dead.code,
        reason: dead.message,
        key: dead.record.key,
        value: dead.record.value,
        messageId: dead.record.headers[HEADERS.messageId] ?? null,
      })),
    );
  };
}
