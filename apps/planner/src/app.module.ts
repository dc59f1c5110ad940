import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from '#gridshift/observability';
import { PlatformModule } from '#gridshift/platform';
import type { PlannerConfig } from './config.js';
import { PlannerService } from './planner.service.js';
import { plannerTriggers } from './triggers.js';

@Module({})
export class PlannerModule {
  static forRoot(config: PlannerConfig, logger: Logger): DynamicModule {
    return {
      module: PlannerModule,
      imports: [PlatformModule.forRoot({ appName: 'planner', config, logger }), ScheduleModule.forRoot()],
      providers: [PlannerService, plannerTriggers(config)],
    };
  }
}
