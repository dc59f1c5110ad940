import { afterAll, describe, expect, it } from 'vitest';
import { createDataSource } from '#gridshift/persistence';
import { services, testKafka, uniqueSuffix } from '../support/harness.js';
import { startNode } from '../support/processes.js';

const suffix = uniqueSuffix();
const schema = `t_demo_${suffix}`;
const prefix = `t-demo-${suffix}.`;

afterAll(async () => {
  const ds = createDataSource({ url: services().databaseUrl, schema, poolMax: 1 });
  await ds.initialize();
  await ds.query(`drop schema if exists "${schema}" cascade`);
  await ds.destroy();
  const admin = testKafka().admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin.disconnect();
});

describe('npm run demo -- --once', () => {
  it('runs the whole pipeline on real data: a published schedule and the orders consumed by data centers', async () => {
    const { databaseUrl, kafkaBrokers } = services();
    const demo = startNode(
      'dist/scripts/demo.js',
      { DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers.join(',') },
      ['--once', '--schema', schema, '--topic-prefix', prefix, '--port-base', '25100'],
    );
    const code = await demo.exited;
    const out = demo.output();
    expect(code, out.slice(-4000)).toBe(0);
    // The capacity-binds scenario: 9 job specs; the hourly and 6-hourly batch releases become one job each.
    expect(out).toMatch(/registering 8 clusters and 9 job specs through the admin API/);
    expect(out).toMatch(/153 jobs registered/);
    expect(out).toMatch(/schedule v\d+ published; \d+ data centers received their orders/);
    const consumed =
      /data-center side: (\d+) placement orders consumed from Kafka \((\d+) invalid\), (\d+) clusters hold version (\d+), (\d+) GPU-hours reserved/.exec(
        out,
      );
    expect(consumed, out.slice(-3000)).not.toBeNull();
    expect(Number(consumed![1])).toBeGreaterThan(0);
    expect(Number(consumed![2])).toBe(0);
    expect(Number(consumed![3])).toBeGreaterThan(0);
    expect(Number(consumed![5])).toBeGreaterThan(0);
    // Home, greedy and the optimum side by side; the optimum serves all the work (the scenario has room for
    // it) and at least as much as each baseline.
    const cells = (label: string) => {
      const row = new RegExp(`^\\| ${label} \\| (.+) \\|$`, 'm').exec(out);
      expect(row, `${label} row\n${out.slice(-3000)}`).not.toBeNull();
      return row![1]!.split(' | ').map((c) => Number(c.replace(/[^\d.-]/g, '')));
    };
    const [optimumServed, homeServed, greedyServed] = cells('served GPU-h');
    expect(cells('unserved GPU-h')[0]).toBe(0);
    expect(optimumServed).toBeGreaterThanOrEqual(homeServed! - 0.5);
    expect(optimumServed).toBeGreaterThanOrEqual(greedyServed! - 0.5);
    // A saving only for the same work, and never negative (up to whole-GPU rounding); else no saving at all.
    for (const baseline of ['home', 'greedy']) {
      const line = new RegExp(`^vs ${baseline}: (.*)$`, 'm').exec(out)?.[1];
      expect(line, out.slice(-3000)).toBeDefined();
      const saving = /saves USD -?[\d,]+ \((-?[\d.]+) %\) on energy for the same work/.exec(line!);
      if (saving) expect(Number(saving[1])).toBeGreaterThanOrEqual(-0.1);
      else expect(line).toMatch(/serves [\d,]+ GPU-h less; not a like-for-like saving/);
    }
    expect(out).toMatch(/where each job went/);
    expect(out).toMatch(/chat-eu\s+interactive\s+\d+ GPUh/);
    expect(out).toContain('--once: stopping');
  });
});
