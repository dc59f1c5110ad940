import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { counter, gauge } from '#gridshift/observability';
import {
  OutboxRepository,
  ScheduleRepository,
  type RetentionBatch,
  type RetentionCursor,
} from '#gridshift/persistence';

export interface RetentionOptions {
  /** Rows younger than this many days are kept; 0 turns the job off. */
  retentionDays: number;
  /** Rows deleted per statement (each statement its own short transaction). */
  batchSize: number;
}

export interface RetentionOutcome {
  /** Sent placement orders deleted (settled, older than the retention, a newer order of their cluster follows). */
  outbox: number;
  /** Stored job sets deleted (older than the retention, no stored schedule references them). */
  inputParts: number;
}

const DAY_MS = 86_400_000;

/**
 * The planner's retention job: deletes, in batches, what neither the audit nor the reproducibility of a stored
 * schedule needs — sent orders whose delivery settled and that a newer order of their cluster follows, and job sets
 * (`schedule_input_parts`) no stored schedule references. Schedules themselves and every row they reference stay.
 */
export class Retention {
  private readonly outbox: OutboxRepository;
  private readonly schedules: ScheduleRepository;
  private readonly metrics;

  constructor(
    dataSource: DataSource,
    registry: Registry,
    private readonly options: RetentionOptions,
  ) {
    this.outbox = new OutboxRepository(dataSource);
    this.schedules = new ScheduleRepository(dataSource);
    this.metrics = {
      pruned: counter(
        registry,
        'gridshift_retention_pruned_rows_total',
        'Rows deleted by the retention job',
        ['table'],
      ),
      lastRun: gauge(
        registry,
        'gridshift_retention_last_run_timestamp_seconds',
        'When the retention job last completed (Unix seconds; 0 before its first run)',
      ),
    };
    for (const table of ['outbox', 'schedule_input_parts']) this.metrics.pruned.inc({ table }, 0);
    this.metrics.lastRun.set(0);
  }

  /** Whether the job runs at all (`retentionDays` > 0). */
  get enabled(): boolean {
    return this.options.retentionDays > 0;
  }

  /** One pass: batch after batch, each from where the previous one stopped, until none is left; counted. */
  async run(now = new Date()): Promise<RetentionOutcome> {
    if (!this.enabled) return { outbox: 0, inputParts: 0 };
    const before = new Date(now.getTime() - this.options.retentionDays * DAY_MS);
    const outbox = await this.drain('outbox', (limit, after) =>
      this.outbox.deleteSettledSentBefore(before, limit, after),
    );
    const inputParts = await this.drain('schedule_input_parts', (limit, after) =>
      this.schedules.deleteUnreferencedInputParts(before, limit, after),
    );
    this.metrics.lastRun.set(Date.now() / 1000);
    return { outbox, inputParts };
  }

  private async drain(
    table: string,
    deleteBatch: (limit: number, after: RetentionCursor | null) => Promise<RetentionBatch>,
  ): Promise<number> {
    let total = 0;
    let after: RetentionCursor | null = null;
    for (;;) {
      const batch = await deleteBatch(this.options.batchSize, after);
      total += batch.deleted;
      this.metrics.pruned.inc({ table }, batch.deleted);
      if (batch.last === null) return total;
      after = batch.last;
    }
  }
}
