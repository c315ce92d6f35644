import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { srcRoot } from './import-graph.ts';

/**
 * Types are checked at the edges and trusted after: src/ asserts no type the compiler cannot
 * check. Biome rejects `any` (suspicious/noExplicitAny) and `x!` (style/noNonNullAssertion) in
 * src/; this rejects the double assertion, which Biome has no rule for. An exception needs an
 * entry here with its reason.
 */
const ALLOWED: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('type escapes in src/', () => {
  it('no `as unknown as` outside the allowlist', () => {
    const found: string[] = [];
    for (const file of sourceFiles(srcRoot())) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const at = `${relative(srcRoot(), file)}:${i + 1}`;
        if (/\bas\s+unknown\s+as\b/.test(line) && !(at in ALLOWED)) found.push(`${at}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('Biome keeps any and non-null assertions out of src/', () => {
    const config = JSON.parse(readFileSync(join(srcRoot(), '..', 'biome.json'), 'utf8'));
    const src = config.overrides.find((o: { includes: string[] }) => o.includes.includes('src/**'));
    expect(config.linter.rules.suspicious.noExplicitAny).toBe('error');
    expect(src.linter.rules.style.noNonNullAssertion).toBe('error');
  });
});
