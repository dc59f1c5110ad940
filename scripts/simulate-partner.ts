// Energy-partner simulator: replays real day-ahead prices (data/prices, with carbon where shipped) into
// gridshift.prices.v1 as one curve per zone and day, issued the day before, at a chosen speed.
import { join } from 'node:path';
import { TOPICS, type PriceMessageV1 } from '#gridshift/contracts';
import {
  findDataDir,
  readCarbonCsv,
  readPriceCsv,
  SHIPPED_DATA,
  type CarbonSeries,
} from '#gridshift/datasets';
import { dayAheadMessages, type TimedMessage } from '#gridshift/simulation';
import { publishTimed } from './lib/publish.js';
import { parseCli, parseSpeed, parseUtc, runCli, UsageError } from './lib/cli.js';

const usage = `usage: node dist/scripts/simulate-partner.js --from 2023-03-01 --to 2023-03-03 [options]
  --from DATE|ISO        first delivery day (UTC)                        (required)
  --to DATE|ISO          end of delivery, exclusive (UTC)                (default: from + 1 day)
  --zones A,B            zones to publish                                (default: every shipped zone)
  --speed N|max          simulated seconds per real second               (default: max)
  --partner-id ID        partnerId of the messages                       (default: sim-partner)
  --brokers H:P,...      Kafka brokers                                   (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --topic-prefix P       prefix of gridshift topics                      (default: $KAFKA_TOPIC_PREFIX or none)
  --data-dir DIR         folder with prices/ and carbon/                 (default: the repository's data/)
  --dry-run              print what would be sent, send nothing`;

/** Builds the day-ahead messages for the chosen zones and period from the shipped CSV files. */
export function partnerMessages(opts: {
  dataDir: string;
  zones: string[];
  fromUtc: string;
  toUtc: string;
  partnerId: string;
}): TimedMessage<PriceMessageV1>[] {
  const series = opts.zones.map((zone) => readPriceCsv(join(opts.dataDir, SHIPPED_DATA.price(zone)), zone));
  const carbon: Record<string, CarbonSeries> = {};
  for (const zone of opts.zones) {
    if ((SHIPPED_DATA.carbonZones as readonly string[]).includes(zone))
      carbon[zone] = readCarbonCsv(join(opts.dataDir, SHIPPED_DATA.carbon(zone)));
  }
  return dayAheadMessages({
    series,
    carbon,
    fromUtc: opts.fromUtc,
    toUtc: opts.toUtc,
    partnerId: opts.partnerId,
  });
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    from: { type: 'string' },
    to: { type: 'string' },
    zones: { type: 'string' },
    speed: { type: 'string' },
    'partner-id': { type: 'string' },
    brokers: { type: 'string' },
    'topic-prefix': { type: 'string' },
    'data-dir': { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const from = parseUtc('--from', args.from);
  const to = args.to ? parseUtc('--to', args.to) : from + 86_400_000;
  if (to <= from) throw new UsageError('--to must be after --from');
  const zones = args.zones ? args.zones.split(',').map((z) => z.trim()) : [...SHIPPED_DATA.priceZones];
  for (const zone of zones)
    if (!(SHIPPED_DATA.priceZones as readonly string[]).includes(zone))
      throw new UsageError(
        `no shipped prices for zone ${zone}; shipped: ${SHIPPED_DATA.priceZones.join(', ')}`,
      );
  const speed = parseSpeed(args.speed);
  const messages = partnerMessages({
    dataDir: args['data-dir'] ?? findDataDir(),
    zones,
    fromUtc: new Date(from).toISOString(),
    toUtc: new Date(to).toISOString(),
    partnerId: args['partner-id'] ?? 'sim-partner',
  });
  const points = messages.reduce((s, m) => s + m.value.points.length, 0);
  const topic = `${args['topic-prefix'] ?? process.env.KAFKA_TOPIC_PREFIX ?? ''}${TOPICS.prices}`;
  process.stdout.write(`${messages.length} curves (${points} points) for ${zones.length} zones → ${topic}\n`);
  if (args['dry-run']) {
    for (const m of messages)
      process.stdout.write(`${new Date(m.atMs).toISOString()} ${m.key} ${m.value.points.length} points\n`);
    return;
  }
  const sent = await publishTimed(messages, {
    topic,
    clientId: 'gridshift-sim-partner',
    speed: speed,
    ...(args.brokers ? { brokers: args.brokers } : {}),
  });
  process.stdout.write(`sent ${sent} messages\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(usage, main);
