import { readFileSync, globSync } from 'node:fs';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Folder-level import graph of src/ and the two rules it must keep: no cycle between folders,
 * and no import from a lower layer to a higher one. A small script instead of a dependency
 * tool: relative imports are all this code base uses between its own modules.
 */

/** A module's folder: `sinks` for src/sinks/http/index.ts, `(index.ts)` for a file at src/. */
export function folderOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 1 ? parts[0]! : `(${parts[0]})`;
}

export interface Import {
  /** Importing file, relative to src/ with forward slashes. */
  readonly from: string;
  /** Imported file, relative to src/. */
  readonly to: string;
}

// Import and export statements start a line; dynamic imports may sit anywhere. Comments rarely
// begin a line with `import`, and an import that resolves to no file fails the check below.
const STATIC = /^[ \t]*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of one module, resolved against its path (both relative to src/). */
export function importsOf(path: string, source: string): Import[] {
  const found: Import[] = [];
  for (const re of [STATIC, BARE, DYNAMIC]) {
    for (const m of source.matchAll(re)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      found.push({ from: path, to: posix.normalize(posix.join(posix.dirname(path), spec)) });
    }
  }
  return found;
}

/** Every relative import of every .ts module under `root`. */
export function readImports(root: string): { files: Set<string>; imports: Import[] } {
  const abs = resolve(root);
  const files = new Set(globSync('**/*.ts', { cwd: abs }).map((p) => p.split(sep).join('/')));
  const imports: Import[] = [];
  for (const file of files) imports.push(...importsOf(file, readFileSync(join(abs, file), 'utf8')));
  return { files, imports };
}

export interface Layering {
  /** Folder (or `(file.ts)` at the root) -> rank; a folder may import only lower ranks and its peers. */
  readonly rank: Readonly<Record<string, number>>;
  /** Folders only these may import, whatever the ranks say. */
  readonly onlyImportedBy?: Readonly<Record<string, readonly string[]>>;
  /** For an importing folder and an imported one: the files it may use there. */
  readonly onlyFiles?: Readonly<Record<string, { readonly folder: string; readonly file: RegExp }>>;
}

export interface Violation {
  readonly kind: 'unknown-folder' | 'unresolved' | 'upward' | 'forbidden' | 'cycle';
  readonly text: string;
}

const edge = (i: Import) => `${i.from} -> ${i.to}`;

/**
 * Checks the imports against the layering. Imports listed in `known` are reported apart (as
 * known) and left out of the graph, so that one known wrong arrow does not hide a new one.
 */
export function checkLayers(
  files: ReadonlySet<string>,
  imports: readonly Import[],
  layering: Layering,
  known: ReadonlySet<string> = new Set(),
): { violations: Violation[]; knownHit: Set<string> } {
  const violations: Violation[] = [];
  const knownHit = new Set<string>();
  const graph = new Map<string, Map<string, Import>>();
  for (const folder of new Set([...files].map(folderOf))) {
    if (layering.rank[folder] === undefined) violations.push({ kind: 'unknown-folder', text: `src/${folder} has no layer` });
  }
  for (const i of imports) {
    if (!files.has(i.to)) {
      violations.push({ kind: 'unresolved', text: `${edge(i)}: no such module` });
      continue;
    }
    const a = folderOf(i.from);
    const b = folderOf(i.to);
    if (a === b) continue;
    if (known.has(edge(i))) {
      knownHit.add(edge(i));
      continue;
    }
    const ra = layering.rank[a];
    const rb = layering.rank[b];
    if (ra !== undefined && rb !== undefined && rb > ra) {
      violations.push({ kind: 'upward', text: `${edge(i)} (${a} is below ${b})` });
    }
    const only = layering.onlyImportedBy?.[b];
    if (only && !only.includes(a)) violations.push({ kind: 'forbidden', text: `${edge(i)} (only ${only.join(', ')} may import ${b})` });
    const allowed = layering.onlyFiles?.[a];
    if (allowed && allowed.folder === b && !allowed.file.test(i.to)) {
      violations.push({ kind: 'forbidden', text: `${edge(i)} (${a} may use only ${allowed.file} of ${b})` });
    }
    let out = graph.get(a);
    if (!out) graph.set(a, (out = new Map()));
    if (!out.has(b)) out.set(b, i);
  }
  for (const cycle of folderCycles(graph)) violations.push({ kind: 'cycle', text: cycle });
  return { violations, knownHit };
}

/**
 * Strongly connected components of more than one folder (Tarjan), each written as its folders
 * and one import per arrow inside it, so that the message says which import closes the circle.
 */
function folderCycles(graph: ReadonlyMap<string, ReadonlyMap<string, Import>>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const nodes = new Set<string>([...graph.keys(), ...[...graph.values()].flatMap((m) => [...m.keys()])]);
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => {
    const inside = new Set(c);
    const arrows: string[] = [];
    for (const a of c) {
      for (const [b, i] of graph.get(a) ?? []) if (inside.has(b)) arrows.push(`  ${a} -> ${b}: ${edge(i)}`);
    }
    const pairs = c.flatMap((a) => c.filter((b) => a < b && graph.get(a)?.has(b) && graph.get(b)?.has(a)).map((b) => `${a}<->${b}`));
    return `folders ${c.join(', ')} import each other (pairs: ${pairs.join(', ') || 'none'}):\n${arrows.join('\n')}`;
  });
}

export function srcRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
}
