import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemSchema } from './problem-details.js';
import { jsonSchemaOf, registeredComponents } from './zod.js';

const PUBLIC_PATHS = new Set(['/health', '/ready', '/metrics']);
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const DESCRIPTION = `
Operators review, approve, override and audit gridshift schedules here.

**Authentication.** Send an API key as \`Authorization: Bearer <key>\`. Roles are ordered
\`viewer\` < \`operator\` < \`admin\`; each operation names the least role it needs (\`x-required-role\`).
Viewers read everything; operators manage jobs and act on schedules (approve, reject, pin/forbid,
re-plan, what-if); admins also manage clusters, zones, exchange rates and API keys.
Only \`/health\`, \`/ready\`, \`/metrics\` (unless METRICS_PUBLIC=false) and these docs need no key.

**Errors** are \`application/problem+json\` (RFC 9457) with \`type\`, \`title\`, \`status\`, \`detail\`,
\`instance\` and, for invalid input, \`errors: [{ field, in, message }]\` naming every invalid field.

**Input rules.** Text holding a control character (U+0000–U+001F, U+007F) is refused with 400 naming the
field; only \`reason\` fields may hold tab and line breaks. Operator-entered numbers must lie in the
plausible range stated in each field's description (400 naming the field and the range).

**Rate limit.** RATE_LIMIT_PER_MINUTE requests per key; 429 with
\`Retry-After\` beyond that. AUTH_FAILURES_PER_MINUTE unknown keys per client address, then 429. One
what-if at a time per API process: 429 with \`Retry-After\` while one runs.
`.trim();

/** The OpenAPI document: Nest routes + the zod components + problem responses on every operation. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('gridshift admin API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (`gsk_…`).' }, 'apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...(registeredComponents() as NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>),
      Problem: jsonSchemaOf(ProblemSchema, 'output') as never,
    },
  };
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (PUBLIC_PATHS.has(path)) {
        operation.tags = ['health'];
        operation.security = [];
        continue;
      }
      operation.responses = {
        ...operation.responses,
        401: problem('No key, or an unknown or revoked key.'),
        403: problem('The key’s role is below the one this operation needs.'),
        429: problem('Rate limit exceeded; retry after `Retry-After` seconds.'),
      };
    }
  }
  return document;
}

/** Serves Swagger UI at /docs and the document at /docs-json (outside the guards: documentation is public). */
export function setupDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'gridshift admin API',
    swaggerOptions: { persistAuthorization: true },
  });
}
