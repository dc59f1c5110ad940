import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// Relative links between the repository's Markdown documents, and whether they resolve (docs-links.spec.ts).

/** A relative link found in a Markdown file: `[text](target#anchor)`, with its 1-based line. */
export interface MarkdownLink {
  line: number;
  target: string;
  anchor: string | null;
}

/** Lines of `markdown` outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, i) => {
    const marker = /^\s*(```|~~~)/.exec(text)?.[1];
    if (marker !== undefined) {
      if (fence === null) fence = marker;
      else if (fence === marker) fence = null;
      return;
    }
    if (fence === null) out.push({ line: i + 1, text });
  });
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (but `-` and `_`), spaces to `-`. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Anchors of every ATX heading of `markdown`, repeated headings numbered `-1`, `-2` … as GitHub does. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative links of `markdown` (inline code and fenced blocks skipped; http(s), mailto and other schemes too). */
export function relativeLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const href = m[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
      const hash = href.indexOf('#');
      links.push({
        line,
        target: hash === -1 ? href : href.slice(0, hash),
        anchor: hash === -1 ? null : decodeURIComponent(href.slice(hash + 1)),
      });
    }
  }
  return links;
}

/** Every link of `file` (a path under `root`) whose target file or heading does not exist, as readable lines. */
export function brokenLinks(root: string, file: string): string[] {
  const source = join(root, file);
  const broken: string[] = [];
  for (const link of relativeLinks(readFileSync(source, 'utf8'))) {
    const where = `${file}:${link.line}: ${link.target}${link.anchor === null ? '' : `#${link.anchor}`}`;
    const target = link.target === '' ? source : join(dirname(source), decodeURIComponent(link.target));
    if (!existsSync(target)) {
      broken.push(`${where} (no such file)`);
      continue;
    }
    if (link.anchor === null || link.anchor === '') continue;
    if (statSync(target).isDirectory() || !target.endsWith('.md')) {
      broken.push(`${where} (an anchor into a file that is not Markdown)`);
      continue;
    }
    if (!headingAnchors(readFileSync(target, 'utf8')).has(link.anchor))
      broken.push(`${where} (no such heading in ${relative(root, target)})`);
  }
  return broken;
}

/** The documents whose links are checked: README.md, docs/**, apps/*, libs/* and data/** READMEs. */
export function documentationFiles(root: string): string[] {
  const under = (dir: string, keep: (path: string) => boolean): string[] =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
          .map((path) => join(dir, path))
          .filter(keep)
      : [];
  const readmeOf = (dir: string): string[] =>
    readdirSync(join(root, dir))
      .map((name) => join(dir, name, 'README.md'))
      .filter((path) => existsSync(join(root, path)));
  return [
    'README.md',
    ...under('docs', (path) => path.endsWith('.md')),
    ...readmeOf('apps'),
    ...readmeOf('libs'),
    ...under('data', (path) => path.endsWith('/README.md')),
  ].sort();
}
