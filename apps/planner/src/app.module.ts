import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '#gridshift/observability';
import { LOGGER, PlatformModule, TopicProvisioner } from '#gridshift/platform';
import type { PlannerConfig } from './config.js';

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
export class PlannerModule {
  static forRoot(config: PlannerConfig, logger: Logger): DynamicModule {
    return {
      module: PlannerModule,
      imports: [PlatformModule.forRoot({ appName: 'planner', config, logger })],
      providers: [ProvisionTopicsAtBoot],
    };
  }
}
