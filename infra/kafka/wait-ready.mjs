#!/usr/bin/env node
// Waits until the Kafka broker on 127.0.0.1:<port> answers metadata requests (describeCluster + listTopics).
// Usage: node wait-ready.mjs --port 9092 [--timeout-s 90] [--pid <broker pid>] [--log <server.log>] [--once]
// Exit 0 when ready (prints one summary line), 1 on timeout / broker exit (prints the last log lines), 2 on bad usage.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.KAFKA_PORT ?? '9092' },
    'timeout-s': { type: 'string', default: '90' },
    pid: { type: 'string' },
    log: { type: 'string' },
    once: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
const timeoutMs = Number(values['timeout-s']) * 1000;
if (!Number.isInteger(port) || port <= 0 || !(timeoutMs > 0)) {
  console.error(`wait-ready: bad --port '${values.port}' or --timeout-s '${values['timeout-s']}'`);
  process.exit(2);
}
const pid = values.pid === undefined ? undefined : Number(values.pid);

/** True while the broker process (when one was given) is alive. */
function brokerAlive() {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Last lines of the server log, to explain a failed start. */
function logTail(lines = 40) {
  if (!values.log || !existsSync(values.log)) return '';
  const text = readFileSync(values.log, 'utf8').trimEnd().split('\n');
  return `--- last ${Math.min(lines, text.length)} lines of ${values.log} ---\n${text.slice(-lines).join('\n')}`;
}

/** One metadata round trip; resolves with a summary or rejects. */
async function probe() {
  const kafka = new Kafka({
    clientId: 'gridshift-kafka-wait-ready',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('probe timed out after 5 s')), 5000);
  });
  try {
    const work = (async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const topics = await admin.listTopics();
      return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${topics.length} topic(s)`;
    })();
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
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
  if (!brokerAlive()) {
    console.error(`wait-ready: broker process ${pid} exited before answering on 127.0.0.1:${port}`);
    console.error(logTail());
    process.exit(1);
  }
  if (Date.now() - startedMs >= timeoutMs) break;
  await sleep(500);
}
console.error(
  `wait-ready: no metadata answer from 127.0.0.1:${port} within ${values.once ? 'one attempt' : `${timeoutMs / 1000} s`} (last error: ${lastError})`,
);
const tail = logTail();
if (tail) console.error(tail);
process.exit(1);
