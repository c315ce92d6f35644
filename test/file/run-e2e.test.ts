import { execFileSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDir, startCli } from '../helpers/cli.ts';
import { ensureLogrotate, sinkEvents, until } from './e2e-helpers.ts';

const scratches: { cleanup(): void }[] = [];
afterEach(() => {
  for (const s of scratches.splice(0)) s.cleanup();
});

function workspace(
  source: string,
  rule = 'when: { contains: "ERROR" }\n    event: { name: AppError, source: app.logs, content: "{{body}}" }',
  extra = '',
) {
  const scratch = scratchDir('l2e-file-e2e-');
  scratches.push(scratch);
  const config = scratch.write(
    'config.yaml',
    `state_dir: ${join(scratch.dir, 'state')}
${extra}
sources:
  app:
${source.replace(/^/gm, '    ')}
sinks:
  out: { type: file, path: ${join(scratch.dir, 'out.jsonl')}, fsync: false, batch: { max_entries: 500 }, concurrency: 1 }
rules:
  - name: errors
    ${rule}
    to: [out]
`,
  );
  return { dir: scratch.dir, config, out: join(scratch.dir, 'out.jsonl') };
}

describe('log2events run: file source end to end', () => {
  for (const mode of ['create', 'copytruncate'] as const) {
    it(`loses and repeats nothing through 5 real logrotate rotations in ${mode} mode at 2,000 lines/s`, async (t) => {
      const logrotate = ensureLogrotate();
      if ('missing' in logrotate) return t.skip(logrotate.missing);
      const ws = workspace(`type: file\ninclude: ["${'DIR'}/app.log*"]\nformat: plain\npoll_interval: 100ms\nrotate_wait: 2s`);
      writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('DIR', ws.dir));
      const log = join(ws.dir, 'app.log');
      writeFileSync(join(ws.dir, 'logrotate.conf'), `${log} {\n  rotate 10\n  ${mode}\n  missingok\n  nocompress\n}\n`);
      writeFileSync(log, '');
      const agent = await startCli(['run', '-c', ws.config]);
      try {
        // The writer appends 2,000 lines/s (every 10 ms, the lines due by then); in create mode
        // it reopens the path once logrotate has moved the file (as an app does on its
        // postrotate signal).
        let fd = openSync(log, 'a');
        let written = 0;
        const t0 = Date.now();
        const timer = setInterval(() => {
          if (mode === 'create') {
            try {
              if (statSync(log).ino !== fstatSync(fd).ino) {
                closeSync(fd);
                fd = openSync(log, 'a');
              }
            } catch {
              // between the rename and the create
            }
          }
          let chunk = '';
          const due = Math.floor((Date.now() - t0) * 2);
          while (written < due) chunk += `seq ${written++} ERROR payload ${'x'.repeat(written % 80)}\n`;
          if (chunk) writeSync(fd, chunk);
        }, 10);
        for (let r = 0; r < 5; r++) {
          await new Promise((res) => setTimeout(res, 400));
          execFileSync(logrotate.path, ['-f', '-s', join(ws.dir, 'logrotate.state'), join(ws.dir, 'logrotate.conf')]);
        }
        await new Promise((res) => setTimeout(res, 300));
        clearInterval(timer);
        closeSync(fd);
        // What the files hold at the end (copytruncate can lose the lines written between its copy and its truncate).
        const onDisk = readdirSync(ws.dir)
          .filter((f) => f.startsWith('app.log'))
          .flatMap((f) => readFileSync(join(ws.dir, f), 'utf8').split('\n').filter(Boolean));
        const rotated = readdirSync(ws.dir).filter((f) => /^app\.log\.\d+$/.test(f));
        expect(rotated).toHaveLength(5);
        // every rotation happened while lines were being written
        for (const f of rotated) expect(readFileSync(join(ws.dir, f), 'utf8').length).toBeGreaterThan(0);
        const onDiskSeqs = onDisk.map((l) => Number(l.split(' ')[1]));
        if (mode === 'create') expect(onDiskSeqs.length).toBe(written);
        expect(new Set(onDiskSeqs).size).toBe(onDiskSeqs.length);
        await until(
          () => sinkEvents(ws.out),
          (e) => e.length >= onDisk.length,
          `${onDisk.length} events`,
        );
        await new Promise((res) => setTimeout(res, 500)); // a late duplicate would show up here
        const seqs = sinkEvents(ws.out).map((e) => Number(e.content.split(' ')[1]));
        const counts = new Map<number, number>();
        for (const q of seqs) counts.set(q, (counts.get(q) ?? 0) + 1);
        const doubled = [...counts].filter(([, c]) => c > 1).map(([q]) => q);
        if (process.env.L2E_DEBUG && doubled.length) {
          console.log(
            'doubled',
            doubled.length,
            doubled[0],
            doubled.at(-1),
            readdirSync(ws.dir)
              .filter((f) => f.startsWith('app.log'))
              .map((f) => `${f}:${readFileSync(join(ws.dir, f), 'utf8').split('\n')[0]?.slice(0, 12)}`),
          );
          console.log(
            agent
              .stderr()
              .split('\n')
              .filter((l) => l.includes('"source":"app"'))
              .join('\n'),
          );
        }
        expect(doubled).toEqual([]);
        expect(seqs.length).toBe(onDisk.length);
        expect(new Set(seqs)).toEqual(new Set(onDiskSeqs));
      } finally {
        agent.child.kill('SIGTERM');
        expect(await agent.exited).toBe(0);
      }
    }, 60_000);
  }

  for (const hold of ['2s', '0'] as const) {
    it(`misses nothing across 10 kill -9 during a backlog read; replays keep their event ids (spool.hold ${hold})`, async () => {
      // hold 2s (the default): events are delivered from memory, offsets written once delivered;
      // hold 0: every event is spooled with its offset before delivery.
      const ws = workspace(
        `type: file\ninclude: ["DIR/backlog.log"]\nformat: plain\nstart_at: beginning`,
        undefined,
        `delivery: { spool: { max_events: 2000, hold: ${hold} } }`,
      );
      writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('DIR', ws.dir));
      const total = 180_000;
      let text = '';
      const expected = new Set<string>();
      for (let i = 0; i < total; i++) {
        const match = i % 3 === 0;
        const line = `2024-06-01T10:00:00Z ${match ? 'ERROR' : 'INFO'} request ${i} ${'r'.repeat(i % 40)}`;
        if (match) expected.add(line);
        text += line + '\n';
      }
      writeFileSync(join(ws.dir, 'backlog.log'), text);
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const kills = 10;
      let killedMidRead = 0;
      // Each kill lands at a random point of the read: once the sink has received another
      // ~100-1,000 KB of events (~250-2,500 of them) since the agent started, whatever the speed
      // of the machine, so the ten lives deliver well under the 60,000 events in all.
      const outBytes = () => (existsSync(ws.out) ? statSync(ws.out).size : 0);
      for (let k = 0; k < kills; k++) {
        const agent = await startCli(['run', '-c', ws.config]);
        let exited = false;
        void agent.exited.then(() => (exited = true));
        const target = outBytes() + 100_000 + Math.floor(random() * 900_000);
        for (const end = Date.now() + 30_000; outBytes() < target && !exited && Date.now() < end; )
          await new Promise((res) => setTimeout(res, 2));
        agent.child.kill('SIGKILL');
        await agent.exited;
        // delivered + what the spool can hold < all: the source had not read everything yet
        if (sinkEvents(ws.out).length + 2000 < expected.size) killedMidRead++;
      }
      expect(killedMidRead).toBe(kills);
      const done = await runCli(['run', '-c', ws.config, '--once'], { timeoutMs: 60_000 });
      expect(done.code, done.stderr).toBe(0);
      const events = sinkEvents(ws.out);
      const idsByContent = new Map<string, Set<string>>();
      for (const e of events) {
        let ids = idsByContent.get(e.content);
        if (!ids) idsByContent.set(e.content, (ids = new Set()));
        ids.add(e.id);
      }
      const missing = [...expected].filter((l) => !idsByContent.has(l));
      expect(missing).toEqual([]);
      expect(idsByContent.size).toBe(expected.size);
      // a line delivered twice (killed between delivery and its acknowledgement) keeps its id
      for (const ids of idsByContent.values()) expect(ids.size).toBe(1);
      // what a kill repeats: the batch in flight (500 entries, concurrency 1), and with hold the
      // delivered part of the commit whose offset was not written yet (about 128 events);
      // measured with hold 2s: 500-745 duplicates in all for the 10 kills
      const duplicates = events.length - expected.size;
      expect(duplicates).toBeLessThanOrEqual(kills * 500);
    }, 120_000);
  }

  it('delivers every line through a sink that asks to retry a third of the entries: the held commits are spooled, nothing lost or read again', async () => {
    const accepted = new Map<string, number>();
    let asked = 0;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const { events } = JSON.parse(body) as { events: { id: string; content: string }[] };
        // the first time an entry is seen, every third one is told to come back later
        const results = events.map((e) => {
          if (!accepted.has(e.id) && asked++ % 3 === 0) {
            accepted.set(e.id, 0);
            return { status: 'retry', code: 'Busy', message: 'later' };
          }
          accepted.set(e.id, (accepted.get(e.id) ?? 0) + 1);
          return { status: 'ok' };
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
      const ws = workspace(`type: file\ninclude: ["DIR/app.log"]\nformat: plain\nstart_at: beginning`);
      writeFileSync(
        ws.config,
        readFileSync(ws.config, 'utf8')
          .replace('DIR', ws.dir)
          .replace(/out: \{ type: file.*\}/, `out: { type: http, url: "${url}", max_entries: 50, retry: { initial: 10ms, max: 50ms } }`),
      );
      const n = 6000;
      writeFileSync(
        join(ws.dir, 'app.log'),
        Array.from({ length: n }, (_, i) => `2024-06-01T10:00:00Z ${i % 2 ? 'ERROR' : 'INFO'} line ${i}\n`).join(''),
      );
      const first = await runCli(['run', '-c', ws.config, '--once'], { timeoutMs: 60_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(accepted.size).toBe(n / 2);
      expect([...accepted.values()].every((times) => times === 1)).toBe(true);
      expect(first.stderr).toMatch(/"retries":[1-9]/);
      // a second run finds the file's offset at its end and nothing in the spool
      const second = await runCli(['run', '-c', ws.config, '--once'], { timeoutMs: 60_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/"delivered":0/);
      expect([...accepted.values()].every((times) => times === 1)).toBe(true);
    } finally {
      receiver.close();
    }
  }, 90_000);

  it('reads a Kubernetes log tree through the containers symlinks: CRI and docker partials merged, pods attributed', async () => {
    const ws = workspace(
      'type: file\ninclude: ["DIR/containers/*.log"]\nformat: auto\nstart_at: beginning',
      'when: { contains: "ERROR" }\n    event:\n      name: PodError\n      source: k8s\n      content: "{{resource.k8s.namespace.name}}/{{resource.k8s.pod.name}}/{{resource.k8s.container.name}} {{attributes.log.iostream}}: {{body}}"\n      resource: { id: "{{resource.k8s.pod.uid}}", name: "{{resource.k8s.pod.name}}" }',
    );
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('DIR', ws.dir));
    cpSync(join(import.meta.dirname, '../fixtures/file/k8s/pods'), join(ws.dir, 'pods'), { recursive: true });
    mkdirSync(join(ws.dir, 'containers'));
    for (const pod of readdirSync(join(ws.dir, 'pods'))) {
      const [ns, name] = pod.split('_');
      for (const container of readdirSync(join(ws.dir, 'pods', pod))) {
        const target = join(ws.dir, 'pods', pod, container, '0.log');
        const link = join(ws.dir, 'containers', `${name}_${ns}_${container}-${'c'.repeat(63)}${ns!.length}.log`);
        symlinkSync(relative(join(ws.dir, 'containers'), target), link);
      }
    }
    const done = await runCli(['run', '-c', ws.config, '--once'], { timeoutMs: 30_000 });
    expect(done.code, done.stderr).toBe(0);
    const events = sinkEvents(ws.out).sort((a, b) => a.content.localeCompare(b.content));
    expect(events.map((e) => e.content)).toEqual([
      'infra/ingress-x2k4/controller stderr: ERROR upstream shop/checkout connect refused',
      'shop/checkout-5d8f9/app stderr: ERROR payment failed for order 1002',
      'shop/checkout-5d8f9/app stderr: payment failed for order 1001: upstream returned 502 after 3 retries, giving up ERROR',
    ]);
    expect(events[0]!.resource).toMatchObject({ id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f2a3b4c5d', name: 'ingress-x2k4' });
    expect(events[1]!.resource).toMatchObject({ id: '7c1d2e3f-0a1b-4c2d-8e3f-405162738495', name: 'checkout-5d8f9' });
  }, 60_000);

  it('goes on past a single 50 MiB line and processes the lines after it', async () => {
    const ws = workspace('type: file\ninclude: ["DIR/big.log"]\nformat: plain\nstart_at: beginning');
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('DIR', ws.dir));
    const fd = openSync(join(ws.dir, 'big.log'), 'w');
    writeSync(fd, 'before ERROR 1\n');
    const block = Buffer.alloc(1 << 20, 'z');
    for (let i = 0; i < 50; i++) writeSync(fd, block);
    writeSync(fd, '\n');
    for (let i = 2; i <= 1000; i++) writeSync(fd, `after ERROR ${i}\n`);
    closeSync(fd);
    const done = await runCli(['run', '-c', ws.config, '--once'], { timeoutMs: 60_000 });
    expect(done.code, done.stderr).toBe(0);
    const contents = sinkEvents(ws.out).map((e) => e.content);
    expect(contents).toHaveLength(1000);
    expect(contents[0]).toBe('before ERROR 1');
    expect(contents.at(-1)).toBe('after ERROR 1000');
  }, 60_000);
});
