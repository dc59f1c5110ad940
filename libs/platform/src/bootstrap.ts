import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, DynamicModule } from '@nestjs/common';
import { ConfigError, loadConfig, type ConfigShape, type ConfigOf } from '#gridshift/config';
import { createLogger, type Logger } from '#gridshift/observability';
import { PinoNestLogger } from './nest-logger.js';

export interface BootOptions<S extends ConfigShape> {
  appName: string;
  shape: S;
  /** Builds the root module from the validated config. */
  module: (config: ConfigOf<S>, logger: Logger) => DynamicModule;
  port: (config: ConfigOf<S>) => number;
  host: (config: ConfigOf<S>) => string;
  configure?: (app: INestApplication, config: ConfigOf<S>) => void | Promise<void>;
}

const STOP_TIMEOUT_MS = 30_000;

/** Validates config (one clear line and exit 2 when bad), starts the Nest app, stops cleanly on SIGTERM/SIGINT. */
export async function bootstrap<S extends ConfigShape>(options: BootOptions<S>): Promise<INestApplication> {
  let config: ConfigOf<S>;
  try {
    config = loadConfig(options.shape);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.appName}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const cfg = config as ConfigOf<S> & { LOG_LEVEL?: string; LOG_FORMAT?: 'auto' | 'json' | 'pretty' };
  const logger = createLogger({ name: options.appName, level: cfg.LOG_LEVEL, format: cfg.LOG_FORMAT });
  try {
    const app = await NestFactory.create(options.module(config, logger), {
      logger: new PinoNestLogger(logger),
      bufferLogs: false,
    });
    // Graceful stop: SIGTERM/SIGINT run the shutdown hooks (consumers finish their chunk, relays stop), then
    // exit 0; a stop that hangs is cut off after STOP_TIMEOUT_MS with exit 1.
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, `${options.appName} stopping`);
      const timer = setTimeout(() => {
        logger.error(`${options.appName} did not stop in time`);
        process.exit(1);
      }, STOP_TIMEOUT_MS);
      timer.unref();
      app
        .close()
        .then(() => {
          logger.info(`${options.appName} stopped`);
          logger.flush();
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, `${options.appName} failed to stop cleanly`);
          process.exit(1);
        });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await options.configure?.(app, config);
    await app.listen(options.port(config), options.host(config));
    logger.info({ url: await app.getUrl() }, `${options.appName} listening`);
    return app;
  } catch (error) {
    logger.fatal({ err: error }, `${options.appName} failed to start`);
    process.stderr.write(
      `${options.appName}: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}
