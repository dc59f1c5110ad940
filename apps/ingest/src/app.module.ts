import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '#gridshift/observability';
import { LOGGER, PlatformModule, TopicProvisioner } from '#gridshift/platform';
import type { IngestConfig } from './config.js';
import { IngestService } from './ingest.service.js';

/** Creates the gridshift topics at boot (idempotent), in the background: Kafka may be away; consumers retry it. */
@Injectable()
class ProvisionTopicsAtBoot implements OnApplicationBootstrap {
  constructor(
    private readonly topics: TopicProvisioner,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.topics
      .ensure()
      .then((created) => {
        if (created.length > 0) this.logger.info({ created }, 'topics created');
      })
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'topics not created yet (Kafka unreachable?)'),
      );
  }
}

@Module({})
export class IngestModule {
  static forRoot(config: IngestConfig, logger: Logger): DynamicModule {
    return {
      module: IngestModule,
      imports: [PlatformModule.forRoot({ appName: 'ingest', config, logger })],
      providers: [ProvisionTopicsAtBoot, IngestService],
    };
  }
}
