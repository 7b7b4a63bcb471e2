/**
 * No circle of imports among the project's own modules (type-only imports included): a circle
 * means two modules each need the other, and the fix is to move the shared piece to the module that
 * owns it. Relative imports and re-exports of lambda/, lib/, local/, web/ and bin/ are read as text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_DIRECTORIES = ['lambda', 'lib', 'local', 'web', 'bin'];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each file's relative imports and re-exports, resolved to the `.ts` files they name. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/gm)].map((match) => resolve(dirname(file), match[1] ?? '').replace(/\.js$/, '.ts'));
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected components with more than one file (Tarjan), or a file importing itself. */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles;
}

describe('import circles', () => {
  it('finds a circle when there is one, of any length, and none in a chain', () => {
    const chain = new Map([['a', ['b']], ['b', ['c']], ['c', []]]);
    expect(importCircles(chain)).toEqual([]);
    const circle = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(importCircles(circle)).toEqual([['a', 'b', 'c']]);
    expect(importCircles(new Map([['a', ['a']]]))).toEqual([['a']]);
  });

  it('reads type-only imports and re-exports as imports', () => {
    const graph = importGraph([join(ROOT, 'lib/mqtt-url-vending.ts')]);
    const targets = (graph.get(join(ROOT, 'lib/mqtt-url-vending.ts')) ?? []).map((file) => relative(ROOT, file));
    expect(targets).toContain('lib/mqtt-url-vending-props.ts'); // `import type` and `export type … from`
    expect(targets).toContain('lib/vending-settings.ts');
  });

  it('has none among the project modules', () => {
    const files = SOURCE_DIRECTORIES.flatMap((directory) => sourceFiles(join(ROOT, directory)));
    expect(files.length).toBeGreaterThan(50);
    const circles = importCircles(importGraph(files)).map((circle) => circle.map((file) => relative(ROOT, file)));
    expect(circles).toEqual([]);
  });
});
