import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wakes the planner without polling: statement-level triggers send `pg_notify('gridshift_<schema>', topic)`
 * when prices or cluster state change (`prices`, `load`) and when a plan request is filed
 * (`plan-request`). Notifications are delivered at commit and coalesced per transaction. The channel
 * carries the schema name so several deployments (or test schemas) can share one database.
 */
export class NotifyPlannerOfChanges1732380000007 implements MigrationInterface {
  name = 'NotifyPlannerOfChanges1732380000007';

  async up(q: QueryRunner): Promise<void> {
    const { quoted, raw } = await currentSchema(q);
    const channel = `gridshift_${raw}`.replace(/'/g, "''");
    await q.query(`
      create function ${quoted}.gridshift_notify_planner() returns trigger
      language plpgsql as $fn$
      begin
        perform pg_notify('${channel}', tg_argv[0]);
        return null;
      end
      $fn$`);
    const triggers: [string, string, string][] = [
      ['price_freshness', 'insert or update', 'prices'],
      ['cluster_state', 'insert or update', 'load'],
      ['plan_requests', 'insert', 'plan-request'],
    ];
    for (const [table, events, topic] of triggers) {
      await q.query(`
        create trigger ${table}_notify_planner after ${events} on ${quoted}.${table}
        for each statement execute function ${quoted}.gridshift_notify_planner('${topic}')`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const { quoted } = await currentSchema(q);
    for (const table of ['price_freshness', 'cluster_state', 'plan_requests']) {
      await q.query(`drop trigger if exists ${table}_notify_planner on ${quoted}.${table}`);
    }
    await q.query(`drop function if exists ${quoted}.gridshift_notify_planner()`);
  }
}

async function currentSchema(q: QueryRunner): Promise<{ quoted: string; raw: string }> {
  const rows = (await q.query(`select quote_ident(current_schema()) as quoted, current_schema() as raw`)) as {
    quoted: string;
    raw: string;
  }[];
  return rows[0]!;
}
