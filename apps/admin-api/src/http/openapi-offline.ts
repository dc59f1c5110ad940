import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { OpenAPIObject } from '@nestjs/swagger';
import { HealthController } from '#gridshift/platform';
import { ADMIN_API_CONTROLLERS } from '../app.module.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * The admin API's OpenAPI document without a database, Kafka or a listening port: the same controllers and
 * the same `buildOpenApiDocument` as the running API, with every constructor dependency replaced by an empty
 * object (the document reads only route metadata, never a provider). The console's typed client is generated
 * from it (scripts/gen-openapi.ts).
 */
export async function offlineOpenApiDocument(): Promise<OpenAPIObject> {
  const moduleRef = await Test.createTestingModule({
    controllers: [HealthController, ...ADMIN_API_CONTROLLERS],
  })
    .useMocker(() => ({}))
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
