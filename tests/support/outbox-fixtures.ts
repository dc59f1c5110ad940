import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { PlacementOrderV1 } from '#gridshift/contracts';
import { ScheduleLifecycle } from '#gridshift/scheduling';
import { uniqueSuffix } from './harness.js';

const HOUR_MS = 3_600_000;

/** Cluster ids the seeded schedules place work on: c00, c01, … */
export const seededClusterId = (c: number) => `c${String(c).padStart(2, '0')}`;

/**
 * `versions` draft schedules from `startMs` over 24 hourly slots, each placing `jobsPerCell` jobs on every one of
 * `clusters` clusters (cells as migration 1732380000020 stores them), approved one after the other through the
 * real lifecycle: versions × clusters pending outbox rows (placement orders) for a relay to publish.
 */
export async function seedApprovedSchedules(
  db: DataSource,
  opts: { versions: number; clusters: number; startMs: number; jobsPerCell?: number },
): Promise<void> {
  const lifecycle = new ScheduleLifecycle(db);
  for (let version = 1; version <= opts.versions; version += 1) {
    const id = randomUUID();
    await db.query(
      `insert into schedules (id, version, kind, status, trigger, leader_epoch, horizon_start, horizon_end, slot_minutes,
                              input_snapshot, input_hash, solver_stats, totals, baselines, savings, objective)
       values ($1, $2, 'plan', 'draft', 'manual', 0, $3, $4, 60, '{}', 'h', '{}', '{}', '{}', '{}', 0)`,
      [id, version, new Date(opts.startMs), new Date(opts.startMs + 24 * HOUR_MS)],
    );
    await db.query(
      `insert into placement_cells (schedule_id, cluster_id, slot_start, job_ids, gpus, gpu_hours)
       select $1, 'c' || lpad(c::text, 2, '0'), $2::timestamptz + t * interval '1 hour',
              array_agg('job-' || j order by j), array_agg(1 + (j + $3) % 7 order by j), array_agg(1::float8 order by j)
       from generate_series(0, $5 - 1) j, generate_series(0, $4 - 1) c, generate_series(0, 23) t
       group by c, t`,
      [id, new Date(opts.startMs), version, opts.clusters, opts.jobsPerCell ?? 1],
    );
    await lifecycle.approve(id, { actor: 'e2e' });
  }
}

/** Outbox rows not yet sent. */
export async function pendingOrders(db: DataSource): Promise<number> {
  return (
    await db.query<{ n: number }[]>(`select count(*)::int as n from outbox where status = 'pending'`)
  )[0]!.n;
}

/** Every order's message-id in the outbox. */
export async function outboxMessageIds(db: DataSource): Promise<string[]> {
  return (await db.query<{ message_id: string }[]>(`select message_id from outbox`)).map((r) => r.message_id);
}

export interface ReceivedOrder {
  key: string;
  messageId: string;
  version: number;
  at: number;
  /** `<partition>:<offset>`: the same record delivered twice (a consumer rebalance) has the same position. */
  position: string;
}

/** The received orders with redeliveries of the same record (same partition and offset) dropped. */
export function distinctRecords(received: readonly ReceivedOrder[]): ReceivedOrder[] {
  const seen = new Set<string>();
  return received.filter((r) => !seen.has(r.position) && seen.add(r.position));
}

/**
 * A data center's view of the placements topic: a consumer from the beginning (kafkajs reads committed, as data
 * centers must) collecting every record it receives, duplicates included.
 */
export async function collectPlacements(
  kafka: Kafka,
  topic: string,
): Promise<{ received: ReceivedOrder[]; consumer: Consumer }> {
  const received: ReceivedOrder[] = [];
  const consumer = kafka.consumer({ groupId: `orders-${uniqueSuffix()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      const order = JSON.parse(String(message.value)) as PlacementOrderV1;
      received.push({
        key: String(message.key),
        messageId: String(message.headers?.['message-id']),
        version: order.scheduleVersion,
        at: Date.now(),
        position: `${partition}:${message.offset}`,
      });
      return Promise.resolve();
    },
  });
  return { received, consumer };
}
