// Energy-partner simulator: replays real day-ahead prices (data/prices, with carbon where shipped) into
// gridshift.prices.v1 as one curve per zone and day, issued the day before, at a chosen speed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS, type PriceMessageV1 } from '#gridshift/contracts';
import { BacktestInputError, readZoneCarbon, readZonePrices } from '#gridshift/backtest';
import { findDataDir, SHIPPED_DATA, zoneRules } from '#gridshift/datasets';
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
  --prices DIR           price CSVs in the format of the shipped files, one per zone, named
                         <ZONE>_electricity_prices_*.csv (e.g. a full year)  (default: <data-dir>/prices)
  --carbon DIR           carbon CSVs named <ZONE>_*hourly.csv            (default: <data-dir>/carbon)
  --dry-run              print what would be sent, send nothing`;

/**
 * Builds the day-ahead messages for the chosen zones and period from price CSV files (the shipped slice by
 * default, or any folder of files in the same format, read like the backtest reads them), with carbon where a
 * carbon file exists.
 */
export function partnerMessages(opts: {
  dataDir: string;
  zones: string[];
  fromUtc: string;
  toUtc: string;
  partnerId: string;
  pricesDir?: string;
  carbonDir?: string;
}): TimedMessage<PriceMessageV1>[] {
  try {
    const carbonDir = opts.carbonDir ?? join(opts.dataDir, 'carbon');
    return dayAheadMessages({
      series: readZonePrices(opts.pricesDir ?? join(opts.dataDir, 'prices'), opts.zones),
      carbon: existsSync(carbonDir) ? Object.fromEntries(readZoneCarbon(carbonDir, opts.zones)) : {},
      fromUtc: opts.fromUtc,
      toUtc: opts.toUtc,
      partnerId: opts.partnerId,
    });
  } catch (error) {
    if (error instanceof BacktestInputError) throw new UsageError(error.message);
    throw error;
  }
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
    prices: { type: 'string' },
    carbon: { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const from = parseUtc('--from', args.from);
  const to = args.to ? parseUtc('--to', args.to) : from + 86_400_000;
  if (to <= from) throw new UsageError('--to must be after --from');
  const zones = args.zones ? args.zones.split(',').map((z) => z.trim()) : [...SHIPPED_DATA.priceZones];
  for (const zone of zones)
    if (zoneRules[zone] === undefined)
      throw new UsageError(`unknown zone ${zone}; known: ${Object.keys(zoneRules).join(', ')}`);
  const speed = parseSpeed(args.speed);
  const messages = partnerMessages({
    dataDir: args['data-dir'] ?? findDataDir(),
    ...(args.prices ? { pricesDir: args.prices } : {}),
    ...(args.carbon ? { carbonDir: args.carbon } : {}),
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
