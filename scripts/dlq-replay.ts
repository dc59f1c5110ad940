// Re-publishes dead letters of one code to their source topic, e.g. UNKNOWN_ZONE prices once the zone is
// registered. See apps/ingest/README.md, "Data path".
import { CONSUMER_DEAD_LETTER_CODES, DEAD_LETTER_CODES } from '#gridshift/contracts';
import { createKafka, replayDeadLetters } from '#gridshift/messaging';
import { parseCli, parseUtc, runCli, UsageError } from './lib/cli.js';

const usage = `usage: npm run dlq:replay -- --topic gridshift.prices.v1.dlq --code UNKNOWN_ZONE [options]
  --topic T              dead-letter topic to read                       (required)
  --code CODE            error-code of the dead letters to replay        (required)
  --since DATE|ISO       only dead letters written at or after this time (default: all)
  --brokers H:P,...      Kafka brokers                                   (default: $KAFKA_BROKERS or 127.0.0.1:9092)
  --dry-run              count and list, send nothing

Each matching dead letter's original key, value and headers go back to its source-topic; the ingest validates
them again (still unregistered → back on the dead-letter topic). Dead letters that hold a reference instead of
the value (it was too large for the dead-letter topic) are listed, not replayed. Safe to run twice: the ingest
stores idempotently.`;

async function main(): Promise<void> {
  const args = parseCli(usage, {
    topic: { type: 'string' },
    code: { type: 'string' },
    since: { type: 'string' },
    brokers: { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (!args.topic) throw new UsageError('--topic is required');
  if (!args.code) throw new UsageError('--code is required');
  const codes: readonly string[] = [...DEAD_LETTER_CODES, ...CONSUMER_DEAD_LETTER_CODES];
  if (!codes.includes(args.code))
    throw new UsageError(`unknown --code ${args.code}; one of ${codes.join(', ')}`);
  const kafka = createKafka({
    brokers: (args.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'gridshift-dlq-replay',
  });
  const report = await replayDeadLetters(kafka, {
    topic: args.topic,
    code: args.code,
    ...(args.since ? { sinceMs: parseUtc('--since', args.since) } : {}),
    dryRun: args['dry-run'] ?? false,
  });
  process.stdout.write(
    `${args.topic}: ${report.scanned} dead letters read, ${report.matched} with ${args.code}, ` +
      `${report.replayed} replayed${args['dry-run'] ? ' (dry run)' : ''}, ${report.unreplayable.length} hold a reference (not replayed)\n`,
  );
  for (const u of report.unreplayable)
    process.stdout.write(
      `  reference only: ${u.sourceTopic}/${u.sourcePartition}/${u.sourceOffset} (dead letter ${u.dlqPartition}/${u.dlqOffset})\n`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(usage, main);
