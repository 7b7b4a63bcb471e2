/**
 * The documentation's relative links: every link in README.md, CHANGELOG.md and docs/*.md that points
 * into the repository must name an existing file, and a `#anchor` into a Markdown file must name one
 * of its headings (GitHub's slugs). The README stays a short entry point that links every docs page.
 *
 * The link extractor and the slugger are tested on samples first, so a checker that silently finds
 * nothing (and so passes everything) fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('../../', import.meta.url).pathname);
const README_MAX_LINES = 260;

/** A link found in a Markdown file: its target as written and the line it is on. */
interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/** Blanks out fenced code blocks (keeping line breaks): what they hold is not Markdown. */
function withoutFences(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (fence === undefined && opener !== null) {
        fence = opener[1];
        return '';
      }
      if (fence !== undefined) {
        if (line.trimStart().startsWith(fence)) fence = undefined;
        return '';
      }
      return line;
    })
    .join('\n');
}

/** Blanks out fenced code blocks and inline code spans, so links shown as code are not taken for links. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)[^`]*?\1/g, (span) => span.replace(/[^\n]/g, ' '));
}

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`. */
function extractLinks(markdown: string): MarkdownLink[] {
  const text = withoutCode(markdown);
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length;
  const links: MarkdownLink[] = [];
  const inline = /!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
  for (const match of text.matchAll(inline)) {
    links.push({ target: (match[1] ?? '').replace(/^<|>$/g, ''), line: lineOf(match.index ?? 0) });
  }
  const definition = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm;
  for (const match of text.matchAll(definition)) {
    links.push({ target: (match[1] ?? '').replace(/^<|>$/g, ''), line: lineOf(match.index ?? 0) });
  }
  return links.sort((a, b) => a.line - b.line);
}

/** Whether a link target leaves the repository (a URL with a scheme, or protocol-relative). */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/** The text GitHub shows for a heading: inline Markdown removed. */
function headingText(raw: string): string {
  return raw
    .replace(/\s+#+\s*$/, '') // closing hashes
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`([^`]*)`/g, '$1') // code spans: their content
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/(\*\*|__|\*|_(?=\S)|~~)/g, (marker, _m, offset: number, whole: string) =>
      // Underscores inside words stay (snake_case); emphasis markers go.
      marker === '_' && /\w/.test(whole[offset - 1] ?? '') ? marker : '',
    )
    .trim();
}

/** GitHub's heading slug (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
function slugify(raw: string): string {
  return headingText(raw)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: heading slugs, numbered as GitHub does for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line);
    if (heading === null) continue;
    const base = slugify(heading[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  // Explicit HTML anchors (<a name="x"> / id="x") count too.
  for (const match of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

/**
 * The problems of one Markdown file's relative links, as readable strings: a missing file, or an
 * anchor no heading of the target file produces.
 * @param file absolute path of the Markdown file
 * @param readText reads another file (injected so the checker can be tested on samples)
 */
function brokenLinks(
  file: string,
  markdown: string,
  fileExists: (path: string) => boolean,
  readText: (path: string) => string,
): string[] {
  const problems: string[] = [];
  for (const { target, line } of extractLinks(markdown)) {
    if (isExternal(target)) continue;
    const hashAt = target.indexOf('#');
    const pathPart = decodeURIComponent(hashAt === -1 ? target : target.slice(0, hashAt)).replace(/\?.*$/, '');
    const anchor = hashAt === -1 ? undefined : decodeURIComponent(target.slice(hashAt + 1));
    const resolved = pathPart === '' ? file : resolve(dirname(file), pathPart);
    const where = `${relative(root, file)}:${line} → ${target}`;
    if (!fileExists(resolved)) {
      problems.push(`${where}: no such file ${relative(root, resolved)}`);
      continue;
    }
    if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !anchorsOf(readText(resolved)).has(anchor)) {
      problems.push(`${where}: no heading with the anchor #${anchor} in ${relative(root, resolved)}`);
    }
  }
  return problems;
}

const docsDir = join(root, 'docs');
const docsPages = readdirSync(docsDir)
  .filter((name) => name.endsWith('.md'))
  .map((name) => join(docsDir, name));
const checkedFiles = [join(root, 'README.md'), join(root, 'CHANGELOG.md'), ...docsPages];
const exists = (path: string): boolean => existsSync(path) && (statSync(path).isFile() || statSync(path).isDirectory());
const read = (path: string): string => readFileSync(path, 'utf8');

describe('the link checker itself', () => {
  const sample = [
    '# Title',
    'See [the guide](guide.md), [a section](guide.md#set-up-the-thing) and [here](#title).',
    '![diagram](img/diagram.png "A title") and [external](https://example.com/x.md).',
    '[missing](nowhere.md) and [bad anchor](guide.md#no-such-heading).',
    '`[not a link](in-code.md)`',
    '```md',
    '[also not a link](in-fence.md)',
    '```',
    '[ref]: ./guide.md',
  ].join('\n');
  const files: Record<string, string> = {
    [join(root, 'sample', 'guide.md')]: '# Guide\n\n## Set up the `thing`\n',
    [join(root, 'sample', 'img', 'diagram.png')]: '',
  };
  const file = join(root, 'sample', 'README.md');
  files[file] = sample;

  it('extracts inline links, images and reference definitions, but nothing inside code', () => {
    expect(extractLinks(sample).map((link) => link.target)).toEqual([
      'guide.md',
      'guide.md#set-up-the-thing',
      '#title',
      'img/diagram.png',
      'https://example.com/x.md',
      'nowhere.md',
      'guide.md#no-such-heading',
      './guide.md',
    ]);
  });

  it('reports a missing file and a missing anchor, and nothing else', () => {
    const problems = brokenLinks(file, sample, (path) => path in files, (path) => files[path] ?? '');
    expect(problems).toEqual([
      'sample/README.md:4 → nowhere.md: no such file sample/nowhere.md',
      'sample/README.md:4 → guide.md#no-such-heading: no heading with the anchor #no-such-heading in sample/guide.md',
    ]);
  });

  it('makes GitHub heading slugs', () => {
    expect(slugify('Deploy the stack from a clone')).toBe('deploy-the-stack-from-a-clone');
    expect(slugify('Grants: three kinds of topic template')).toBe('grants-three-kinds-of-topic-template');
    expect(slugify('What `cdk synth` prints')).toBe('what-cdk-synth-prints');
    expect(slugify('Cognito identity pools, `AttachPolicy` and Amplify PubSub')).toBe('cognito-identity-pools-attachpolicy-and-amplify-pubsub');
    expect(slugify('The Python `aws_signv4_mqtt`')).toBe('the-python-aws_signv4_mqtt');
    expect(slugify('**Bold** and [a link](x.md)')).toBe('bold-and-a-link');
    expect([...anchorsOf('# A\n## A\n```\n# Not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });
});

describe('the documentation', () => {
  it.each(checkedFiles.map((file) => [relative(root, file), file] as const))('%s has no broken relative link', (_name, file) => {
    expect(brokenLinks(file, read(file), exists, read)).toEqual([]);
  });

  it(`README.md is at most ${README_MAX_LINES} lines`, () => {
    const lines = read(join(root, 'README.md')).split('\n');
    if (lines.at(-1) === '') lines.pop();
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('README.md links every page in docs/', () => {
    const readme = join(root, 'README.md');
    const linked = new Set(
      extractLinks(read(readme))
        .filter((link) => !isExternal(link.target))
        .map((link) => resolve(root, decodeURIComponent(link.target.replace(/#.*$/, '')))),
    );
    expect(docsPages.length).toBeGreaterThan(0);
    expect(docsPages.filter((page) => !linked.has(page)).map((page) => relative(root, page))).toEqual([]);
  });
});
