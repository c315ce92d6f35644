/**
 * Where an idle agent's resident memory goes: the installed command (bin/log2events.js over a
 * freshly built bundle, with its shebang's flags) running a `file` source and an `http` sink
 * against a loopback receiver in this process.
 *
 *   node bench/memory.ts [--idle-seconds 5] [--bin PATH] [--node-flags "FLAGS"]
 *
 * Prints, idle (before any event) and after a first delivery (which loads node:http):
 * VmRSS, RssAnon and RssFile from /proc/PID/status; the resident memory of each mapping
 * (/proc/PID/smaps: the node executable, anonymous memory, the malloc heap, shared libraries);
 * V8's heap spaces, process.memoryUsage() and the Node.js built-ins loaded (read inside the
 * agent by a preloaded module on SIGUSR2, which adds a few hundred KiB). Next to it, the floor:
 * a bare node with the same flags, and one that loads and uses the built-ins the agent uses
 * (stdio, a SQLite database, SHA-256, net, http, performance.now).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installedCommand } from './installed-command.ts';

const REPO = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '5' },
    bin: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
  },
});
const IDLE_MS = Number(values['idle-seconds']) * 1000;

const { bin: BIN, nodeFlags: NODE_FLAGS } = installedCommand(values.bin, values['node-flags']);

const dir = mkdtempSync(join(tmpdir(), 'l2e-memory-'));
const dumpPath = join(dir, 'dump.json');
/** Preloaded into the agent: its own view of its memory, on SIGUSR2 (built-ins through getBuiltinModule: no ESM facades). */
const PROBE = `
const v8 = process.getBuiltinModule('node:v8');
const { writeFileSync } = process.getBuiltinModule('node:fs');
process.on('SIGUSR2', () => writeFileSync(${JSON.stringify(dumpPath)}, JSON.stringify({
  memory: process.memoryUsage(),
  spaces: v8.getHeapSpaceStatistics(),
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ') && !m.includes('internal/')).map((m) => m.slice(13)),
})));
`;
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, PROBE);

// ---- readings ------------------------------------------------------------------------------

const MiB = (kib: number) => (kib / 1024).toFixed(1);

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(VmRSS|RssAnon|RssFile):\s+(\d+) kB/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Resident KiB per mapping name (anonymous mappings together), largest first. */
function mappings(pid: number): [string, number][] {
  const rss = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) name = head[1] || '[anonymous]';
    else if (line.startsWith('Rss:')) rss.set(name, (rss.get(name) ?? 0) + Number(line.split(/\s+/)[1]));
  }
  return [...rss].filter(([, kib]) => kib >= 200).sort((a, b) => b[1] - a[1]);
}

function report(title: string, pid: number): void {
  const s = status(pid);
  console.log(`\n${title}: RSS ${MiB(s.VmRSS!)} MiB (anonymous ${MiB(s.RssAnon!)}, file ${MiB(s.RssFile!)})`);
  for (const [name, kib] of mappings(pid)) console.log(`  ${MiB(kib).padStart(6)} MiB  ${name.replace(REPO, '.')}`);
}

async function dump(pid: number): Promise<{
  memory: NodeJS.MemoryUsage;
  spaces: { space_name: string; physical_space_size: number; space_used_size: number }[];
  builtins: string[];
}> {
  rmSync(dumpPath, { force: true });
  process.kill(pid, 'SIGUSR2');
  await until(() => existsSync(dumpPath), 5000);
  await new Promise((ok) => setTimeout(ok, 50));
  return JSON.parse(readFileSync(dumpPath, 'utf8'));
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((ok) => setTimeout(ok, 10));
  }
}

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  await exited;
}

// ---- the floor -----------------------------------------------------------------------------

const BUILTINS_USED = `
process.stdin; process.stdout; process.stderr; performance.now();
for (const m of ['fs/promises', 'net', 'http', 'v8', 'module', 'os', 'url', 'stream/promises']) process.getBuiltinModule('node:' + m);
const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
globalThis.db = new DatabaseSync(':memory:');
globalThis.db.exec('CREATE TABLE t (a)');
process.getBuiltinModule('node:crypto').createHash('sha256').update('x').digest('hex');
setInterval(() => {}, 1e6);
`;
for (const [title, code] of [
  ['bare node, same flags', 'setInterval(() => {}, 1e6)'],
  ["bare node, same flags, the agent's built-ins loaded and used", BUILTINS_USED],
] as const) {
  const child = run([...NODE_FLAGS, '--input-type=module', '-e', code]);
  await new Promise((ok) => setTimeout(ok, 1500));
  report(title, child.pid!);
  await stop(child);
}

// ---- the agent -----------------------------------------------------------------------------

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const watch = join(dir, 'watch');
mkdirSync(watch);
const config = join(dir, 'config.yaml');
writeFileSync(
  config,
  `state_dir: ${join(dir, 'state')}
sources:
  app: { type: file, include: ["${watch}/*.log"], format: plain, start_at: beginning }
sinks:
  out: { type: http, url: "${url}/l2e", batch: { linger: 200ms } }
rules:
  - name: payment_failed
    when: { body: 'payment failed for order (?<order>\\d+)' }
    event: { name: PaymentFailed, source: shop.payments, content: "{{body}}", attributes: { order: "{{order}}" } }
    to: [out]
`,
);
const agent = run([...NODE_FLAGS, '--import', probe, BIN, 'run', '-c', config]);
let log = '';
agent.stdout!.on('data', (d: Buffer) => (log += d.toString()));
agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
await until(() => log.includes('"msg":"started"'), 30_000);
const pid = agent.pid!;
await new Promise((ok) => setTimeout(ok, IDLE_MS));

const describe = async (title: string) => {
  report(title, pid);
  const d = await dump(pid);
  const spaces = d.spaces
    .filter((s) => s.physical_space_size > 0)
    .map((s) => `${s.space_name.replace('_space', '')} ${MiB(s.physical_space_size / 1024)} (${MiB(s.space_used_size / 1024)} used)`);
  console.log(`  V8 heap spaces, MiB committed: ${spaces.join(', ')}`);
  const m = d.memory;
  console.log(
    `  process.memoryUsage(), MiB: heapTotal ${MiB(m.heapTotal / 1024)}, heapUsed ${MiB(m.heapUsed / 1024)}, external ${MiB(m.external / 1024)}, arrayBuffers ${MiB(m.arrayBuffers / 1024)}`,
  );
  console.log(`  built-ins loaded: ${d.builtins.join(' ')}`);
};

await describe(`log2events run (file → http), idle ${values['idle-seconds']} s`);
const lines = Array.from({ length: 300 }, (_, i) => `2026-01-01T00:00:00Z ERROR payment failed for order ${i}\n`).join('');
writeFileSync(join(dir, 'first.tmp'), lines);
renameSync(join(dir, 'first.tmp'), join(watch, 'app.log'));
await new Promise((ok) => setTimeout(ok, 3000));
await describe('after delivering 300 events, idle 3 s');

await stop(agent);
server.close();
rmSync(dir, { recursive: true, force: true });
