import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import type { Logger } from '#gridshift/observability';
import { APP_CONFIG, LOGGER, PlatformModule, TopicProvisioner } from '#gridshift/platform';
import { AlertsController } from './alerts/alerts.controller.js';
import { AuditController } from './audit/audit.controller.js';
import { AccessGuard } from './auth/access.guard.js';
import { ApiKeyRepository } from '#gridshift/persistence';
import { Authenticator } from './auth/authenticator.js';
import { KeyThrottlerGuard } from './auth/throttle.guard.js';
import type { AdminApiConfig } from './config.js';
import { ClustersController, ZonesController } from './fleet/fleet.controller.js';
import { FleetService } from './fleet/fleet.service.js';
import { GridEventsController } from './grid-events/grid-events.controller.js';
import { ControlCharacterPipe } from './http/control-chars.js';
import { ProblemFilter } from './http/problem-details.js';
import { JobsController } from './jobs/jobs.controller.js';
import { JobsService } from './jobs/jobs.service.js';
import { ApiKeyCommands } from './keys/api-key.commands.js';
import { KeysController } from './keys/keys.controller.js';
import { MarketController } from './market/market.controller.js';
import { ReportsController } from './reports/savings.controller.js';
import { SavingsReporter } from './reports/savings.service.js';
import { MeasuredSavingsController, MeasuredSavingsReporter } from './reports/measured-savings.controller.js';
import { DeliveryController } from './schedules/delivery.controller.js';
import { PlansController } from './schedules/plans.controller.js';
import { ScheduleFactsCache } from './schedules/schedule-facts.cache.js';
import { ScheduleViews } from './schedules/schedule-views.js';
import { SchedulesController } from './schedules/schedules.controller.js';
import { SchedulingAdapter } from './schedules/scheduling.adapter.js';
import { SCHEDULING } from './schedules/scheduling.port.js';
import { WhatIfRunner } from './schedules/what-if.runner.js';

/** Creates the gridshift topics at boot (idempotent) and seeds ADMIN_BOOTSTRAP_KEY when set. */
@Injectable()
class AdminApiBoot implements OnApplicationBootstrap {
  constructor(
    private readonly topics: TopicProvisioner,
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AdminApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const created = await this.topics.ensure();
    if (created.length > 0) this.logger.info({ created }, 'topics created');
    if (this.config.ADMIN_BOOTSTRAP_KEY) {
      const added = await new ApiKeyCommands(this.db).ensureBootstrapKey(this.config.ADMIN_BOOTSTRAP_KEY);
      if (added) this.logger.info('ADMIN_BOOTSTRAP_KEY stored as admin key "bootstrap-admin"');
    }
  }
}

/** Every controller of the admin API (the health probes come from PlatformModule); the offline OpenAPI build reads it. */
export const ADMIN_API_CONTROLLERS = [
  KeysController,
  ClustersController,
  ZonesController,
  JobsController,
  MarketController,
  SchedulesController,
  PlansController,
  ReportsController,
  MeasuredSavingsController,
  DeliveryController,
  AuditController,
  GridEventsController,
  AlertsController,
];

@Module({})
export class AdminApiModule {
  static forRoot(config: AdminApiConfig, logger: Logger): DynamicModule {
    return {
      module: AdminApiModule,
      imports: [
        PlatformModule.forRoot({ appName: 'admin-api', config, logger }),
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: 60_000, limit: config.RATE_LIMIT_PER_MINUTE }],
          errorMessage: `rate limit exceeded: at most ${config.RATE_LIMIT_PER_MINUTE} requests per minute per key`,
        }),
      ],
      controllers: ADMIN_API_CONTROLLERS,
      providers: [
        AdminApiBoot,
        {
          provide: ApiKeyRepository,
          inject: [DataSource],
          useFactory: (db: DataSource) => new ApiKeyRepository(db),
        },
        {
          provide: SCHEDULING,
          inject: [DataSource],
          useFactory: (db: DataSource) => new SchedulingAdapter(db),
        },
        Authenticator,
        FleetService,
        JobsService,
        ScheduleFactsCache,
        ScheduleViews,
        SavingsReporter,
        MeasuredSavingsReporter,
        WhatIfRunner,
        // Order matters: authenticate and authorise first, then rate-limit per key.
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useClass: KeyThrottlerGuard },
        // Runs before every route's own ZodPipe: no control character reaches a handler.
        { provide: APP_PIPE, useClass: ControlCharacterPipe },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
