import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** `auto`: pretty in a terminal, JSON otherwise (production, CI, pipes). */
  format?: 'auto' | 'json' | 'pretty';
}

const MAX_QUERY_CHARS = 2000;
const MAX_MESSAGE_CHARS = 4000;

/**
 * pino's error serializer, without the bulk a database error carries: TypeORM's QueryFailedError holds every bound
 * parameter of the failed statement (a schedule insert binds megabytes of JSON), and serialising that blocks the
 * event loop and floods the log. Parameters are counted, not logged; the query and message are cut.
 */
export function compactError(error: unknown): unknown {
  const out = pino.stdSerializers.err(error as Error) as unknown;
  if (typeof out !== 'object' || out === null) return out;
  const record = out as Record<string, unknown>;
  if ('parameters' in record)
    record.parameters = `[${Array.isArray(record.parameters) ? record.parameters.length : 'some'} parameters left out]`;
  if (typeof record.query === 'string' && record.query.length > MAX_QUERY_CHARS)
    record.query = `${record.query.slice(0, MAX_QUERY_CHARS)}…`;
  if (typeof record.message === 'string' && record.message.length > MAX_MESSAGE_CHARS)
    record.message = `${record.message.slice(0, MAX_MESSAGE_CHARS)}…`;
  return record;
}

/** A pino logger: JSON lines in production and pipes, human-readable in a terminal. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format !== 'json' && process.stdout.isTTY === true);
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    base: { app: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: compactError },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
