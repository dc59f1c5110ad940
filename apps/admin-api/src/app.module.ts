import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '#gridshift/observability';
import { LOGGER, PlatformModule, TopicProvisioner } from '#gridshift/platform';
import type { AdminApiConfig } from './config.js';

/** Creates the gridshift topics at boot (idempotent). */
@Injectable()
class ProvisionTopicsAtBoot implements OnApplicationBootstrap {
  constructor(
    private readonly topics: TopicProvisioner,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const created = await this.topics.ensure();
    if (created.length > 0) this.logger.info({ created }, 'topics created');
  }
}

@Module({})
export class AdminApiModule {
  static forRoot(config: AdminApiConfig, logger: Logger): DynamicModule {
    return {
      module: AdminApiModule,
      imports: [PlatformModule.forRoot({ appName: 'admin-api', config, logger })],
      providers: [ProvisionTopicsAtBoot],
    };
  }
}
