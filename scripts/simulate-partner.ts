// Energy-partner simulator: replays real day-ahead prices (data/prices, with carbon where shipped) into
// gridshift.prices.v1 as one curve per zone and day, issued the day before, at a chosen speed; or, with --events,
// publishes demand-response events from a JSON file into gridshift.grid-events.v1.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  formatPath,
  GridEventMessageV1Schema,
  TOPICS,
  type GridEventMessageV1,
  type PriceMessageV1,
} from '#gridshift/contracts';
import { BacktestInputError, readZoneCarbon, readZonePrices } from '#gridshift/backtest';
import { findDataDir, SHIPPED_DATA, zoneRules } from '#gridshift/datasets';
import { dayAheadMessages, type TimedMessage } from '#gridshift/simulation';
import { publishTimed } from './lib/publish.js';
import { parseCli, parseSpeed, parseUtc, runCli, UsageError } from './lib/cli.js';

const usage = `usage: node dist/scripts/simulate-partner.js --from 2023-03-01 --to 2023-03-03 [options]
       node dist/scripts/simulate-partner.js --events FILE [--brokers …] [--topic-prefix …] [--dry-run]
  --events FILE          publish the grid events in FILE (a JSON array of gridshift.grid-events.v1 messages, or
                         one message) to gridshift.grid-events.v1, keyed by their first target zone
  --from DATE|ISO        first delivery day (UTC)                        (required without --events)
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

/** The grid events of a file (one message or an array), checked against the contract's schema. */
export function readGridEvents(file: string): TimedMessage<GridEventMessageV1>[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new UsageError(`--events ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = z
    .array(GridEventMessageV1Schema)
    .min(1)
    .safeParse(Array.isArray(json) ? json : [json]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--events ${file}: ${formatPath(issue.path)}: ${issue.message}`);
  }
  const nowMs = Date.now();
  return parsed.data.map((value) => ({
    atMs: nowMs,
    key: value.targets.zones[0]!,
    value,
    messageId: randomUUID(),
  }));
}

async function main(): Promise<void> {
  const args = parseCli(usage, {
    events: { type: 'string' },
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
  const prefix = args['topic-prefix'] ?? process.env.KAFKA_TOPIC_PREFIX ?? '';
  if (args.events) {
    const events = readGridEvents(args.events);
    const topic = `${prefix}${TOPICS.gridEvents}`;
    process.stdout.write(`${events.length} grid event(s) → ${topic}\n`);
    for (const e of events)
      process.stdout.write(
        `  ${e.value.eventId} rev ${e.value.modificationNumber} ${e.value.compliance}${e.value.cancelled ? ' (cancel)' : ''} → key ${e.key}\n`,
      );
    if (args['dry-run']) return;
    const sent = await publishTimed(events, {
      topic,
      clientId: 'gridshift-sim-partner',
      speed: Number.POSITIVE_INFINITY,
      ...(args.brokers ? { brokers: args.brokers } : {}),
    });
    process.stdout.write(`sent ${sent} messages\n`);
    return;
  }
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
  const topic = `${prefix}${TOPICS.prices}`;
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
