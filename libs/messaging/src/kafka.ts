import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '#gridshift/observability';
import { useGridshiftGzip } from './compression.js';
import { installRequestQueueFix } from './request-queue-fix.js';

// Every client made in this process gets kafkajs's request queue without its 1 ms timer loop (request-queue-fix.ts).
installRequestQueueFix();

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  sasl?: SASLOptions;
  ssl?: boolean;
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * A kafkajs client whose own log lines go through the app's pino logger. Its producers' gzip is gridshift's
 * faster level (`useGridshiftGzip`).
 */
export function createKafka(options: KafkaOptions): Kafka {
  useGridshiftGzip();
  const logger = options.logger;
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...(options.sasl ? { sasl: options.sasl } : {}),
    ...(options.ssl ? { ssl: true } : {}),
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        if (!logger) return;
        const { message, ...extra } = log;
        logger[levelNames[level] ?? 'info']({ kafka: namespace, ...extra }, message);
      },
  });
}
