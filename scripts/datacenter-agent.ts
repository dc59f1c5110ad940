// Reference data-center agent: one per --cluster; consumes placement orders, applies them to a simulated cluster,
// publishes acknowledgements and realized usage. State per cluster in --state-dir (survives restarts and SIGKILL).
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '#gridshift/contracts';
import { DataCenterAgent, FileStateStore, type AgentEvent } from '#gridshift/datacenter-agent';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const usage = `usage: npm run datacenter:agent -- --cluster fra-1 [--cluster ams-1 ...] [options]
  --cluster ID            cluster to act for (repeatable; one agent each)         (required)
  --state-dir DIR         where each agent keeps its state                         (default: .datacenter-agent)
  --capacity GPUS         GPUs each cluster gives gridshift work per slot          (default: unlimited)
  --refuse JOB,JOB        jobs refused by the site's own rules (policy)            (default: none)
  --realization SHARE     share of ordered GPU-hours really used (drift when ≠ 1)  (default: 1)
  --noise SHARE           ± uniform noise on realized GPU-hours                    (default: 0.03)
  --kwh-per-gpu-hour KWH  metered facility kWh per GPU-hour                        (default: 0.84)
  --drop-first N          ignore the first N deliveries (exercises the resend)     (default: 0)
  --usage-interval-ms MS  how often usage of ended slots is reported               (default: 60000)
  --seed N                seed of the usage noise                                  (default: 1)
  --brokers H:P,...       Kafka brokers                     (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --topic-prefix P        prefix of gridshift topics        (default: $KAFKA_TOPIC_PREFIX or none)
  --quiet                 print nothing per order`;

function num(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`${flag} must be in [${min}, ${max}], got ${value}`);
  return n;
}

function describe(event: AgentEvent): string | null {
  switch (event.kind) {
    case 'applied': {
      const why = event.ack.reasons.map((r) => `${r.code}: ${r.text}`).join('; ');
      const events = event.reasons
        .map(
          (r) =>
            `grid event ${r.eventId} rev ${r.modificationNumber} (${r.compliance}${r.capped ? ', capped' : ''})`,
        )
        .join(', ');
      return `${event.clusterId}: v${event.order.scheduleVersion} ${event.ack.status}${why ? ` (${why})` : ''}${
        events ? ` — honours ${events}` : ''
      }`;
    }
    case 'duplicate':
      return `${event.clusterId}: v${event.version} again (${event.reAcked ? 'ack re-sent' : 'ignored'})`;
    case 'stale':
      return `${event.clusterId}: v${event.version} ignored (v${event.appliedVersion} applied)`;
    case 'dropped':
      return `${event.clusterId}: v${event.version} dropped unacknowledged (--drop-first)`;
    case 'invalid':
      return `${event.clusterId}: ${event.code}: ${event.message}`;
    case 'usage':
      return `${event.clusterId}: usage reported (${event.rows} rows)`;
  }
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    cluster: { type: 'string', multiple: true },
    'state-dir': { type: 'string' },
    capacity: { type: 'string' },
    refuse: { type: 'string' },
    realization: { type: 'string' },
    noise: { type: 'string' },
    'kwh-per-gpu-hour': { type: 'string' },
    'drop-first': { type: 'string' },
    'usage-interval-ms': { type: 'string' },
    seed: { type: 'string' },
    brokers: { type: 'string' },
    'topic-prefix': { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const clusters = args.cluster ?? [];
  if (clusters.length === 0) throw new UsageError('--cluster is required');
  const prefix = args['topic-prefix'] ?? process.env.KAFKA_TOPIC_PREFIX ?? '';
  const brokers = (args.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const stateDir = args['state-dir'] ?? '.datacenter-agent';
  const kafka = new Kafka({ clientId: 'gridshift-datacenter-agent', brokers, logLevel: logLevel.ERROR });
  const store = new FileStateStore((id) => join(stateDir, `${id}.json`));
  const capacity = args.capacity === undefined ? undefined : num('--capacity', args.capacity, 0, 0, 1e7);
  const behaviour = {
    ...(capacity === undefined ? {} : { capacityGpus: capacity }),
    refuseJobs: args.refuse ? args.refuse.split(',').filter(Boolean) : [],
    realizationFactor: num('--realization', args.realization, 1, 0, 10),
    usageNoise: num('--noise', args.noise, 0.03, 0, 1),
    kwhPerGpuHour: num('--kwh-per-gpu-hour', args['kwh-per-gpu-hour'], 0.84, 0, 100),
  };
  const agents = clusters.map(
    (clusterId, i) =>
      new DataCenterAgent({
        kafka,
        clusterId,
        store,
        behaviour,
        topics: {
          placements: `${prefix}${TOPICS.placements}`,
          placementAcks: `${prefix}${TOPICS.placementAcks}`,
          usage: `${prefix}${TOPICS.usage}`,
        },
        dropFirstDeliveries: num('--drop-first', args['drop-first'], 0, 0, 1e6),
        usageIntervalMs: num('--usage-interval-ms', args['usage-interval-ms'], 60_000, 100, 86_400_000),
        seed: num('--seed', args.seed, 1, 0, 2 ** 31) + i,
        onEvent: (event) => {
          const line = args.quiet ? null : describe(event);
          if (line !== null) process.stdout.write(`${line}\n`);
        },
      }),
  );
  await Promise.all(agents.map((a) => a.start()));
  process.stdout.write(`agents running for ${clusters.join(', ')} (state in ${stateDir})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.all(agents.map((a) => a.stop()));
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(usage, main);
