import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePlacementAck, type PlacementOrderV1 } from '#gridshift/contracts';
import type { AgentState } from '#gridshift/datacenter-agent';
import { ensureTopics, JsonProducer } from '#gridshift/messaging';
import { topicNames } from '#gridshift/platform';
import { services, testKafka, uniqueSuffix } from '../support/harness.js';
import { startNode, type RunningProcess } from '../support/processes.js';

// The reference agent as a process (`npm run datacenter:agent`), SIGKILLed three times while orders keep coming
// (some delivered twice, as after a relay crash): every version is applied exactly once, in order, and acknowledged.

const suffix = uniqueSuffix();
const prefix = `t-agentkill-${suffix}.`;
const topics = topicNames(prefix);
const kafka = testKafka();
const stateDir = mkdtempSync(join(tmpdir(), 'gridshift-agent-'));
const VERSIONS = 30;
let agent: RunningProcess | null = null;

function startAgent(): RunningProcess {
  return startNode('dist/scripts/datacenter-agent.js', {}, [
    '--cluster',
    'fra-1',
    '--state-dir',
    stateDir,
    '--topic-prefix',
    prefix,
    '--brokers',
    services().kafkaBrokers.join(','),
    '--usage-interval-ms',
    '600000',
  ]);
}

function state(): AgentState | null {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'fra-1.json'), 'utf8')) as AgentState;
  } catch {
    return null;
  }
}

function order(version: number): PlacementOrderV1 {
  return {
    scheduleId: `sch-${version}`,
    scheduleVersion: version,
    clusterId: 'fra-1',
    issuedAt: new Date().toISOString(),
    supersedesVersion: version > 1 ? version - 1 : null,
    slots: [
      {
        start: '2023-03-02T00:00:00Z',
        minutes: 60,
        assignments: [{ jobId: 'chat-eu', gpus: version }],
      },
    ],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await ensureTopics(
    kafka,
    [topics.placements, topics.placementAcks, topics.usage].map((topic) => ({ topic, numPartitions: 3 })),
  );
});

afterAll(async () => {
  await agent?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('reference data-center agent under SIGKILL', () => {
  it('applies every version exactly once and acknowledges each', async () => {
    const producer = new JsonProducer(kafka);
    agent = startAgent();
    let appliedAtStart = 0;
    try {
      for (let v = 1; v <= VERSIONS; v++) {
        const messageId = `placement:sch-${v}:fra-1`;
        await producer.send(topics.placements, [{ key: 'fra-1', value: order(v), messageId }]);
        // Every fifth order is delivered twice (same message-id), as after a relay crash between send and mark.
        if (v % 5 === 0)
          await producer.send(topics.placements, [{ key: 'fra-1', value: order(v), messageId }]);
        // An order for another cluster on the same topic is not ours.
        if (v % 7 === 0)
          await producer.send(topics.placements, [
            { key: 'ams-1', value: { ...order(v), clusterId: 'ams-1' } },
          ]);
        await sleep(150);
        if (v % 8 === 0) {
          // Kill without warning once the agent has applied something since its start, then restart it.
          await expect
            .poll(() => state()?.appliedVersion ?? 0, { timeout: 30_000 })
            .toBeGreaterThan(appliedAtStart);
          await agent.stop('SIGKILL');
          appliedAtStart = state()?.appliedVersion ?? 0;
          agent = startAgent();
        }
      }
    } finally {
      await producer.disconnect();
    }
    await expect.poll(() => state()?.appliedVersion, { timeout: 60_000 }).toBe(VERSIONS);
    const applied = state()!.appliedLog.map((e) => e.version);
    expect(applied).toEqual(Array.from({ length: VERSIONS }, (_, i) => i + 1));

    // Each version acknowledged `applied`; re-sent acks (after a kill between apply and ack) carry the same
    // message-id, so gridshift stores them once.
    const byVersion = new Map<number, Set<string>>();
    const consumer = kafka.consumer({ groupId: `t-agentkill-acks-${suffix}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topics.placementAcks, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          const decoded = decodePlacementAck(message.key, message.value);
          if (!decoded.ok) throw new Error(`invalid ack: ${decoded.message}`);
          expect(decoded.value.status).toBe('applied');
          const ids = byVersion.get(decoded.value.version) ?? new Set<string>();
          ids.add(String(message.headers?.['message-id']));
          byVersion.set(decoded.value.version, ids);
          return Promise.resolve();
        },
      });
      await expect.poll(() => byVersion.size, { timeout: 30_000 }).toBe(VERSIONS);
    } finally {
      await consumer.disconnect();
    }
    expect([...byVersion.keys()].sort((a, b) => a - b)).toEqual(applied);
    for (const ids of byVersion.values()) expect(ids.size).toBe(1);
  });
});
