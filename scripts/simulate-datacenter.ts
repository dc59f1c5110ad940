// Data-center simulator: publishes cluster load reports (gridshift.cluster-load.v1) for a fleet file,
// with each site's daily load shape, every N simulated minutes, at a chosen speed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS } from '#gridshift/contracts';
import { findDataDir } from '#gridshift/datasets';
import { parseFleetFile } from '#gridshift/fleet';
import { loadReportMessages } from '#gridshift/simulation';
import { publishTimed } from './lib/publish.js';
import { parseCli, parseSpeed, parseUtc, runCli, UsageError } from './lib/cli.js';

const usage = `usage: node dist/scripts/simulate-datacenter.js --from 2023-03-01 [options]
  --fleet FILE           fleet file (JSON or YAML)                       (default: data/demo/fleet.yaml)
  --from DATE|ISO        first report time (UTC)                         (required)
  --to DATE|ISO          end, exclusive (UTC)                            (default: from + 1 day)
  --interval MINUTES     minutes between reports per cluster             (default: 15)
  --speed N|max          simulated seconds per real second               (default: max)
  --brokers H:P,...      Kafka brokers                                   (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --topic-prefix P       prefix of gridshift topics                      (default: $KAFKA_TOPIC_PREFIX or none)
  --dry-run              print what would be sent, send nothing`;

async function main(): Promise<void> {
  const args = parseCli(usage, {
    fleet: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    interval: { type: 'string' },
    speed: { type: 'string' },
    brokers: { type: 'string' },
    'topic-prefix': { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const fleetPath = args.fleet ?? join(findDataDir(), 'demo/fleet.yaml');
  const fleet = parseFleetFile(fleetPath, readFileSync(fleetPath, 'utf8'));
  const from = parseUtc('--from', args.from);
  const to = args.to ? parseUtc('--to', args.to) : from + 86_400_000;
  if (to <= from) throw new UsageError('--to must be after --from');
  const interval = Number(args.interval ?? 15);
  if (!Number.isInteger(interval) || interval < 1 || interval > 1440)
    throw new UsageError(`--interval must be whole minutes between 1 and 1440, got ${args.interval}`);
  const messages = loadReportMessages({
    clusters: fleet.clusters,
    fromUtc: new Date(from).toISOString(),
    toUtc: new Date(to).toISOString(),
    intervalMinutes: interval,
  });
  const topic = `${args['topic-prefix'] ?? process.env.KAFKA_TOPIC_PREFIX ?? ''}${TOPICS.clusterLoad}`;
  process.stdout.write(`${messages.length} load reports for ${fleet.clusters.length} clusters → ${topic}\n`);
  if (args['dry-run']) return;
  const sent = await publishTimed(messages, {
    topic,
    clientId: 'gridshift-sim-datacenter',
    speed: parseSpeed(args.speed),
    ...(args.brokers ? { brokers: args.brokers } : {}),
  });
  process.stdout.write(`sent ${sent} reports\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(usage, main);
