import { isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { Diagnostics } from './diagnostics.ts';

/**
 * Parses YAML, placing syntax errors and duplicate keys (the latter at the repeated key, with
 * its path, rather than at the enclosing map as the parser does).
 */
export function parseYaml(text: string, file: string): { ok: true; doc: Document; diag: Diagnostics } | { ok: false; errors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true });
  const diag = new Diagnostics(file, doc, lines);
  for (const err of [...doc.errors, ...doc.warnings]) {
    diag.addAt(err.pos[0], [], yamlMessage(err.message));
  }
  visit(doc, {
    Map(_key, map, ancestry) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        const at = pair.key.range?.[0] ?? 0;
        const first = seen.get(k);
        if (first !== undefined) {
          const path = [...yamlPath(ancestry), k];
          diag.addAt(at, path, `duplicate key "${k}" (first defined at line ${lines.linePos(first).line})`);
        } else seen.set(k, at);
      }
    },
  });
  if (diag.count > 0) return { ok: false, errors: diag.formatted() };
  return { ok: true, doc, diag };
}

function yamlPath(ancestry: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (let i = 0; i < ancestry.length; i++) {
    const node = ancestry[i];
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node)) {
      const next = ancestry[i + 1];
      const idx = node.items.indexOf(next as never);
      if (idx >= 0) path.push(idx);
    }
  }
  return path;
}

function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

export function describeFsError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return e.message;
  }
}
