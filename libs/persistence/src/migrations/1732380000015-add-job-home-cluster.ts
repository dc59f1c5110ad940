import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where a job runs without gridshift: the home baseline places it there (null = its first allowed cluster). */
export class AddJobHomeCluster1732380000015 implements MigrationInterface {
  name = 'AddJobHomeCluster1732380000015';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table jobs add column home_cluster_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`alter table jobs drop column home_cluster_id`);
  }
}
