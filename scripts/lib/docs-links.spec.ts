import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, documentationFiles, githubSlug, headingAnchors, relativeLinks } from './docs-links.js';

// Every relative link in the docs resolves (file, and heading when it names one), and README.md stays a front
// door: what gridshift is, the quick start and a map, in at most 250 lines.

const root = join(import.meta.dirname, '../..');
const README_MAX_LINES = 250;

describe('documentation links', () => {
  const files = documentationFiles(root);

  it('finds the README, the docs and every app and lib README', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/architecture.md',
        'docs/contracts/README.md',
        'apps/planner/README.md',
        'libs/placement/README.md',
        'data/README.md',
      ]),
    );
  });

  it.each(files)('%s: every relative link resolves', (file) => {
    expect(brokenLinks(root, file)).toEqual([]);
  });

  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });
});

describe('githubSlug', () => {
  it.each([
    { heading: 'Quick start', want: 'quick-start' },
    { heading: 'Planner (`apps/planner`, `libs/scheduling`)', want: 'planner-appsplanner-libsscheduling' },
    { heading: 'Errors, validation, rate limits', want: 'errors-validation-rate-limits' },
    { heading: 'Evaluation — `npm run forecast:eval`', want: 'evaluation--npm-run-forecasteval' },
    { heading: 'Metrics (`/metrics`)', want: 'metrics-metrics' },
    { heading: 'snake_case stays', want: 'snake_case-stays' },
  ])('$heading → $want', ({ heading, want }) => {
    expect(githubSlug(heading)).toBe(want);
  });
});

describe('headingAnchors and relativeLinks', () => {
  const doc = [
    '# Title',
    '## Tests',
    '## Tests',
    '```bash',
    '# not a heading [nor](a-link.md)',
    '```',
    'See [a](other.md#x), [b](#tests-1), [web](https://example.com), [mail](mailto:a@b.c), `[code](no.md)`.',
  ].join('\n');

  it('numbers repeated headings and skips code blocks', () => {
    expect([...headingAnchors(doc)]).toEqual(['title', 'tests', 'tests-1']);
  });

  it('keeps relative links only, with their anchor and line', () => {
    expect(relativeLinks(doc)).toEqual([
      { line: 7, target: 'other.md', anchor: 'x' },
      { line: 7, target: '', anchor: 'tests-1' },
    ]);
  });
});
