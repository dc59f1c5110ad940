import { afterAll, describe, expect, it } from 'vitest';
import { decodeLoadMessage, decodePriceMessage } from '#gridshift/contracts';
import { findDataDir, readExchangeRates, SHIPPED_DATA } from '#gridshift/datasets';
import { ensureTopics } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { services, testKafka, uniqueSuffix } from '../support/harness.js';
import { readTopic } from '../support/ingest-fixtures.js';
import { startNode } from '../support/processes.js';

const prefix = `t-sim-${uniqueSuffix()}.`;
const topics = topicNames(prefix);
const kafka = testKafka();

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topics.prices, topics.clusterLoad] });
  await admin.disconnect();
});

async function run(script: string, args: string[]): Promise<string> {
  const proc = startNode(script, { KAFKA_BROKERS: services().kafkaBrokers.join(',') }, args);
  const code = await proc.exited;
  expect(code, proc.output()).toBe(0);
  return proc.output();
}

describe('simulators (real broker)', () => {
  it('the partner simulator publishes one valid day-ahead curve per zone and day from the shipped prices', async () => {
    await ensureTopics(kafka, [{ topic: topics.prices, numPartitions: 1, replicationFactor: 1 }]);
    const out = await run('dist/scripts/simulate-partner.js', [
      '--from',
      '2023-03-10',
      '--to',
      '2023-03-12',
      '--topic-prefix',
      prefix,
    ]);
    expect(out).toContain('16 curves (384 points) for 8 zones');
    const records = await readTopic(kafka, topics.prices, 16);
    const fx = readExchangeRates(`${findDataDir()}/${SHIPPED_DATA.fx}`);
    const zones = new Set<string>();
    for (const r of records) {
      const decoded = decodePriceMessage(r.key, r.value, { fx });
      expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
      if (decoded.ok) {
        zones.add(decoded.value.zone);
        expect(decoded.value.points).toHaveLength(24);
      }
      expect(r.headers['message-id']).toMatch(/^sim-partner:/);
    }
    expect([...zones].sort()).toEqual([...SHIPPED_DATA.priceZones].sort());
  });

  it('the data-center simulator publishes valid load reports for the demo fleet', async () => {
    await ensureTopics(kafka, [{ topic: topics.clusterLoad, numPartitions: 1, replicationFactor: 1 }]);
    const out = await run('dist/scripts/simulate-datacenter.js', [
      '--from',
      '2023-03-10',
      '--to',
      '2023-03-10T06:00:00Z',
      '--interval',
      '60',
      '--topic-prefix',
      prefix,
    ]);
    expect(out).toContain('48 load reports for 8 clusters'); // 6 hours × 8 clusters
    const records = await readTopic(kafka, topics.clusterLoad, 48);
    for (const r of records) expect(decodeLoadMessage(r.key, r.value).ok).toBe(true);
  });

  it('rejects bad arguments with exit code 2 and the usage', async () => {
    const proc = startNode('dist/scripts/simulate-partner.js', {}, [
      '--from',
      '2023-03-10',
      '--speed',
      'fast',
    ]);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('--speed must be a positive number or "max"');
  });
});
