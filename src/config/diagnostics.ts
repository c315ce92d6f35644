import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type ConfigPath = readonly (string | number)[];

/** One problem found in a config file, already placed at its line and column. */
export interface ConfigDiagnostic {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export function formatDiagnostic(d: ConfigDiagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path ? `${d.path}: ` : ''}${d.message}`;
}

/** `rules[0].when.body`, `sinks.aws.region`, `sources["my app"].include`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/**
 * Collects every problem of one config file and places each at the YAML node it is about, so
 * that a user sees all mistakes in one run, each as file:line:col.
 */
export class Diagnostics {
  readonly items: ConfigDiagnostic[] = [];
  private readonly file: string;
  private readonly doc: Document | undefined;
  private readonly lines: LineCounter | undefined;

  constructor(file: string, doc?: Document, lines?: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  /** A problem at a YAML path; `key` points at the key of that entry rather than its value. */
  add(path: ConfigPath, message: string, at: 'value' | 'key' = 'value'): void {
    // The first problem at a path is the cause; later ones (a failed substitution leaving an
    // empty value that the schema then rejects) only repeat it.
    const formatted = formatPath(path);
    if (path.length > 0 && this.items.some((i) => i.path === formatted)) return;
    const offset = this.offsetOf(path, at);
    const pos = this.lines && offset !== undefined ? this.lines.linePos(offset) : { line: 1, col: 1 };
    this.items.push({ file: this.file, line: pos.line, col: pos.col, path: formatted, message });
  }

  addAt(offset: number, path: ConfigPath, message: string): void {
    const pos = this.lines ? this.lines.linePos(offset) : { line: 1, col: 1 };
    this.items.push({ file: this.file, line: pos.line, col: pos.col, path: formatPath(path), message });
  }

  get count(): number {
    return this.items.length;
  }

  sorted(): ConfigDiagnostic[] {
    return [...this.items].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  formatted(): string[] {
    return this.sorted().map(formatDiagnostic);
  }

  /** Offset of the deepest node that exists along `path`. */
  private offsetOf(path: ConfigPath, at: 'value' | 'key'): number | undefined {
    if (!this.doc) return undefined;
    let node: unknown = this.doc.contents;
    let best = rangeStart(node);
    for (const [i, part] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyValue(p.key) === String(part));
        if (!pair) return best;
        if (last && at === 'key') return rangeStart(pair.key) ?? best;
        node = pair.value;
        best = rangeStart(node) ?? rangeStart(pair.key) ?? best;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
        best = rangeStart(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  }
}

function keyValue(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
