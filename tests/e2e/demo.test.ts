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
    expect(out).toMatch(/registering 8 clusters and 8 jobs through the admin API/);
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
    // The optimum never costs more than the baselines it is compared with (up to whole-GPU rounding).
    const savings = /savings: USD (-?[\d,]+) \((-?[\d.]+) %\) vs home/.exec(out);
    expect(savings).not.toBeNull();
    expect(Number(savings![2])).toBeGreaterThanOrEqual(0);
    expect(out).toMatch(/where each job went/);
    expect(out).toMatch(/chat-eu\s+interactive\s+\d+ GPUh/);
    expect(out).toContain('--once: stopping');
  });
});
