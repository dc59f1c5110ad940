import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `outbox.has_assignments`: whether a placement order assigns any work (its `slots` are not empty), written with
 * the order. A new version's orders say, per cluster, whether they supersede an order that assigned work; that
 * was read out of the earlier orders' payloads (`json_array_length(payload->'slots')`), which made the store
 * transaction fetch, decompress and parse every cluster's previous order — ≈ 2.8 MB of JSON at 5,000 jobs — on
 * the price-change → placement-order path. Existing rows are filled from their payloads; rows written without it
 * (NULL) are still read from the payload.
 */
export class RecordWhetherOrdersAssignWork1732380000039 implements MigrationInterface {
  name = 'RecordWhetherOrdersAssignWork1732380000039';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table outbox add column has_assignments boolean`);
    await q.query(
      `update outbox set has_assignments = json_array_length(payload->'slots') > 0
       where json_typeof(payload->'slots') = 'array'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`alter table outbox drop column has_assignments`);
  }
}
