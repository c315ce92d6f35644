/**
 * Time per line of rule regexes on hostile lines, with V8's defaults (before) and with the flags
 * src/core/regex.ts sets (after: the linear-time engine takes over after 1,000,000 backtracks).
 *
 *   node bench/regex.ts
 *
 * Each measurement runs in a child node process, with or without the flags. "Before" grows the
 * line until one match takes over 2 s and extrapolates (the time doubles per character or word);
 * "after" runs the full hostile lines (and 1,000 and 100,000 of them: the linear engine's cost
 * grows with the line). The last rows check that ordinary matches cost the same, on log lines
 * and on a 99 KB line where an ordinary pattern backtracks a little at many positions (the
 * backtrack limit counts over the whole subject: too low a limit sends such matches to the
 * slower linear-time engine).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { LINEAR_FALLBACK_FLAGS } from '../src/core/regex.ts';

const CHILD = `
const [pattern, kind, sizes, flags] = JSON.parse(process.argv[1]);
if (flags) for (const f of flags) require('node:v8').setFlagsFromString(f);
const re = new RegExp(pattern);
const line = (n) => kind === 'words' ? Array(n).fill('ab').join(' ') + '!' : 'a'.repeat(n) + '!';
const out = [];
for (const n of sizes) {
  const text = line(n);
  const t = performance.now();
  let runs = 0;
  do { re.test(text); runs++; } while (performance.now() - t < 50 && runs < 1000);
  const ms = (performance.now() - t) / runs;
  out.push([n, ms]);
  if (ms > 2000) break;
}
if (kind === 'long') {
  const rx = /(\\w+)=(\\w+) end/;
  const text = Array.from({ length: 8000 }, (_, i) => 'k' + i + '=v' + i).join(', ');
  rx.test(text);
  const t = performance.now();
  let runs = 0;
  do { rx.test(text); runs++; } while (performance.now() - t < 500);
  out.push(['long', (performance.now() - t) / runs]);
}
if (kind === 'ordinary') {
  const rx = /payment failed for order (?<id>\\d+)/;
  const lines = Array.from({ length: 1000 }, (_, i) => i % 100 ? 'GET /api/v1/items/' + i + ' 200 in 12ms user=u' + i : 'payment failed for order ' + i + ': card declined');
  for (let i = 0; i < 2000; i++) rx.exec(lines[i % 1000]);
  const t = performance.now();
  for (let i = 0; i < 2000000; i++) rx.exec(lines[i % 1000]);
  out.push(['ordinary', (performance.now() - t) / 2000000]);
}
process.stdout.write(JSON.stringify(out));
`;

function run(pattern: string, kind: string, sizes: (number | string)[], flags: boolean): [number | string, number][] {
  const out = execFileSync(process.execPath, ['-e', CHILD, JSON.stringify([pattern, kind, sizes, flags ? LINEAR_FALLBACK_FLAGS : null])], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  return JSON.parse(out) as [number, number][];
}

const fmt = (ms: number) =>
  ms >= 1000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1
      ? `${ms.toFixed(1)} ms`
      : ms >= 0.001
        ? `${(ms * 1000).toFixed(1)} µs`
        : `${(ms * 1e6).toFixed(0)} ns`;

console.log(`node ${process.version}, load ${loadavg()[0]!.toFixed(2)}`);
const cases: [string, string, number, number[]][] = [
  ['^(\\w+\\s?)+$', 'words', 34, [16, 18, 20, 22, 24, 26, 28, 30, 32]],
  ['^(a+)+$', 'as', 40, [18, 20, 22, 24, 26, 28, 30, 32]],
];
for (const [pattern, kind, full, sizes] of cases) {
  const unit = kind === 'words' ? 'words' : 'a';
  const before = run(pattern, kind, sizes, false);
  const [lastN, lastMs] = before.at(-1)! as [number, number];
  // The growth per step over the measured range (from the first match of 10 ms up: below that, noise).
  const [prevN, prevMs] = (before.find(([, ms]) => ms >= 10) ?? before.at(-2)!) as [number, number];
  const perStep = (lastMs / prevMs) ** (1 / (lastN - prevN));
  const extrapolated = lastMs * perStep ** (full - lastN);
  const after = run(pattern, kind, [full, 1000, 100_000], true);
  console.log(`\n${pattern} on ${full} ${kind === 'words' ? '"ab" words' : unit} + "!"`);
  console.log(`  before: ${before.map(([n, ms]) => `${n} ${unit}: ${fmt(ms)}`).join(', ')}`);
  console.log(
    `          x${perStep.toFixed(2)} per ${unit === 'a' ? 'character' : 'word'} → ${full} ${unit}: ~${fmt(extrapolated)} (extrapolated)`,
  );
  console.log(`  after:  ${after.map(([n, ms]) => `${n} ${unit}: ${fmt(ms)}`).join(', ')}`);
}
const plain = run('x', 'ordinary', [], false).at(-1)![1];
const flagged = run('x', 'ordinary', [], true).at(-1)![1];
console.log(`\nordinary match (/payment failed for order (?<id>\\d+)/ on log lines): before ${fmt(plain)}, after ${fmt(flagged)} per line`);
const longPlain = run('x', 'long', [], false).at(-1)![1];
const longFlagged = run('x', 'long', [], true).at(-1)![1];
console.log(`ordinary match (/(\\w+)=(\\w+) end/ on a 99 KB line of k=v pairs): before ${fmt(longPlain)}, after ${fmt(longFlagged)}`);
