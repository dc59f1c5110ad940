import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPENAPI_OUT_DIR, renderOpenApiFiles } from './openapi-files.js';

const root = join(import.meta.dirname, '..', '..');

describe('the console’s generated API client', () => {
  it('is current: the committed files equal what the admin API’s controllers generate (npm run openapi:gen)', async () => {
    const files = await renderOpenApiFiles();
    expect(Object.keys(files).sort()).toEqual(['api-paths.ts', 'openapi.json', 'schema.d.ts']);
    for (const [name, content] of Object.entries(files))
      expect(
        readFileSync(join(root, OPENAPI_OUT_DIR, name), 'utf8'),
        `${name} is stale: run npm run openapi:gen`,
      ).toBe(content);
  });

  it('documents every operation with the least role it needs, and the console’s own routes', async () => {
    const document = JSON.parse((await renderOpenApiFiles())['openapi.json']!) as {
      paths: Record<string, Record<string, { 'x-required-role'?: string }>>;
    };
    expect(document.paths['/api-keys/me']?.get?.['x-required-role']).toBe('viewer');
    expect(document.paths['/schedules/{id}/approve']?.post?.['x-required-role']).toBe('operator');
  });
});
