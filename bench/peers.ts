/**
 * Side by side with Fluent Bit on the real path: file → rule → HTTP receiver on loopback.
 *
 *   node bench/peers.ts [--lines 2000000] [--rounds 3] [--steady-seconds 10] [--rates 10000,50000]
 *                       [--warmup-seconds 5]
 *                       [--fluent-bit PATH] [--skip-cloud] [--keep]
 *                       [--only NAME,...] [--bin PATH] [--node-flags "FLAGS"] [--threads]
 *
 * Workload: a backlog of `--lines` lines of 211 bytes; 1% match `payment failed for order (\d+)`,
 * 14,000 more are decoy ERROR lines that do not. Every tool reads the same file with a warm page
 * cache and sends what matches to the same kind of receiver, a loopback HTTP server in this
 * process (its CPU is not charged to the tools). The receiver counts delivered, unique and
 * duplicated order ids.
 *
 * Rows, interleaved round by round (the order rotates), medians printed:
 * - `cat`, `grep -F -c` (output to a file: GNU grep stops at the first match when it writes to
 *   /dev/null), a bare node read + indexOf (the floor under any Node program);
 * - log2events with the `http` sink, `run --once`: start-up included (`/usr/bin/time -v`);
 * - log2events `http` sink already running: the file is moved into a watched directory; CPU from
 *   /proc between the move and the last delivery (start-up excluded), peak RSS from VmHWM;
 * - log2events with a cloud sink (`huawei_ces`) against the emulator in its own process;
 * - Fluent Bit tuned and with defaults (../shared/peers/fluent-bit), when its binary runs here;
 *   it never exits by itself, so its rows are always "already running".
 * Steady state at each `--rates` value: a writer appends for `--warmup-seconds` (not measured: a
 * JIT compiles the hot paths in the first seconds, a one-off cost that is not the steady state),
 * then for `--steady-seconds`, measured; each matching line carries the time it was written, and
 * the receiver computes the latency p50/p99 from the lines written in the measured part.
 * Last, the ratios log2events ÷ Fluent Bit tuned.
 *
 * For A/B runs of log2events builds: `--only` keeps the rows whose name contains one of the
 * comma-separated strings (e.g. `--only 'log2events http'`: log2events's rows alone; `--rates 0`
 * leaves out the steady state); `--bin` runs another build's
 * bin/log2events.js (next to its own dist/bundle/) instead of rebuilding this checkout's;
 * `--node-flags` adds node flags after the shebang's. `--threads` prints, for each steady row, the
 * CPU of the tool's threads grouped by name, user and system apart (where a fixed cost goes).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installedCommand } from './installed-command.ts';

const REPO = resolve(import.meta.dirname, '..');
const TIME = '/usr/bin/time';
const PATTERN = 'payment failed for order';
const LINE_BYTES = 211;

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '3' },
    'steady-seconds': { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '5' },
    rates: { type: 'string', default: '10000,50000' },
    'fluent-bit': { type: 'string', default: join(REPO, '../shared/peers/fluent-bit') },
    'skip-cloud': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
    bin: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    threads: { type: 'boolean', default: false },
  },
});
const LINES = Number(values.lines);
const ROUNDS = Number(values.rounds);
const STEADY_S = Number(values['steady-seconds']);
const WARMUP_S = Number(values['warmup-seconds']);
const RATES = values
  .rates!.split(',')
  .map(Number)
  .filter((n) => n > 0);
const FB_DIR = resolve(values['fluent-bit']!);
const FB = join(FB_DIR, 'fluent-bit');

if (!existsSync(TIME)) {
  console.error('/usr/bin/time is missing: apt-get install -y time');
  process.exit(2);
}
const fbRuns = existsSync(FB) && spawnSync(FB, ['--version'], { encoding: 'utf8' }).status === 0;
if (!fbRuns) console.log(`Fluent Bit rows skipped: ${FB} is missing or does not run here (see its README for the libraries it needs)`);

const ONLY = values.only?.split(',').filter(Boolean);
const wanted = (name: string) => !ONLY || ONLY.some((o) => name.includes(o));

/** The installed command: bin/log2events.js over the bundle, rebuilt from the current sources. */
const { bin: BIN, nodeFlags: NODE_FLAGS } = installedCommand(values.bin, values['node-flags']);
const l2e = (args: string[]) => [process.execPath, ...NODE_FLAGS, BIN, ...args];

const dir = mkdtempSync(join(tmpdir(), 'l2e-peers-'));
const backlog = join(dir, 'backlog.log');

// ---- workload ------------------------------------------------------------------------------

function line(i: number, writtenAt?: number): string {
  const ts = new Date(writtenAt ?? 1_717_236_000_000 + i).toISOString();
  let text: string;
  if (i % 100 === 37) text = `${ts} ERROR [worker-${i % 16}] ${PATTERN} ${i} amount=${(i % 9973) / 100} gateway=acme at=${writtenAt ?? 0}`;
  else if (i % 143 === 11) text = `${ts} ERROR [worker-${i % 16}] payment retry scheduled for order ${i} gateway=acme`;
  else
    text = `${ts} INFO  [worker-${i % 16}] request id=${(i * 2654435761) >>> 0} method=GET path=/api/v1/items/${i % 5000} status=200 duration_ms=${i % 250}`;
  return `${text.padEnd(LINE_BYTES - 1, ' .')}\n`;
}

function generate(path: string, lines: number): number {
  const fd = openSync(path, 'w');
  let matching = 0;
  for (let i = 0; i < lines; ) {
    let chunk = '';
    for (let k = 0; k < 20_000 && i < lines; k++, i++) {
      if (i % 100 === 37) matching++;
      chunk += line(i);
    }
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return matching;
}

// ---- the receiver --------------------------------------------------------------------------

interface Receiver {
  url: string;
  server: Server;
  ids: Map<number, number>;
  latencies: number[];
  /** Latencies are kept for lines written from this time on (the measured part of a steady run). */
  measureFrom: number;
  reset(): void;
  delivered(): number;
}

const ORDER = /payment failed for order (\d+)\b[^"]*?at=(\d+)/g;

async function receiver(): Promise<Receiver> {
  const ids = new Map<number, number>();
  const latencies: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const body = Buffer.concat(chunks).toString();
      // Both tools' payloads carry the line's text; the id and write time are read from it.
      for (const m of body.matchAll(ORDER)) {
        const id = Number(m[1]);
        ids.set(id, (ids.get(id) ?? 0) + 1);
        const at = Number(m[2]);
        if (at > 0 && at >= rx.measureFrom) latencies.push(now - at);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const rx: Receiver = {
    measureFrom: 0,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    ids,
    latencies,
    reset() {
      ids.clear();
      latencies.length = 0;
      rx.measureFrom = 0;
    },
    delivered() {
      let n = 0;
      for (const c of ids.values()) n += c;
      return n;
    },
  };
  return rx;
}

// ---- measuring -----------------------------------------------------------------------------

interface Row {
  cpuS: number;
  wallS: number;
  peakMiB: number;
  anonMiB?: number;
  delivered?: number;
  unique?: number;
  duplicates?: number;
}

/** Runs a command under `/usr/bin/time -v`, asynchronously: the receiver in this process must keep answering. */
async function timed(cmd: string[], stdoutTo?: string): Promise<Row> {
  const out = stdoutTo ? openSync(stdoutTo, 'w') : 'ignore';
  const start = process.hrtime.bigint();
  const child = spawn(TIME, ['-v', ...cmd], { stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const status = await new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  if (typeof out === 'number') closeSync(out);
  const num = (label: string) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
  // grep -c exits 1 on no match; run --once exits 4 when it dead-lettered (still a measurement).
  if (status !== 0 && status !== 1 && status !== 4) throw new Error(`${cmd.join(' ')} exited ${status}:\n${stderr.slice(-2000)}`);
  return {
    wallS,
    cpuS: num('User time \\(seconds\\)') + num('System time \\(seconds\\)'),
    peakMiB: num('Maximum resident set size \\(kbytes\\)') / 1024,
  };
}

function procCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU seconds (user, system) of a process's threads, summed by thread name. */
function threadCpuS(pid: number): Map<string, { user: number; sys: number }> {
  const out = new Map<string, { user: number; sys: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, 'N');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = out.get(name) ?? { user: 0, sys: 0 };
    t.user += Number(f[11]) / 100;
    t.sys += Number(f[12]) / 100;
    out.set(name, t);
  }
  return out;
}

function procKiB(pid: number, key: 'VmRSS' | 'VmHWM' | 'RssAnon'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 5));
  }
}

/** A long-running tool: started, ready, then measured while it does the work `act` starts. */
interface Running {
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

async function start(cmd: string[], ready: (log: string) => boolean): Promise<Running> {
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  await Promise.race([
    until(() => ready(log), 30_000, `${cmd[0]} to start`),
    exited.then(() => Promise.reject(new Error(`${cmd.join(' ')} exited:\n${log}`))),
  ]);
  return {
    child,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function medians(rows: Row[]): Row {
  const med = (xs: number[]) => {
    const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
  };
  const pick = (k: keyof Row) => med(rows.map((r) => (r[k] as number | undefined) ?? Number.NaN));
  return {
    cpuS: pick('cpuS'),
    wallS: pick('wallS'),
    peakMiB: pick('peakMiB'),
    anonMiB: pick('anonMiB'),
    delivered: pick('delivered'),
    unique: pick('unique'),
    duplicates: pick('duplicates'),
  };
}

// ---- the tools -----------------------------------------------------------------------------

function l2eConfig(name: string, include: string, startAt: 'beginning' | 'end', sink: string, admin = false): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `state_dir: ${join(dir, `${name}-state`)}
${admin ? 'admin: { listen: "127.0.0.1:0" }\n' : ''}sources:
  app: { type: file, include: ["${include}"], format: plain, start_at: ${startAt} }
sinks:
  out: ${sink}
rules:
  - name: payment_failed
    when: { body: '${PATTERN} (?<order>\\d+)' }
    event: { name: PaymentFailed, source: shop.payments, content: "{{body}}", attributes: { order: "{{order}}" } }
    to: [out]
`,
  );
  rmSync(join(dir, `${name}-state`), { recursive: true, force: true });
  return path;
}

function fbConfig(name: 'tuned' | 'default', glob: string, port: number): string {
  const text = readFileSync(join(FB_DIR, `${name}.conf`), 'utf8')
    .replaceAll('WATCH_GLOB', glob)
    .replaceAll('RECEIVER_PORT', String(port));
  const path = join(dir, `fb-${name}.conf`);
  writeFileSync(path, text);
  return path;
}

function counted(rx: Receiver, row: Row): Row {
  const delivered = rx.delivered();
  return { ...row, delivered, unique: rx.ids.size, duplicates: delivered - rx.ids.size };
}

/** A watched directory into which the backlog is moved once the tool is running and idle. */
function freshWatchDir(name: string): string {
  const d = join(dir, `watch-${name}`);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  return d;
}

async function runningBacklog(
  rx: Receiver,
  expected: number,
  cmd: (watch: string) => string[],
  ready: (log: string) => boolean,
  name: string,
): Promise<Row> {
  const watch = freshWatchDir(name);
  const copy = join(dir, `copy-${name}.log`);
  spawnSync('cp', [backlog, copy]);
  spawnSync('cat', [copy], { stdio: 'ignore' });
  rx.reset();
  const tool = await start(cmd(watch), ready);
  const pid = tool.child.pid!;
  const cpu0 = procCpuS(pid);
  const t0 = process.hrtime.bigint();
  renameSync(copy, join(watch, 'app.log'));
  let peakAnon = 0;
  await until(
    () => {
      peakAnon = Math.max(peakAnon, procKiB(pid, 'RssAnon'));
      return rx.ids.size >= expected;
    },
    300_000,
    `${name} to deliver ${expected} events (has ${rx.ids.size})`,
  );
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const row: Row = { cpuS: procCpuS(pid) - cpu0, wallS, peakMiB: procKiB(pid, 'VmHWM') / 1024, anonMiB: peakAnon / 1024 };
  // Late duplicates would show in the next second.
  await new Promise((ok) => setTimeout(ok, 1000));
  const out = counted(rx, row);
  await tool.stop();
  return out;
}

const l2eReady = (log: string) => log.includes('"msg":"started"');
const fbReady = (log: string) =>
  log.includes('[sp] stream processor started') || log.includes('inotify_fs_add') || log.includes('flb_tail');

// ---- main ----------------------------------------------------------------------------------

const rx = await receiver();
console.log(`generating ${LINES.toLocaleString()} lines of ${LINE_BYTES} B in ${dir} …`);
const expected = generate(backlog, LINES);
console.log(`${expected.toLocaleString()} matching lines (1%), ${Math.floor(LINES / 143).toLocaleString()} decoy ERROR lines\n`);

let emulator: Running | undefined;
let emulatorUrl = '';
if (!values['skip-cloud']) {
  emulator = await start(l2e(['emulator', '--listen', '127.0.0.1:0']), (log) => /listening on http/.test(log));
  emulatorUrl = /listening on (http:\/\/\S+)/.exec(emulator.log())?.[1] ?? '';
  if (!emulatorUrl) throw new Error(`emulator URL not found in: ${emulator.log()}`);
}

const httpSink = `{ type: http, url: "${rx.url}/l2e", batch: { linger: 200ms } }`;
const cesSink = () =>
  `{ type: huawei_ces, endpoint: "${emulatorUrl}", region: r, project_id: 0123456789abcdef0123456789abcdef, credentials: { ak: EMULATORHUAWEIAK0000, sk: emulatorHuaweiSecretKey0000000000000000 } }`;

type Tool = { name: string; run: () => Promise<Row> | Row };
const tools: Tool[] = [
  { name: 'cat', run: () => timed(['cat', backlog], '/dev/null') },
  { name: 'grep -F -c', run: () => timed(['grep', '-F', '-c', PATTERN, backlog], join(dir, 'grep.out')) },
  {
    name: 'node read + indexOf',
    run: () =>
      timed([
        process.execPath,
        ...NODE_FLAGS,
        '-e',
        `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(backlog)});const b=Buffer.alloc(1<<19);let n=0,r;while((r=fs.readSync(fd,b))>0){let i=0;const v=b.subarray(0,r);while((i=v.indexOf(${JSON.stringify(PATTERN)},i))>=0){n++;i++}}`,
      ]),
  },
  {
    name: 'log2events http, run --once (start-up incl.)',
    run: async () => {
      rx.reset();
      const row = await timed(l2e(['run', '--once', '-c', l2eConfig('once', backlog, 'beginning', httpSink)]));
      return counted(rx, row);
    },
  },
  {
    name: 'log2events http, running',
    run: () =>
      runningBacklog(
        rx,
        expected,
        (w) => l2e(['run', '-c', l2eConfig('running', join(w, '*.log'), 'beginning', httpSink)]),
        l2eReady,
        'l2e-http',
      ),
  },
];
if (emulator) {
  tools.push({
    name: 'log2events huawei_ces → emulator, --once',
    run: () => timed(l2e(['run', '--once', '-c', l2eConfig('ces', backlog, 'beginning', cesSink())])),
  });
}
if (fbRuns) {
  for (const conf of ['tuned', 'default'] as const) {
    tools.push({
      name: `Fluent Bit ${conf}, running`,
      run: () =>
        runningBacklog(
          rx,
          expected,
          (w) => [FB, '-c', fbConfig(conf, join(w, '*.log'), Number(new URL(rx.url).port))],
          fbReady,
          `fb-${conf}`,
        ),
    });
  }
}

const selected = tools.filter((t) => wanted(t.name));
tools.length = 0;
tools.push(...selected);
const results = new Map<string, Row[]>(tools.map((t) => [t.name, []]));
spawnSync('cat', [backlog], { stdio: 'ignore' });
for (let round = 0; round < ROUNDS; round++) {
  const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
  for (const t of order) {
    try {
      results.get(t.name)!.push(await t.run());
    } catch (err) {
      console.log(`${t.name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`round ${round + 1}/${ROUNDS} done`);
}

const fmt = (n: number | undefined, d = 2) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
console.log(
  `\nbacklog: ${LINES.toLocaleString()} lines (${((LINES * LINE_BYTES) / 1e6).toFixed(0)} MB), ${expected} matching; medians of ${ROUNDS}`,
);
console.log(
  `${'tool'.padEnd(46)} ${'CPU s'.padStart(7)} ${'wall s'.padStart(7)} ${'peak MiB'.padStart(9)} ${'anon MiB'.padStart(9)} ${'delivered'.padStart(10)} ${'unique'.padStart(7)} ${'dup'.padStart(5)}`,
);
const med = new Map<string, Row>();
for (const [name, rows] of results) {
  if (!rows.length) continue;
  const m = medians(rows);
  med.set(name, m);
  console.log(
    `${name.padEnd(46)} ${fmt(m.cpuS).padStart(7)} ${fmt(m.wallS).padStart(7)} ${fmt(m.peakMiB, 1).padStart(9)} ${fmt(m.anonMiB, 1).padStart(9)} ${fmt(m.delivered, 0).padStart(10)} ${fmt(m.unique, 0).padStart(7)} ${fmt(m.duplicates, 0).padStart(5)}`,
  );
}

// ---- steady state --------------------------------------------------------------------------

interface Steady {
  cpuPct: number;
  rssMiB: number;
  anonMiB: number;
  p50: number;
  p99: number;
  delivered: number;
  expected: number;
  /** `--threads`: % of a core by thread name, user / system. */
  threads?: string;
}

async function steady(name: string, rate: number, cmd: (file: string) => string[], ready: (log: string) => boolean): Promise<Steady> {
  const watch = freshWatchDir(`steady-${name}-${rate}`);
  const file = join(watch, 'app.log');
  writeFileSync(file, '');
  rx.reset();
  const tool = await start(cmd(file), ready);
  const pid = tool.child.pid!;
  // Let the tool settle on the empty file before the clock starts.
  await new Promise((ok) => setTimeout(ok, 1500));
  const fd = openSync(file, 'a');
  let i = 0;
  let expectedN = 0;
  let rss = 0;
  let anon = 0;
  /** Appends at `rate` for `seconds`, the line count going on from where it was. */
  const write = async (seconds: number, measured: boolean) => {
    const t0 = Date.now();
    const i0 = i;
    while (Date.now() - t0 < seconds * 1000) {
      const due = i0 + Math.floor(((Date.now() - t0) / 1000) * rate);
      let chunk = '';
      const now = Date.now();
      for (; i < due; i++) {
        if (i % 100 === 37) expectedN++;
        chunk += line(i, now);
      }
      if (chunk) writeSync(fd, chunk);
      if (measured) {
        rss = Math.max(rss, procKiB(pid, 'VmRSS'));
        anon = Math.max(anon, procKiB(pid, 'RssAnon'));
      }
      await new Promise((ok) => setTimeout(ok, 10));
    }
  };
  if (WARMUP_S > 0) await write(WARMUP_S, false);
  const cpu0 = procCpuS(pid);
  const threads0 = values.threads ? threadCpuS(pid) : undefined;
  const t0 = Date.now();
  rx.measureFrom = t0;
  await write(STEADY_S, true);
  const cpuS = procCpuS(pid) - cpu0;
  const elapsed = (Date.now() - t0) / 1000;
  let threads: string | undefined;
  if (threads0) {
    const pct = (s: number) => fmt((100 * s) / elapsed, 2);
    threads = [...threadCpuS(pid)]
      .map(([n, t]) => {
        const b = threads0.get(n) ?? { user: 0, sys: 0 };
        return { n, user: t.user - b.user, sys: t.sys - b.sys };
      })
      .filter((t) => t.user + t.sys > 0)
      .sort((a, b) => b.user + b.sys - (a.user + a.sys))
      .map((t) => `${t.n} ${pct(t.user)}u/${pct(t.sys)}s`)
      .join(', ');
  }
  closeSync(fd);
  await until(() => rx.ids.size >= expectedN, 10_000, `${name} to deliver the last lines`).catch(() => undefined);
  await tool.stop();
  const lat = [...rx.latencies].sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  return {
    cpuPct: (100 * cpuS) / elapsed,
    rssMiB: rss / 1024,
    anonMiB: anon / 1024,
    p50: q(0.5),
    p99: q(0.99),
    delivered: rx.ids.size,
    expected: expectedN,
    threads,
  };
}

const steadyTools: { name: string; cmd: (file: string) => string[]; ready: (log: string) => boolean }[] = [
  { name: 'log2events http', cmd: (f) => l2e(['run', '-c', l2eConfig('steady', f, 'end', httpSink)]), ready: l2eReady },
];
if (fbRuns) {
  for (const conf of ['tuned', 'default'] as const) {
    steadyTools.push({
      name: `Fluent Bit ${conf}`,
      cmd: (f) => [FB, '-c', fbConfig(conf, f, Number(new URL(rx.url).port))],
      ready: fbReady,
    });
  }
}
const steadyResults = new Map<string, Steady>();
for (const rate of RATES) {
  for (const t of steadyTools) {
    if (!wanted(t.name)) continue;
    try {
      steadyResults.set(`${t.name} @${rate}`, await steady(t.name, rate, t.cmd, t.ready));
    } catch (err) {
      console.log(`${t.name} @${rate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
console.log(`\nsteady state, ${STEADY_S} s per rate measured after ${WARMUP_S} s of warm-up (latency: line written → event received)`);
console.log(
  `${'tool @ lines/s'.padEnd(30)} ${'CPU %'.padStart(6)} ${'RSS MiB'.padStart(8)} ${'anon MiB'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'events'.padStart(13)}`,
);
for (const [name, s] of steadyResults) {
  console.log(
    `${name.padEnd(30)} ${fmt(s.cpuPct, 1).padStart(6)} ${fmt(s.rssMiB, 1).padStart(8)} ${fmt(s.anonMiB, 1).padStart(9)} ${fmt(s.p50, 0).padStart(7)} ${fmt(s.p99, 0).padStart(7)} ${`${s.delivered}/${s.expected}`.padStart(13)}`,
  );
  if (s.threads) console.log(`${''.padEnd(30)} threads, % of a core: ${s.threads}`);
}

// ---- ratios --------------------------------------------------------------------------------

const fbT = med.get('Fluent Bit tuned, running');
const once = med.get('log2events http, run --once (start-up incl.)');
const running = med.get('log2events http, running');
if (fbT && running && once) {
  console.log('\nlog2events ÷ Fluent Bit tuned');
  console.log(
    `backlog, start-up excluded: CPU ${fmt(running.cpuS / fbT.cpuS)}×, wall ${fmt(running.wallS / fbT.wallS)}×, peak RSS ${fmt(running.peakMiB / fbT.peakMiB)}×`,
  );
  console.log(`backlog, start-up included (vs Fluent Bit running): CPU ${fmt(once.cpuS / fbT.cpuS)}×`);
  for (const rate of RATES) {
    const a = steadyResults.get(`log2events http @${rate}`);
    const b = steadyResults.get(`Fluent Bit tuned @${rate}`);
    if (a && b)
      console.log(
        `steady ${rate} lines/s: CPU ${fmt(a.cpuPct / b.cpuPct)}×, RSS ${fmt(a.rssMiB / b.rssMiB)}×, p99 ${fmt(a.p99, 0)} vs ${fmt(b.p99, 0)} ms`,
      );
  }
}

await emulator?.stop();
rx.server.closeAllConnections();
rx.server.close();
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`\nkept ${dir}`);
