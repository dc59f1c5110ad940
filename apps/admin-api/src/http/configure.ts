import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AdminApiConfig } from '../config.js';
import { setupDocs } from './openapi.js';

/** HTTP settings of the admin API: JSON body limit, no `x-powered-by`, trusted proxy hops, docs. */
export function configureHttp(app: INestApplication, config: Pick<AdminApiConfig, 'BODY_LIMIT_KB'>): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: `${config.BODY_LIMIT_KB}kb` });
  express.disable('x-powered-by');
  setupDocs(app);
}
