#!/usr/bin/env node
// Compiles apps/, libs/ and scripts/ TypeScript to ESM JavaScript under dist/ with SWC (decorator metadata on).
// Type checking is `npm run typecheck`; this only transpiles, so it takes about a second.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const sources = ['apps', 'libs', 'scripts', 'tests/support'];

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
      yield path;
  }
}

await rm(out, { recursive: true, force: true });
let count = 0;
const started = performance.now();
const jobs = [];
for (const source of sources) {
  for await (const file of walk(join(root, source))) {
    jobs.push(
      (async () => {
        const result = await transformFile(file, {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            target: 'es2022',
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: true,
        });
        const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, `${result.code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
        if (result.map) await writeFile(`${target}.map`, result.map);
        count += 1;
      })(),
    );
  }
}
await Promise.all(jobs);
process.stdout.write(`built ${count} files into dist/ in ${Math.round(performance.now() - started)} ms\n`);
