import type { z } from 'zod';
import type { ConfigPath, Diagnostics } from './diagnostics.ts';

/** Runs a zod schema and turns every issue into a placed diagnostic. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, base: ConfigPath, diag: Diagnostics): z.output<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) diag.add([...path, key], `unknown key "${key}"`, 'key');
    } else if (issue.code === 'invalid_union') {
      diag.add(path, unionMessage(issue));
    } else {
      diag.add(path, issueMessage(issue.message, value, issue.path as (string | number)[]));
    }
  }
  return undefined;
}

function issueMessage(message: string, root: unknown, rel: (string | number)[]): string {
  // zod reports a missing key as "expected X, received undefined": say "required" instead.
  if (/received undefined$/.test(message) && getAt(root, rel) === undefined) return `required (${message.replace(/^Invalid input: /, '')})`;
  return message.replace(/^Invalid input: /, '');
}

function unionMessage(issue: { errors?: unknown[][]; message: string }): string {
  // Prefer the branch that got furthest: the one whose issues point deepest.
  const branches = (issue.errors ?? []) as { path: unknown[]; message: string }[][];
  let best: { path: unknown[]; message: string } | undefined;
  for (const b of branches) for (const i of b) if (!best || i.path.length > best.path.length) best = i;
  if (best && best.path.length > 0) return `${best.path.join('.')}: ${best.message.replace(/^Invalid input: /, '')}`;
  return issue.message.replace(/^Invalid input/, 'invalid value');
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** The `type:` of a `sources:` or `sinks:` entry, if it names one of `known`. */
export function typeOf(value: unknown, path: ConfigPath, diag: Diagnostics, known: string[]): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    diag.add(path, 'must be a mapping with a type: key');
    return undefined;
  }
  const t = (value as { type?: unknown }).type;
  if (typeof t !== 'string') {
    diag.add(path, `type: is required (one of ${known.join(', ')})`);
    return undefined;
  }
  if (!known.includes(t)) {
    diag.add([...path, 'type'], `unknown type "${t}" (one of ${known.join(', ')})`);
    return undefined;
  }
  return t;
}
