// Writes docs/contracts/*.schema.json and docs/contracts/README.md from libs/contracts.
// Usage: npx tsx --conditions=gridshift-source scripts/gen-contracts.ts [--check]   (--check: exit 1 if the files are out of date)
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderContractDocs } from '#gridshift/contracts';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'contracts');
const check = process.argv.includes('--check');
const files = renderContractDocs();
const stale: string[] = [];

mkdirSync(outDir, { recursive: true });
for (const [name, content] of Object.entries(files)) {
  const path = join(outDir, name);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current === content) continue;
  stale.push(name);
  if (!check) writeFileSync(path, content);
}

if (check && stale.length > 0) {
  console.error(
    `docs/contracts is out of date: ${stale.join(', ')} — run npx tsx --conditions=gridshift-source scripts/gen-contracts.ts`,
  );
  process.exit(1);
}
console.log(
  stale.length === 0
    ? 'docs/contracts is up to date'
    : `wrote ${stale.map((n) => `docs/contracts/${n}`).join(', ')}`,
);
