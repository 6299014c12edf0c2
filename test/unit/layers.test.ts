/**
 * Imports in src/ run one way, top to bottom through the layers below (README, "Layout"), and form no circle.
 * Modules on one line are peers and import none of each other. A new top-level module fails here until it is
 * given its place. Type-only imports count too: a type that must come from above is a sign it lives too low.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['dedupe'],
  ['bridge', 'replay'],
  ['http'],
  ['simulator'],
  ['ingress'],
  ['kafka'],
  ['observability'],
  ['auth'],
  ['registration'],
  ['config'],
  ['thingspace'],
  ['consumer'],
  ['events'],
  ['soap', 'json'],
  ['message'],
  ['docs'],
  ['util', 'errors'],
];

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file names: static imports and re-exports, side-effect and dynamic imports. */
export function importedSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

function resolveImport(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`${relative(SRC, from)}: cannot resolve ${specifier}`);
}

/** The top-level module of a file: its folder under src/, or its own name for a file directly in src/. */
function moduleOf(file: string): string {
  return relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');
}

function rankOf(module: string): number {
  const rank = LAYERS.findIndex((layer) => layer.includes(module));
  if (rank === -1) throw new Error(`src/${module} has no layer: give it one in test/unit/layers.test.ts`);
  return rank;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const specifiers = importedSpecifiers(readFileSync(file, 'utf8'));
    graph.set(
      file,
      specifiers.map((specifier) => resolveImport(file, specifier)),
    );
  }
  return graph;
}

/** Imports from a module to one on its own line or above it. */
export function layerViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const violations: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const [a, b] = [moduleOf(from), moduleOf(to)];
      if (a !== b && rankOf(a) >= rankOf(b)) {
        violations.push(`${relative(SRC, from)} -> ${relative(SRC, to)} (${a} may not import ${b})`);
      }
    }
  }
  return violations;
}

/** Strongly connected components of more than one file (Tarjan), each as its files' paths. */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(relative(SRC, member));
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles;
}

describe('imports in src/', () => {
  const graph = importGraph();

  it('reads a real graph', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  it('run from a layer only to the layers below it', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('form no circle', () => {
    expect(importCircles(graph)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const file = (path: string) => join(SRC, path);

  it('find every form of relative import', () => {
    const source = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "export { c } from './c';",
      "import './side-effect';",
      "const d = await import('./d');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importedSpecifiers(source)).toEqual(['./a', '../b', './c', './side-effect', './d']);
  });

  it('report an import that runs up, or across to a peer', () => {
    const upward = new Map([[file('events/types.ts'), [file('thingspace/catalogue.ts')]]]);
    expect(layerViolations(upward)).toEqual([
      'events/types.ts -> thingspace/catalogue.ts (events may not import thingspace)',
    ]);
    const peers = new Map([[file('util/secret.ts'), [file('errors.ts')]]]);
    expect(layerViolations(peers)).toHaveLength(1);
    const down = new Map([
      [file('thingspace/catalogue.ts'), [file('events/types.ts'), file('thingspace/errors.ts')]],
    ]);
    expect(layerViolations(down)).toEqual([]);
  });

  it('report a circle, and a file that imports itself', () => {
    const graph = new Map([
      [file('a.ts'), [file('b.ts')]],
      [file('b.ts'), [file('c.ts')]],
      [file('c.ts'), [file('a.ts')]],
      [file('d.ts'), [file('d.ts')]],
      [file('e.ts'), [file('a.ts')]],
    ]);
    expect(importCircles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
  });
});
