import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** `auto`: pretty in a terminal, JSON otherwise (production, CI, pipes). */
  format?: 'auto' | 'json' | 'pretty';
}

/** A pino logger: JSON lines in production and pipes, human-readable in a terminal. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format !== 'json' && process.stdout.isTTY === true);
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    base: { app: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
