import { setFlagsFromString } from 'node:v8';

/**
 * Rule regexes run on V8's backtracking engine, which is fast but can take exponential time:
 * `^(\w+\s?)+$` on 34 words and a `!` backtracks for hours. With these flags V8 gives a match
 * up after 1,000,000 backtracks and finishes it with its linear-time engine (same result), so
 * such a line costs a few milliseconds (bench/regex.ts). The limit counts every backtrack of one
 * match over the whole subject, and the linear-time engine is 10-100 times slower than the
 * backtracking one on ordinary patterns: a limit of 10,000 made `(\w+)=(\w+) end` on a 99 KB
 * line 14 times slower; 1,000,000 leaves ordinary patterns on subjects up to about a megabyte
 * alone. V8 reads the flags when it compiles a regex, which it does on first use: set here,
 * before any rule regex exists. The third enables the `l` flag, used below to ask V8 whether a
 * pattern can run in linear time at all. They apply to the whole process.
 */
export const LINEAR_FALLBACK_FLAGS = [
  '--enable-experimental-regexp-engine-on-excessive-backtracks',
  '--regexp-backtracks-before-fallback=1000000',
  '--enable-experimental-regexp-engine',
] as const;
for (const flag of LINEAR_FALLBACK_FLAGS) setFlagsFromString(flag);

/**
 * Regexes in rules are JavaScript regexes. A leading `(?i)` (common in Go/PCRE configs) is
 * accepted and turned into the `i` flag; inline groups `(?i:...)` work natively on Node 24.
 * A pattern the linear-time engine cannot run (lookahead, backreference) is refused if it
 * also nests quantifiers, the shape that backtracks exponentially.
 */
export function compileRegex(pattern: string): { ok: true; regex: RegExp; names: string[] } | { ok: false; error: string } {
  let source = pattern;
  let flags = '';
  const lead = /^\(\?([ims]+)\)/.exec(source);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    source = source.slice(lead[0].length);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (err) {
    return { ok: false, error: `invalid regex: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
  if (!linearCapable(source, flags)) {
    const nested = nestedQuantifier(source);
    if (nested) {
      return {
        ok: false,
        error:
          `regex can take exponential time: ${nested}, and it uses a lookahead or backreference, ` +
          'which the linear-time engine cannot run; remove one of the two',
      };
    }
  }
  return { ok: true, regex, names: captureNames(source) };
}

/**
 * Subjects shorter than this are not timed: the backtrack limit bounds a match on them to a few
 * milliseconds, and a clock read per match would cost more than many matches do.
 */
const TIMED_LENGTH = 1024;
/** A match on a long subject slower than this is counted (`log2events_rule_regex_slow`). */
export const SLOW_MATCH_MS = 50;

/**
 * `regex.exec(subject)`, calling `onSlow` when a long subject took more than SLOW_MATCH_MS.
 * The result stands either way: the linear-time engine has finished the match by then, and
 * nothing is retried; the count says which rule to look at.
 */
export function execTimed(regex: RegExp, subject: string, onSlow: () => void): RegExpExecArray | null {
  if (subject.length < TIMED_LENGTH) return regex.exec(subject);
  const start = performance.now();
  const match = regex.exec(subject);
  if (performance.now() - start > SLOW_MATCH_MS) onSlow();
  return match;
}

/** Whether V8's linear-time engine accepts the pattern (true when the `l` flag is unavailable). */
function linearCapable(source: string, flags: string): boolean {
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch (err) {
    return !/linear time/.test((err as Error).message);
  }
}

/**
 * Finds a repeated group that itself contains a quantifier or an alternation — `(a+)+`,
 * `(\w+\s?)*`, `(a|aa){2,}` — and describes it; undefined when there is none.
 */
export function nestedQuantifier(source: string): string | undefined {
  const groups: { start: number; inner: boolean }[] = [];
  const markInner = () => {
    const top = groups.at(-1);
    if (top) top.inner = true;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '(') {
      groups.push({ start: i, inner: false });
      // `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`: the `?` is not a quantifier.
      if (source[i + 1] === '?') {
        const named = /^\(\?<[A-Za-z_$][\w$]*>/.exec(source.slice(i));
        i += named ? named[0].length - 1 : source[i + 2] === '<' ? 3 : 2;
      }
    } else if (c === '|') {
      markInner();
    } else if (c === ')') {
      const group = groups.pop();
      if (!group) continue;
      const repeated = repeatingQuantifierAt(source, i + 1);
      if (repeated && group.inner) return `the repeated group \`${source.slice(group.start, i + 1)}\` contains a quantifier or alternation`;
      if (repeated || group.inner) markInner();
    } else if (c === '*' || c === '+' || c === '?' || (c === '{' && isQuantifier(source, i))) {
      markInner();
    }
  }
  return undefined;
}

/** A quantifier at `i` that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1), not merely `?`. */
function repeatingQuantifierAt(source: string, i: number): boolean {
  const c = source[i];
  if (c === '*' || c === '+') return true;
  if (c !== '{') return false;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
  if (!m) return false;
  if (m[2] === undefined) return Number(m[1]) > 1;
  return m[3] === '' || Number(m[3]) > 1;
}

export function captureNames(source: string): string[] {
  const names: string[] = [];
  const re = /\\.|\[(?:\\.|[^\]])*\]|\(\?<([A-Za-z_$][\w$]*)>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) if (m[1]) names.push(m[1]);
  return names;
}

const META = new Set(['.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\']);
const ESCAPED_LITERAL = new Set([
  '.',
  '^',
  '$',
  '*',
  '+',
  '?',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '|',
  '\\',
  '/',
  '-',
  ' ',
  ':',
  '=',
  '"',
  "'",
  ',',
  '#',
  '@',
  '!',
  '%',
  '&',
  '<',
  '>',
  '~',
  '`',
  ';',
]);

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
    const ch = src.charAt(i);
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
