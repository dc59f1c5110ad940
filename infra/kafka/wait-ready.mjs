#!/usr/bin/env node
// Waits until the Kafka broker on 127.0.0.1:<port> answers metadata requests (describeCluster + listTopics) and
// reports at least --brokers live brokers (a cluster: give its ports, comma-separated, as --port).
// Usage: node wait-ready.mjs --port 9092[,9093,...] [--brokers 1] [--timeout-s 90] [--pid <pid>[,<pid>...]]
//        [--log <server.log>[,<server.log>...]] [--once]
// --pid / --log: the broker process(es) and their logs, in the same order (a cluster's nodes): when one exits the
// wait ends at once with that node's log tail (a node that cannot bind its port exits within seconds; waiting out
// the timeout would only hide why).
// Exit 0 when ready (prints one summary line), 1 on timeout / broker exit (prints the last log lines), 2 on bad usage.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
// kafkajs 2.2.4's 1 ms timer loop and its TimeoutNegativeWarning: the fix in libs/messaging. The pinned Node 24
// strips that module's types itself; an older Node (start.sh's fallback) has neither type stripping nor the warning.
if (process.features.typescript)
  (await import('../../libs/messaging/src/request-queue-fix.ts')).installRequestQueueFix();

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.KAFKA_PORT ?? '9092' },
    brokers: { type: 'string', default: '1' },
    'timeout-s': { type: 'string', default: '90' },
    pid: { type: 'string' },
    log: { type: 'string' },
    once: { type: 'boolean', default: false },
  },
});

const ports = values.port.split(',').map(Number);
const port = values.port; // for messages
const wantBrokers = Number(values.brokers);
const timeoutMs = Number(values['timeout-s']) * 1000;
if (
  !ports.every((p) => Number.isInteger(p) && p > 0) ||
  !(timeoutMs > 0) ||
  !Number.isInteger(wantBrokers) ||
  wantBrokers < 1
) {
  console.error(
    `wait-ready: bad --port '${values.port}', --brokers '${values.brokers}' or --timeout-s '${values['timeout-s']}'`,
  );
  process.exit(2);
}
const pids = values.pid === undefined ? [] : values.pid.split(',').map(Number);
const logs = values.log === undefined ? [] : values.log.split(',');
if (!pids.every((p) => Number.isInteger(p) && p > 0)) {
  console.error(`wait-ready: bad --pid '${values.pid}'`);
  process.exit(2);
}

/** The index of the first given broker process that no longer runs, or -1 while all do. */
function deadBroker() {
  return pids.findIndex((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

/** Last lines of the `index`-th server log, to explain a failed start. */
function logTail(index = 0, lines = 40) {
  const log = logs[index];
  if (log === undefined || !existsSync(log)) return '';
  const text = readFileSync(log, 'utf8').trimEnd().split('\n');
  return `--- last ${Math.min(lines, text.length)} lines of ${log} ---\n${text.slice(-lines).join('\n')}`;
}

/** One metadata round trip to the broker on `brokerPort` alone; resolves with a summary or rejects. */
async function probeOne(brokerPort) {
  const kafka = new Kafka({
    clientId: 'gridshift-kafka-wait-ready',
    brokers: [`127.0.0.1:${brokerPort}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe of port ${brokerPort} timed out after 5 s`)), 5000);
  });
  try {
    const work = (async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      // A node killed a moment ago stays registered until its session expires: every port is probed itself.
      if (cluster.brokers.length < wantBrokers)
        throw new Error(`${cluster.brokers.length} of ${wantBrokers} brokers registered`);
      const topics = await admin.listTopics();
      return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${topics.length} topic(s)`;
    })();
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Every given broker answers (and reports the wanted broker count); resolves with the first one's summary. */
async function probe() {
  const summaries = await Promise.all(ports.map(probeOne));
  return summaries[0];
}

const startedMs = Date.now();
let lastError = 'no attempt made';
for (;;) {
  try {
    const summary = await probe();
    console.log(`ready on 127.0.0.1:${port} after ${Date.now() - startedMs} ms: ${summary}`);
    process.exit(0);
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
  }
  if (values.once) break;
  const dead = deadBroker();
  if (dead >= 0) {
    const node = pids.length > 1 ? ` (node ${dead + 1} of ${pids.length})` : '';
    console.error(
      `wait-ready: broker process ${pids[dead]}${node} exited before answering on 127.0.0.1:${port}`,
    );
    console.error(logTail(dead));
    process.exit(1);
  }
  if (Date.now() - startedMs >= timeoutMs) break;
  await sleep(500);
}
console.error(
  `wait-ready: no metadata answer from 127.0.0.1:${port} within ${values.once ? 'one attempt' : `${timeoutMs / 1000} s`} (last error: ${lastError})`,
);
for (let i = 0; i < Math.max(logs.length, 1); i++) {
  const tail = logTail(i);
  if (tail) console.error(tail);
}
process.exit(1);
