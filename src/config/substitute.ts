import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isScalar, visit, type Document } from 'yaml';
import type { Diagnostics } from './diagnostics.ts';
import { resolveConfigPath } from '../core/paths.ts';

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
          const read = readSmallFile(file);
          return typeof read === 'string' ? read.replace(/\r?\n$/, '') : fail(`cannot read ${file} for \${file:...}: ${read.error}`);
        }
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::?-(.*))?$/s.exec(body);
        if (!m) return fail(`invalid substitution \${${body}} (use \${VAR}, \${VAR:-default} or \${file:/path})`);
        const [, name = '', fallback] = m;
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        return fail(`environment variable ${name} is not set (use \${${name}:-default} for a default)`);
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

/** `${file:...}` holds a secret or a certificate: anything larger is a mistake (or /dev/zero). */
export const MAX_SUBSTITUTED_FILE = 1024 * 1024;

/**
 * A regular file of at most MAX_SUBSTITUTED_FILE bytes, as UTF-8. Checked before it is opened
 * (opening a FIFO would wait for a writer) and again on the open descriptor.
 */
function readSmallFile(file: string): string | { error: string } {
  const check = (st: { isFile(): boolean; size: number }) =>
    !st.isFile() ? 'not a regular file' : st.size > MAX_SUBSTITUTED_FILE ? `larger than 1 MiB (${st.size} bytes)` : undefined;
  let fd: number | undefined;
  try {
    const problem = check(statSync(file));
    if (problem) return { error: problem };
    fd = openSync(file, 'r');
    const again = check(fstatSync(fd));
    if (again) return { error: again };
    const buf = Buffer.alloc(MAX_SUBSTITUTED_FILE + 1);
    let size = 0;
    for (let n; size < buf.length && (n = readSync(fd, buf, size, buf.length - size, null)) > 0; ) size += n;
    if (size > MAX_SUBSTITUTED_FILE) return { error: 'larger than 1 MiB' };
    return buf.toString('utf8', 0, size);
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
