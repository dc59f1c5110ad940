import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { budgetTableRows, bundleSizes, CONSOLE_BUDGETS, markdownTableAfter } from './console-budgets.js';

const root = join(import.meta.dirname, '..', '..');

describe('console budgets', () => {
  it('the console README’s Budgets table says what CONSOLE_BUDGETS says', () => {
    const readme = readFileSync(join(root, 'apps/console/README.md'), 'utf8');
    expect(markdownTableAfter(readme, '### Budgets')).toEqual(budgetTableRows());
  });

  it('the table rows read as the README writes them', () => {
    expect(budgetTableRows()).toContainEqual([
      CONSOLE_BUDGETS.firstLoadMs.what,
      '≤ 1000 ms',
      CONSOLE_BUDGETS.firstLoadMs.checkedBy,
    ]);
  });

  it('reads a Markdown table up to its last row', () => {
    const md = '# x\n### Budgets\n\n| a | b |\n| - | - |\n| 1 | 2 |\n|  3|4 |\n\nafter\n| 5 | 6 |\n';
    expect(markdownTableAfter(md, '### Budgets')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(markdownTableAfter(md, '### Missing')).toEqual([]);
  });
});

describe('bundle sizes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the entry is what index.html loads: script, modulepreloads, stylesheets — not the lazy chunks', () => {
    mkdirSync(join(dir, 'assets'));
    const files = {
      'index-a.js': 'import("./page-c.js")',
      'start-b.js': 'x'.repeat(5000),
      'index-d.css': 'body{margin:0}',
      'page-c.js': 'y'.repeat(3000),
      'echarts-e.js': 'z'.repeat(9000),
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'assets', f), text);
    writeFileSync(
      join(dir, 'index.html'),
      [
        '<script type="module" crossorigin src="/console/assets/index-a.js"></script>',
        '<link rel="stylesheet" crossorigin href="/console/assets/index-d.css">',
        '<link rel="modulepreload" crossorigin href="/console/assets/start-b.js">',
      ].join('\n'),
    );
    const gz = (f: keyof typeof files) => gzipSync(files[f], { level: 9 }).length;
    const sizes = bundleSizes(dir);
    expect(sizes.entryFiles.sort()).toEqual(['index-a.js', 'index-d.css', 'start-b.js']);
    expect(sizes.entryGzipBytes).toBe(gz('index-a.js') + gz('index-d.css') + gz('start-b.js'));
    expect(sizes.totalGzipBytes).toBe(sizes.entryGzipBytes + gz('page-c.js') + gz('echarts-e.js'));
    expect(sizes.files).toBe(5);
  });
});
