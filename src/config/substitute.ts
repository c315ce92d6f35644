import { readFileSync } from 'node:fs';
import { isScalar, visit, type Document } from 'yaml';
import type { Diagnostics } from './diagnostics.ts';
import { resolveConfigPath } from './paths.ts';

const PATTERN = /\$\$|\$\{([^}]*)\}/g;

/**
 * Replaces `${VAR}`, `${VAR:-default}` and `${file:/path}` inside string scalars, after parsing,
 * so that a secret can never inject YAML structure and every error keeps its line and column.
 * `$$` is a literal `$`.
 */
export function substituteVariables(
  doc: Document,
  diagnostics: Diagnostics,
  env: NodeJS.ProcessEnv = process.env,
  baseDir: string = process.cwd(),
): void {
  visit(doc, {
    Scalar(_key, node, ancestry) {
      if (typeof node.value !== 'string' || !node.value.includes('$')) return;
      const path = ancestry.filter(isScalarKeyHolder).map(pathPart);
      node.value = node.value.replace(PATTERN, (whole, expr: string | undefined) => {
        if (whole === '$$') return '$';
        const body = (expr ?? '').trim();
        const fail = (message: string) => {
          diagnostics.addAt(node.range?.[0] ?? 0, path, message);
          return '';
        };
        if (body.startsWith('file:')) {
          const file = resolveConfigPath(baseDir, body.slice(5));
          try {
            return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
          } catch (err) {
            return fail(`cannot read ${file} for \${file:...}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
          }
        }
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::?-(.*))?$/s.exec(body);
        if (!m) return fail(`invalid substitution \${${body}} (use \${VAR}, \${VAR:-default} or \${file:/path})`);
        const value = env[m[1]!];
        if (value !== undefined && value !== '') return value;
        if (m[2] !== undefined) return m[2];
        return fail(`environment variable ${m[1]} is not set (use \${${m[1]}:-default} for a default)`);
      });
    },
  });
}

// visit's ancestry holds Document, maps, pairs and sequences; only pairs and seq items make a path.
function isScalarKeyHolder(node: unknown): boolean {
  return typeof node === 'object' && node !== null && 'key' in node && 'value' in node;
}

function pathPart(pair: unknown): string {
  const key = (pair as { key: unknown }).key;
  return isScalar(key) ? String(key.value) : '?';
}
