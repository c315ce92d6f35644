/**
 * Tail benchmark: backlog read of a generated log (~200-byte lines, 1% matching a literal rule)
 * by `cat`, `grep -F -c` and a real `log2events run --once` subprocess, side by side; then a
 * steady-state run where a writer appends at 10k and 50k lines/s while the agent tails.
 *
 *   node bench/tail.ts [--size 256MiB] [--steady-seconds 10] [--runtime dist|ts] [--keep]
 *
 * `--runtime dist` (default) rebuilds the CLI bundle (scripts/bundle.js, as `npm run build` does)
 * and runs bin/log2events.js with the node flags of its shebang: the installed command; `ts`
 * runs src/cli/main.ts with type stripping (which alone costs ~17 MiB of RSS).
 *
 * CPU and peak RSS come from `/usr/bin/time -v` for the backlog runs and from /proc/<pid> for
 * the steady-state runs.
 *
 * Next to them, in the same run: a bare node process (same binary and flags) that only reads the
 * file and counts the literal with Buffer.indexOf, the floor under any Node program here; and
 * the agent on an empty file, its start-up and shutdown alone.
 *
 * Results (2026-11-25, 2 vCPU, page cache warm, load < 1, commit e219ae9; three runs, the range):
 *   tool                      wall s     CPU s      MB/s  peak RSS MiB
 *   cat > /dev/null             0.09      0.06   ~12,400          1.6
 *   grep -F -c                  0.11      0.09    ~9,700          2.0   count=53800
 *   node read + indexOf    0.21-0.23 0.19-0.21 4671-5192         51.1
 *   log2events, empty file 0.28-0.30 0.26-0.28         -         65.9
 *   log2events run --once  0.95-1.01 1.17-1.30 1060-1128   77.3-77.9   53,800 events; file read
 *                                                                      1,468-1,625 MB/s
 *   log2events, 0% matching     0.41 0.43-0.44 2535-2644         68.1   file read 7,421-7,912 MB/s
 *   CPU / grep: 13.0-14.4x (node floor 2.1-2.3x, empty-file run 2.9-3.1x).
 *   steady 10k lines/s: 1.1-1.2 % of a core, RSS 68.3-68.6 MiB; 50k lines/s: 1.6-1.7 %,
 *   69.2-69.7 MiB.
 * Before the lean runtime profile (TurboFan, compiler threads, 2,000-event file batches, 1 MiB
 * reads): 1% backlog peak RSS 92.5-97.6 MiB, 50k lines/s 77.9-80.0 MiB, CPU about the same.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseByteSize } from '../src/core/byte-size.ts';

const REPO = resolve(import.meta.dirname, '..');
const LITERAL = 'PAYMENT_FAILED';
const TIME = '/usr/bin/time';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256MiB' },
    'steady-seconds': { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    runtime: { type: 'string', default: 'dist' },
  },
});
/** The flags the installed command runs node with (the shebang of bin/log2events.js). */
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(join(REPO, 'bin/log2events.js'), 'utf8'))?.[1] ?? '')
  .trim()
  .split(/\s+/)
  .filter(Boolean);
const MAIN = (() => {
  if (values.runtime === 'ts') return join(REPO, 'src/cli/main.ts');
  if (values.runtime !== 'dist') throw new Error('--runtime: dist or ts');
  // The installed command itself: bin/log2events.js over the bundle, rebuilt from the current
  // sources by the script `npm run build` uses.
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/bundle.js')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle failed:\n${r.stdout}${r.stderr}`);
  return join(REPO, 'bin/log2events.js');
})();
const size = parseByteSize(values.size!);
if (!size) throw new Error(`--size: not a size: ${values.size}`);
const steadySeconds = Number(values['steady-seconds']);

if (!existsSync(TIME)) {
  console.error('/usr/bin/time is missing: apt-get install -y time');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'l2e-bench-'));
const logPath = join(dir, 'backlog.log');

/** A ~200-byte line; every 100th one carries the literal. */
function line(i: number): string {
  const ts = new Date(1_717_236_000_000 + i).toISOString();
  const head =
    i % 100 === 37
      ? `${ts} ERROR [worker-${i % 16}] ${LITERAL} order=${i} amount=${(i % 9973) / 100} gateway=acme reason=card_declined`
      : `${ts} INFO  [worker-${i % 16}] request id=${(i * 2654435761) >>> 0} method=GET path=/api/v1/items/${i % 5000} status=200 duration_ms=${i % 250}`;
  return head.padEnd(199, ' .') + '\n';
}

function generate(path: string, bytes: number): { lines: number; matching: number } {
  const fd = openSync(path, 'w');
  let written = 0;
  let i = 0;
  let matching = 0;
  while (written < bytes) {
    let chunk = '';
    for (let k = 0; k < 20_000; k++, i++) {
      if (i % 100 === 37) matching++;
      chunk += line(i);
    }
    written += writeSync(fd, chunk);
  }
  closeSync(fd);
  return { lines: i, matching };
}

interface Measured {
  wallS: number;
  cpuS: number;
  maxRssMiB: number;
  stdout: string;
  stderr: string;
}

/** Runs a command under `/usr/bin/time -v`. */
function timed(cmd: string[], opts: { stdout?: 'null' | 'pipe' } = {}): Measured {
  const out = opts.stdout === 'null' ? openSync('/dev/null', 'w') : 'pipe';
  const start = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-v', ...cmd], { stdio: ['ignore', out, 'pipe'], maxBuffer: 1 << 28, encoding: 'utf8' });
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  if (typeof out === 'number') closeSync(out);
  const stderr = r.stderr;
  const num = (label: string) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(stderr)?.[1] ?? NaN);
  return {
    wallS,
    cpuS: num('User time \\(seconds\\)') + num('System time \\(seconds\\)'),
    maxRssMiB: num('Maximum resident set size \\(kbytes\\)') / 1024,
    stdout: r.stdout ?? '',
    stderr,
  };
}

function agentConfig(name: string, startAt: 'beginning' | 'end', include: string, literal = LITERAL): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `state_dir: ${join(dir, `${name}-state`)}
sources:
  app:
    type: file
    include: ["${include}"]
    format: plain
    start_at: ${startAt}
sinks:
  out: { type: file, path: ${join(dir, `${name}.jsonl`)}, fsync: false }
rules:
  - name: payment_failed
    when: { contains: "${literal}" }
    event: { name: PaymentFailed, source: bench, content: "{{body}}" }
    to: [out]
`,
  );
  return path;
}

function logTime(stderr: string, msg: string): number | undefined {
  for (const l of stderr.split('\n')) {
    if (!l.includes(`"msg":"${msg}"`)) continue;
    try {
      return Date.parse((JSON.parse(l.slice(l.indexOf('{'))) as { time: string }).time);
    } catch {
      // not one of ours
    }
  }
  return undefined;
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const mib = size / 1048576;

console.log(`runtime: node ${[...NODE_FLAGS, MAIN].join(' ')}`);
console.log(`generating ${fmt(mib, 0)} MiB of ~200-byte lines in ${dir} ...`);
const gen = generate(logPath, size);
const bytes = statSync(logPath).size;
console.log(`${gen.lines} lines, ${gen.matching} matching "${LITERAL}", ${fmt(bytes / 1048576, 1)} MiB`);
timed(['cat', logPath], { stdout: 'null' }); // warm the page cache

const rows: { name: string; m: Measured; note: string; reads?: false }[] = [];
const cat = timed(['cat', logPath], { stdout: 'null' });
rows.push({ name: 'cat > /dev/null', m: cat, note: '' });
const grep = timed(['grep', '-F', '-c', LITERAL, logPath]);
rows.push({ name: `grep -F -c`, m: grep, note: `count=${grep.stdout.trim()}` });

// The floor under any Node program on this task: the same node binary and flags, doing nothing
// but read the file in 1 MiB chunks and count the literal with Buffer.indexOf.
const floorScript = join(dir, 'node-floor.mjs');
writeFileSync(
  floorScript,
  `import { openSync, readSync } from 'node:fs';
const fd = openSync(process.argv[2], 'r');
const buf = Buffer.allocUnsafe(1 << 20);
const lit = Buffer.from(process.argv[3]);
let count = 0, pos = 0, n;
while ((n = readSync(fd, buf, 0, buf.length, pos)) > 0) {
  pos += n;
  const view = buf.subarray(0, n);
  for (let i = view.indexOf(lit); i !== -1; i = view.indexOf(lit, i + lit.length)) count++;
}
console.log(count);
`,
);
const floor = timed([process.execPath, ...NODE_FLAGS, floorScript, logPath, LITERAL]);
rows.push({ name: 'node read + indexOf', m: floor, note: `count=${floor.stdout.trim()}; the runtime's floor` });

// The agent's own start-up and shutdown: the same config over an empty file.
const emptyPath = join(dir, 'empty.log');
writeFileSync(emptyPath, '');
const empty = timed([process.execPath, ...NODE_FLAGS, MAIN, 'run', '-c', agentConfig('empty', 'beginning', emptyPath), '--once']);
rows.push({ name: 'log2events, empty file', m: empty, note: 'start-up and shutdown only', reads: false });

const backlogCfg = agentConfig('backlog', 'beginning', logPath);
const agent = timed([process.execPath, ...NODE_FLAGS, MAIN, 'run', '-c', backlogCfg, '--once']);
const events = readFileSync(join(dir, 'backlog.jsonl'), 'utf8').split('\n').filter(Boolean).length;
const started = logTime(agent.stderr, 'started');
const stopping = logTime(agent.stderr, 'stopping');
const readS = started !== undefined && stopping !== undefined ? (stopping - started) / 1000 : NaN;
const caughtUp = /"msg":"caught up".*?"seconds":([\d.]+)/.exec(agent.stderr);
const sourceS = caughtUp ? Number(caughtUp[1]) : NaN;
rows.push({
  name: 'log2events run --once',
  m: agent,
  note: `events=${events}${events === gen.matching ? ' (all)' : ' (MISMATCH)'}; file read ${fmt(sourceS)} s = ${fmt(bytes / 1e6 / sourceS, 0)} MB/s; started→drained+delivered ${fmt(readS)} s = ${fmt(bytes / 1e6 / readS, 0)} MB/s`,
});

// The same read with a rule that matches nothing: the source's own cost, without the spool.
const idleCfg = agentConfig('nomatch', 'beginning', logPath, 'NO_SUCH_LITERAL');
const idle = timed([process.execPath, ...NODE_FLAGS, MAIN, 'run', '-c', idleCfg, '--once']);
const idleCaught = /"msg":"caught up".*?"seconds":([\d.]+)/.exec(idle.stderr);
const idleS = idleCaught ? Number(idleCaught[1]) : NaN;
rows.push({ name: 'log2events, 0% matching', m: idle, note: `file read ${fmt(idleS)} s = ${fmt(bytes / 1e6 / idleS, 0)} MB/s` });

console.log(`\nbacklog read of ${fmt(bytes / 1e6, 0)} MB`);
console.log(
  ['tool'.padEnd(24), 'wall s'.padStart(8), 'CPU s'.padStart(8), 'MB/s'.padStart(8), 'peak RSS MiB'.padStart(13), '  notes'].join(''),
);
for (const { name, m, note, reads } of rows) {
  console.log(
    [
      name.padEnd(24),
      fmt(m.wallS).padStart(8),
      fmt(m.cpuS).padStart(8),
      (reads === false ? '-' : fmt(bytes / 1e6 / m.wallS, 0)).padStart(8),
      fmt(m.maxRssMiB, 1).padStart(13),
      `  ${note}`,
    ].join(''),
  );
}
console.log(
  `log2events CPU / grep CPU: ${fmt(agent.cpuS / grep.cpuS, 1)}x (target <= 4x); node floor / grep: ${fmt(floor.cpuS / grep.cpuS, 1)}x; empty-file run / grep: ${fmt(empty.cpuS / grep.cpuS, 1)}x`,
);
console.log(
  `log2events peak RSS: ${fmt(agent.maxRssMiB * 1.048576, 1)} MB (target <= 80 MB); empty-file run: ${fmt(empty.maxRssMiB * 1.048576, 1)} MB`,
);

// ---- steady state --------------------------------------------------------------------------

function procCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return ticks / 100; // USER_HZ
}
function procRssMiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function steady(rate: number): Promise<{ cpuPct: number; rss: number; hwm: number; events: number; expected: number }> {
  const path = join(dir, `steady-${rate}.log`);
  writeFileSync(path, '');
  const cfg = agentConfig(`steady-${rate}`, 'end', path);
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, 'run', '-c', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((res, rej) => {
    child.stderr!.on('data', () => log.includes('"msg":"started"') && res());
    child.on('exit', (code) => rej(new Error(`agent exited ${code}: ${log}`)));
  });
  const fd = openSync(path, 'a');
  let i = 0;
  let expected = 0;
  const tickMs = 10;
  const t0 = Date.now();
  const writeTick = () => {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    let chunk = '';
    while (i < due) {
      if (i % 100 === 37) expected++;
      chunk += line(i++);
    }
    if (chunk) writeSync(fd, chunk);
  };
  const timer = setInterval(writeTick, tickMs);
  await new Promise((r) => setTimeout(r, 2000)); // warm-up
  const cpu0 = procCpuS(child.pid!);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, steadySeconds * 1000));
  const cpu1 = procCpuS(child.pid!);
  const w1 = Date.now();
  const rss = procRssMiB(child.pid!, 'VmRSS');
  const hwm = procRssMiB(child.pid!, 'VmHWM');
  clearInterval(timer);
  closeSync(fd);
  // SIGTERM stops reading at once (lines not read yet wait behind the checkpoint for the next
  // start), so give the agent up to 5 s to deliver the last lines before asking it to stop.
  const out = join(dir, `steady-${rate}.jsonl`);
  const delivered = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).length : 0);
  for (const until = Date.now() + 5000; delivered() < expected && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
  const events = delivered();
  if (events !== expected) console.log(`agent log (${events} events of ${expected}):\n${log}`);
  return { cpuPct: ((cpu1 - cpu0) / ((w1 - w0) / 1000)) * 100, rss, hwm, events, expected };
}

console.log(`\nsteady state (${steadySeconds} s measured after 2 s warm-up; ~200-byte lines, 1% matching)`);
console.log(
  ['rate lines/s'.padEnd(14), 'CPU % core'.padStart(11), 'RSS MiB'.padStart(9), 'peak RSS MiB'.padStart(13), '  events'].join(''),
);
for (const rate of [10_000, 50_000]) {
  const s = await steady(rate);
  console.log(
    [
      String(rate).padEnd(14),
      fmt(s.cpuPct, 1).padStart(11),
      fmt(s.rss, 1).padStart(9),
      fmt(s.hwm, 1).padStart(13),
      `  ${s.events}/${s.expected}`,
    ].join(''),
  );
}

if (!values.keep) rmSync(dir, { recursive: true, force: true });
