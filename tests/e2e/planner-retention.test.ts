import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { freshSchema, services, uniqueSuffix } from '../support/harness.js';
import { seedApprovedSchedules } from '../support/outbox-fixtures.js';
import { startNode, waitForHttp, type RunningProcess } from '../support/processes.js';

// The retention job in the planner process: the leader runs a first pass when elected (the rules themselves are
// tested in tests/integration/retention.test.ts) and counts what it deleted on /metrics.

const PORT = 23181;
const DAY_MS = 86_400_000;

let db: DataSource;
let drop: () => Promise<void>;
let planner: RunningProcess | undefined;

beforeAll(async () => {
  ({ dataSource: db, drop } = await freshSchema(import.meta.filename));
  // Two versions on one cluster, both sent 40 days ago and applied: v1 is past the 30-day default, v2 is the newest.
  await seedApprovedSchedules(db, { versions: 2, clusters: 1, startMs: Date.now() - 41 * DAY_MS });
  await db.query(`update outbox set status = 'sent', sent_at = now() - interval '40 days'`);
  await db.query(`update deliveries set status = 'applied'`);
});

afterAll(async () => {
  await planner?.stop();
  await drop();
});

describe('planner retention', () => {
  it('the elected planner deletes the settled order a newer one follows and counts it', async () => {
    const { databaseUrl, kafkaBrokers } = services();
    planner = startNode('dist/apps/planner/src/main.js', {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: (db.options as { schema: string }).schema,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `t-retention-${uniqueSuffix()}.`,
      PORT: String(PORT),
      PLANNER_CRON: '0 0 1 1 *',
    });
    await waitForHttp(`http://127.0.0.1:${PORT}/health`, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${planner!.output()}`);
    });
    const versions = async () =>
      (await db.query<{ v: number }[]>(`select schedule_version as v from outbox order by 1`)).map(
        (r) => r.v,
      );
    await expect.poll(versions, { timeout: 60_000, interval: 250 }).toEqual([2]);
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text(), { timeout: 10_000 })
      .toMatch(/gridshift_retention_pruned_rows_total\{[^}]*table="outbox"[^}]*\} 1\b/);
    // The pass logs once it has finished both tables, which can be after /metrics counted the outbox's rows.
    await expect.poll(() => planner!.output(), { timeout: 10_000 }).toMatch(/retention: rows deleted/);
  });
});
