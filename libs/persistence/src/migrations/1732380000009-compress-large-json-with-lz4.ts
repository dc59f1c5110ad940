import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Columns that hold megabytes per schedule at fleet scale (5,000 jobs: snapshot ≈ 4 MB, explanations ≈ 4 MB, orders ≈ 4 MB). */
const LARGE_JSON_COLUMNS: [table: string, column: string][] = [
  ['schedules', 'input_snapshot'],
  ['schedules', 'explanations'],
  ['outbox', 'payload'],
];

/**
 * Stores the planner's large jsonb values with lz4 instead of pglz: compressing them is several times
 * faster, which shortens the store transaction on the price-change → placement-order path. Affects new
 * values only (no table rewrite); a server built without lz4 keeps pglz.
 */
export class CompressLargeJsonWithLz41732380000009 implements MigrationInterface {
  name = 'CompressLargeJsonWithLz41732380000009';

  async up(q: QueryRunner): Promise<void> {
    if (!(await lz4Available(q))) return;
    for (const [table, column] of LARGE_JSON_COLUMNS) {
      await q.query(`alter table ${table} alter column ${column} set compression lz4`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    if (!(await lz4Available(q))) return;
    for (const [table, column] of LARGE_JSON_COLUMNS) {
      await q.query(`alter table ${table} alter column ${column} set compression default`);
    }
  }
}

async function lz4Available(q: QueryRunner): Promise<boolean> {
  const rows = (await q.query(
    `select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)`,
  )) as unknown[];
  return rows.length > 0;
}
