// OpenADR 3 VEN: polls a VTN's GET /events and publishes them on gridshift.grid-events.v1 (see libs/openadr-ven).
import { createServer } from 'node:http';
import { dlqTopic, TOPICS } from '#gridshift/contracts';
import { createKafka } from '#gridshift/messaging';
import { createLogger } from '#gridshift/observability';
import { OpenAdrVen } from '#gridshift/openadr-ven';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const usage = `usage: npm run openadr:ven -- --vtn URL [options]
  --vtn URL               base URL of the VTN's OpenADR 3 API (GET URL/events)   (required)
  --token T               bearer token for the VTN             (default: $OPENADR_TOKEN or none)
  --program ID            only events of this programID                          (default: all)
  --zone Z[,Z…]           zones of events without a ZONE target                  (default: none: dead-lettered)
  --zone-target-type T    OpenADR target type naming gridshift zones             (default: ZONE)
  --compliance C          mandatory or voluntary (OpenADR events do not say)     (default: mandatory)
  --incentive-per-mwh N   incentive of voluntary events                          (required with voluntary)
  --currency C            currency of the incentive and of PRICE payloads without one
  --poll-ms MS            poll interval                                          (default: 10000)
  --metrics-port P        serve Prometheus metrics on 127.0.0.1:P/metrics        (default: off)
  --once                  poll once, print what was published, exit
  --brokers H:P,...       Kafka brokers                     (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --topic-prefix P        prefix of gridshift topics        (default: $KAFKA_TOPIC_PREFIX or none)`;

async function main(): Promise<void> {
  const args = parseCli(usage, {
    vtn: { type: 'string' },
    token: { type: 'string' },
    program: { type: 'string' },
    zone: { type: 'string' },
    'zone-target-type': { type: 'string' },
    compliance: { type: 'string' },
    'incentive-per-mwh': { type: 'string' },
    currency: { type: 'string' },
    'poll-ms': { type: 'string' },
    'metrics-port': { type: 'string' },
    once: { type: 'boolean' },
    brokers: { type: 'string' },
    'topic-prefix': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (!args.vtn) throw new UsageError('--vtn is required');
  let vtn: URL;
  try {
    vtn = new URL(args.vtn);
  } catch {
    throw new UsageError(`--vtn is not a URL: ${args.vtn}`);
  }
  if (vtn.protocol !== 'http:' && vtn.protocol !== 'https:') throw new UsageError('--vtn must be http(s)');
  const compliance = args.compliance ?? 'mandatory';
  if (compliance !== 'mandatory' && compliance !== 'voluntary')
    throw new UsageError('--compliance must be mandatory or voluntary');
  const incentive = args['incentive-per-mwh'] === undefined ? undefined : Number(args['incentive-per-mwh']);
  if (incentive !== undefined && !(Number.isFinite(incentive) && incentive >= 0))
    throw new UsageError('--incentive-per-mwh must be a number ≥ 0');
  if (compliance === 'voluntary' && (incentive === undefined || !args.currency))
    throw new UsageError('--compliance voluntary needs --incentive-per-mwh and --currency');
  const pollMs = Number(args['poll-ms'] ?? 10_000);
  if (!Number.isInteger(pollMs) || pollMs < 100) throw new UsageError('--poll-ms must be an integer ≥ 100');
  const metricsPort = args['metrics-port'] === undefined ? undefined : Number(args['metrics-port']);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort > 0 && metricsPort < 65536))
    throw new UsageError('--metrics-port must be a TCP port');
  const prefix = args['topic-prefix'] ?? process.env.KAFKA_TOPIC_PREFIX ?? '';
  const brokers = (args.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const logger = createLogger({ name: 'openadr-ven', level: process.env.LOG_LEVEL ?? 'info' });
  const ven = new OpenAdrVen({
    vtnUrl: vtn.toString(),
    token: args.token ?? process.env.OPENADR_TOKEN,
    programId: args.program,
    kafka: createKafka({ clientId: 'gridshift-openadr-ven', brokers }),
    topics: {
      gridEvents: `${prefix}${TOPICS.gridEvents}`,
      deadLetters: dlqTopic(`${prefix}${TOPICS.gridEvents}`),
    },
    mapping: {
      zones: args.zone ? args.zone.split(',').map((z) => z.trim()) : [],
      ...(args['zone-target-type'] ? { zoneTargetType: args['zone-target-type'] } : {}),
      compliance,
      ...(incentive !== undefined ? { incentivePerMwh: incentive } : {}),
      ...(args.currency ? { currency: args.currency } : {}),
    },
    pollMs,
    logger,
  });
  if (args.once) {
    try {
      const outcome = await ven.pollOnce();
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
    } finally {
      await ven.stop();
    }
    return;
  }
  const server =
    metricsPort === undefined
      ? null
      : createServer((req, res) => {
          if (req.url !== '/metrics') {
            res.writeHead(404).end();
            return;
          }
          void ven.metricsRegistry.metrics().then((text) => {
            res.writeHead(200, { 'content-type': ven.metricsRegistry.contentType }).end(text);
          });
        }).listen(metricsPort, '127.0.0.1');
  await ven.start();
  logger.info({ vtn: vtn.toString(), program: args.program ?? null, pollMs }, 'OpenADR VEN polling');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await ven.stop();
  server?.close();
}

runCli(usage, main);
