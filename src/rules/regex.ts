/**
 * Regexes in rules are JavaScript regexes. A leading `(?i)` (common in Go/PCRE configs) is
 * accepted and turned into the `i` flag; inline groups `(?i:...)` work natively on Node 24.
 */
export function compileRegex(pattern: string): { ok: true; regex: RegExp; names: string[] } | { ok: false; error: string } {
  let source = pattern;
  let flags = '';
  const lead = /^\(\?([ims]+)\)/.exec(source);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    source = source.slice(lead[0].length);
  }
  try {
    const regex = new RegExp(source, flags);
    return { ok: true, regex, names: captureNames(source) };
  } catch (err) {
    return { ok: false, error: `invalid regex: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
}

export function captureNames(source: string): string[] {
  const names: string[] = [];
  const re = /\\.|\[(?:\\.|[^\]])*\]|\(\?<([A-Za-z_$][\w$]*)>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) if (m[1]) names.push(m[1]);
  return names;
}

const META = new Set(['.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\']);
const ESCAPED_LITERAL = new Set(['.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\', '/', '-', ' ', ':', '=', '"', "'", ',', '#', '@', '!', '%', '&', '<', '>', '~', '`', ';']);

/**
 * The longest run of literal characters every match must contain, or undefined when the
 * pattern promises none that a byte scan could use (alternation at the top, `i` flag, ...).
 * Only top-level text counts: inside groups, quantifiers and alternations make guarantees hard.
 */
export function requiredLiteral(regex: RegExp): string | undefined {
  if (regex.flags.includes('i')) return undefined;
  const src = regex.source;
  const runs: string[] = [];
  let cur = '';
  let depth = 0;
  const flush = () => {
    if (cur) runs.push(cur);
    cur = '';
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    let lit: string | undefined;
    let width = 1;
    if (ch === '\\') {
      const next = src[i + 1];
      if (next !== undefined && ESCAPED_LITERAL.has(next)) {
        lit = next;
        width = 2;
      } else {
        // \d, \s, \w, \b, \uXXXX, backrefs: not a plain literal.
        if (depth === 0) flush();
        i++;
        continue;
      }
    } else if (ch === '[') {
      // skip the class
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      i = j;
      if (depth === 0) flush();
      if (depth === 0 && isQuantifier(src, i + 1)) i = skipQuantifier(src, i + 1) - 1;
      continue;
    } else if (ch === '(') {
      depth++;
      if (depth === 1) flush();
      continue;
    } else if (ch === ')') {
      depth--;
      if (depth === 0 && isQuantifier(src, i + 1)) i = skipQuantifier(src, i + 1) - 1;
      continue;
    } else if (ch === '|') {
      if (depth === 0) return undefined;
      continue;
    } else if (!META.has(ch)) {
      lit = ch;
    } else {
      if (depth === 0) flush();
      continue;
    }
    if (depth > 0) {
      i += width - 1;
      continue;
    }
    const after = i + width;
    if (isQuantifier(src, after)) {
      // x? / x* / x{0,} make x optional; x+ keeps one x but ends the run.
      const optional = src[after] === '?' || src[after] === '*' || /^\{0[,}]/.test(src.slice(after));
      if (!optional) cur += lit;
      flush();
      i = skipQuantifier(src, after) - 1;
      continue;
    }
    cur += lit;
    i += width - 1;
  }
  flush();
  let best: string | undefined;
  for (const r of runs) if (!best || Buffer.byteLength(r) > Buffer.byteLength(best)) best = r;
  return best;
}

function isQuantifier(src: string, i: number): boolean {
  const c = src[i];
  return c === '?' || c === '*' || c === '+' || (c === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i)));
}

function skipQuantifier(src: string, i: number): number {
  if (src[i] === '{') i = src.indexOf('}', i) + 1;
  else i++;
  if (src[i] === '?' || src[i] === '+') i++;
  return i;
}
