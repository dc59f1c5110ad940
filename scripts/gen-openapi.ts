// Writes the admin API's OpenAPI document and the console's TypeScript types generated from it
// (apps/console/src/api/generated/), without starting the API.
// Usage: npm run openapi:gen   |   npm run openapi:check (exit 1 when the committed files are out of date)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENAPI_OUT_DIR, renderOpenApiFiles } from './lib/openapi-files.js';

// Runs from dist/scripts (SWC keeps the decorator metadata Nest's injector reads); writes into the sources.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..').replace(/\/dist\/?$/, '');
const outDir = join(repoRoot, OPENAPI_OUT_DIR);

const check = process.argv.includes('--check');
const files = await renderOpenApiFiles();
const stale: string[] = [];
mkdirSync(outDir, { recursive: true });
for (const [name, content] of Object.entries(files)) {
  const path = join(outDir, name);
  if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
  stale.push(name);
  if (!check) writeFileSync(path, content);
}
if (check && stale.length > 0) {
  console.error(`${OPENAPI_OUT_DIR} is out of date (${stale.join(', ')}) — run npm run openapi:gen`);
  process.exit(1);
}
console.log(stale.length === 0 ? `${OPENAPI_OUT_DIR} is up to date` : `wrote ${stale.join(', ')}`);
