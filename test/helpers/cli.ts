import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const MAIN = join(REPO, 'src/cli/main.ts');
/** The installed command: the bundle `npm ci` builds, run through the shebang of bin/log2events.js. */
export const INSTALLED = [join(REPO, 'bin/log2events.js')];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `log2events ARGS` as a real subprocess (Node 24 runs the TypeScript sources directly). */
export function runCli(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; command?: string[] } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const [cmd, ...pre] = opts.command ?? [process.execPath, MAIN];
    const child = spawn(cmd!, [...pre, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts `log2events ARGS` and resolves once it logged `"msg":"started"`. */
export function startCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {},
): Promise<{ child: ChildProcess; stderr: () => string; exited: Promise<number | null> }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let started = false;
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.stdout?.resume();
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!started && stderr.includes('"msg":"started"')) {
        started = true;
        resolvePromise({ child, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      if (!started) reject(new Error(`log2events exited (${code}) before starting:\n${stderr}`));
    });
  });
}

/** A scratch directory removed after the test. */
export function scratchDir(prefix = 'l2e-'): { dir: string; write(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `COMMAND run --once` on a one-source config (a file source on an empty file, or an OTLP
 * receiver on a free port) written in `dir`, and returns its exit code, its `started` log line
 * (pid, runtime profile) and the child's pid: what the runtime-profile tests compare.
 */
export async function runOnceProfile(
  command: string,
  dir: string,
  kind: 'file' | 'otlp',
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stderr: string; childPid: number | undefined; started: { pid: number; runtime: string } | undefined }> {
  const source =
    kind === 'otlp'
      ? `{ type: otlp, http: { listen: "127.0.0.1:0" }, grpc: false }`
      : `{ type: file, include: ["${join(dir, 'app.log')}"] }`;
  writeFileSync(join(dir, 'app.log'), '');
  writeFileSync(
    join(dir, 'c.yaml'),
    `state_dir: ${join(dir, 'state')}\nsources:\n  in: ${source}\nsinks:\n  out: { type: file, path: ${join(dir, 'out.jsonl')} }\nrules:\n  - { name: r, when: { contains: x }, event: { name: X }, to: [out] }\n`,
  );
  const child = spawn(command, ['run', '-c', join(dir, 'c.yaml'), '--once'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const line = stderr.split('\n').find((l) => l.includes('"msg":"started"'));
  return { code, stderr, childPid: child.pid, started: line ? (JSON.parse(line) as { pid: number; runtime: string }) : undefined };
}
