import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { CommonConfig } from '#gridshift/config';
import { createKafka, kafkaReachable } from '#gridshift/messaging';
import { createMetricsRegistry, type Logger } from '#gridshift/observability';
import { createDataSource, migrate, pingDatabase } from '#gridshift/persistence';
import { ConsumerStatusBoard } from './consumers.js';
import { HealthController, type ReadinessCheck } from './health.controller.js';
import { TopicProvisioner, topicNames } from './topics.js';
import { APP_CONFIG, CONSUMERS, KAFKA, LOGGER, METRICS, READINESS_CHECKS } from './tokens.js';

export interface PlatformOptions {
  appName: string;
  config: CommonConfig & { MIGRATE_ON_BOOT?: boolean; INGEST_MAX_MESSAGE_BYTES?: number };
  logger: Logger;
}

/** Config, logger, metrics, PostgreSQL (migrated at boot when asked), Kafka and the health endpoints. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const { config, logger, appName } = options;
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      { provide: CONSUMERS, useValue: new ConsumerStatusBoard(config.CONSUMER_STUCK_GRACE_MS) },
      { provide: METRICS, useValue: createMetricsRegistry(appName) },
      {
        provide: KAFKA,
        useFactory: () =>
          createKafka({
            brokers: config.KAFKA_BROKERS,
            clientId: `${config.KAFKA_CLIENT_ID}-${appName}`,
            logger,
          }),
      },
      {
        provide: DataSource,
        useFactory: async () => {
          const dataSource = createDataSource({
            url: config.DATABASE_URL,
            schema: config.DATABASE_SCHEMA,
            poolMax: config.DATABASE_POOL_MAX,
            applicationName: `gridshift-${appName}`,
          });
          await dataSource.initialize();
          if (config.MIGRATE_ON_BOOT) {
            const applied = await migrate(dataSource);
            if (applied.length > 0) logger.info({ applied }, 'migrations applied');
          }
          return dataSource;
        },
      },
      {
        provide: TopicProvisioner,
        inject: [KAFKA],
        useFactory: (kafka: Kafka) =>
          new TopicProvisioner(
            kafka,
            topicNames(config.KAFKA_TOPIC_PREFIX ?? ''),
            config.KAFKA_TOPIC_PARTITIONS,
            config.KAFKA_REPLICATION_FACTOR,
            config.INGEST_MAX_MESSAGE_BYTES,
          ),
      },
      {
        provide: READINESS_CHECKS,
        inject: [DataSource, KAFKA],
        useFactory: (dataSource: DataSource, kafka: Kafka): ReadinessCheck[] => [
          {
            name: 'postgres',
            check: async () => {
              await pingDatabase(dataSource);
              return true;
            },
          },
          { name: 'kafka', check: () => kafkaReachable(kafka) },
        ],
      },
    ];
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers,
      exports: [
        APP_CONFIG,
        LOGGER,
        METRICS,
        KAFKA,
        DataSource,
        READINESS_CHECKS,
        TopicProvisioner,
        CONSUMERS,
      ],
    };
  }
}
