import { lookup, fieldLookup, valueText, type MatchContext } from './match-context.ts';

/**
 * `{{ }}` templates, compiled once at load. An expression is a reference followed by filters:
 *   {{order_id}}  {{attributes.http.status}}  {{resource.k8s.pod.name | default: "none"}}
 *   {{body | truncate: 200}}  {{severity | lower}}  {{time}}
 * A bare name must be a named capture of the rule's regexes; anything else is a config error.
 */
export type Template = (ctx: MatchContext) => string;

const BUILTINS: Record<string, (ctx: MatchContext) => string> = {
  body: (c) => c.body,
  message: (c) => c.body,
  severity: (c) => c.severityText,
  severity_number: (c) => String(c.severityNumber),
  time: (c) => new Date(c.timeMs).toISOString(),
  time_ms: (c) => String(c.timeMs),
  trace_id: (c) => c.record.traceId ?? '',
  span_id: (c) => c.record.spanId ?? '',
  source_name: (c) => c.sourceName,
};
const PREFIXES = ['attributes.', 'resource.', 'fields.', 'captures.'] as const;

type Filter = (value: string) => string;

const FILTERS: Record<string, (arg: string | undefined) => Filter | string> = {
  default: (arg) => (arg === undefined ? 'default needs a value: default: "x"' : (v) => (v === '' ? arg : v)),
  upper: () => (v) => v.toUpperCase(),
  lower: () => (v) => v.toLowerCase(),
  trim: () => (v) => v.trim(),
  json: () => (v) => JSON.stringify(v),
  truncate: (arg) => {
    const n = Number(arg);
    if (!Number.isInteger(n) || n < 1) return 'truncate needs a positive length: truncate: 200';
    return (v) => (v.length > n ? v.slice(0, n) : v);
  },
  replace_invalid_name: () => (v) => v.replace(/[^A-Za-z0-9_]/g, '_'),
};

export interface TemplateError {
  message: string;
}

export function compileTemplate(
  source: string,
  captures: ReadonlySet<string>,
): { ok: true; template: Template; isConstant: boolean } | { ok: false; errors: string[] } {
  const parts: (string | ((ctx: MatchContext) => string))[] = [];
  const errors: string[] = [];
  const re = /\{\{(.*?)\}\}/gs;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) {
    if (m.index > last) parts.push(source.slice(last, m.index));
    last = re.lastIndex;
    const compiled = compileExpression((m[1] ?? '').trim(), captures);
    if (typeof compiled === 'string') errors.push(`template ${JSON.stringify(m[0])}: ${compiled}`);
    else parts.push(compiled);
  }
  if (last < source.length) parts.push(source.slice(last));
  const stray = source.replace(/\{\{.*?\}\}/gs, '');
  if (stray.includes('{{')) errors.push(`template ${JSON.stringify(source)}: unclosed {{`);
  if (errors.length) return { ok: false, errors };
  if (parts.every((p) => typeof p === 'string')) {
    const text = parts.join('');
    return { ok: true, template: () => text, isConstant: true };
  }
  if (parts.length === 1) return { ok: true, template: parts[0] as Template, isConstant: false };
  return {
    ok: true,
    isConstant: false,
    template: (ctx) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : p(ctx);
      return out;
    },
  };
}

function compileExpression(expr: string, captures: ReadonlySet<string>): ((ctx: MatchContext) => string) | string {
  const [ref, ...filterTexts] = splitFilters(expr);
  if (!ref) return 'empty expression';
  const getter = compileReference(ref, captures);
  if (typeof getter === 'string') return getter;
  const filters: Filter[] = [];
  for (const text of filterTexts) {
    const fm = /^([a-z_]+)\s*(?::\s*(.*))?$/s.exec(text.trim());
    const factory = fm?.[1] === undefined ? undefined : FILTERS[fm[1]];
    if (!fm || !factory) return `unknown filter "${text.trim()}" (filters: ${Object.keys(FILTERS).join(', ')})`;
    const arg = fm[2] === undefined ? undefined : unquote(fm[2].trim());
    const f = factory(arg);
    if (typeof f === 'string') return f;
    filters.push(f);
  }
  if (filters.length === 0) return getter;
  return (ctx) => {
    let v = getter(ctx);
    for (const f of filters) v = f(v);
    return v;
  };
}

function compileReference(ref: string, captures: ReadonlySet<string>): ((ctx: MatchContext) => string) | string {
  const builtin = BUILTINS[ref];
  if (builtin) return builtin;
  for (const prefix of PREFIXES) {
    if (!ref.startsWith(prefix)) continue;
    const key = ref.slice(prefix.length);
    if (!key) return `"${ref}" names no key`;
    switch (prefix) {
      case 'attributes.':
        return (c) => valueText(lookup(c.record.attributes, key));
      case 'resource.':
        return (c) => valueText(lookup(c.record.resource, key));
      case 'fields.':
        return (c) => valueText(fieldLookup(c, key));
      case 'captures.':
        if (!captures.has(key)) return unknownCapture(key, captures);
        return (c) => c.captures[key] ?? '';
    }
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) {
    if (!captures.has(ref)) return unknownCapture(ref, captures);
    return (c) => c.captures[ref] ?? '';
  }
  return `cannot read "${ref}"`;
}

function unknownCapture(name: string, captures: ReadonlySet<string>): string {
  const known = captures.size ? [...captures].join(', ') : 'none';
  return `unknown reference "${name}": not a named capture of this rule (captures: ${known}) nor one of ${Object.keys(BUILTINS).join(', ')}, attributes.*, resource.*, fields.*`;
}

function splitFilters(expr: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = undefined;
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function unquote(s: string): string {
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  return s;
}
