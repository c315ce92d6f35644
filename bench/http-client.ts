/**
 * Which HTTP client the sinks use, by measurement: CPU time and resident memory per request for
 * `fetch` (Node's bundled undici) and `node:http` with a keep-alive agent, each in a fresh
 * process, against a loopback server in another process (its CPU is not counted).
 *
 *   node bench/http-client.ts [--requests 5000] [--concurrency 4] [--body 8KiB]
 *
 * undici's own Pool/Client is not a candidate: Node bundles undici for `fetch` but does not
 * export it, so using it would add the npm package (a second copy) to every agent.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    body: { type: 'string', default: '8192' },
    mode: { type: 'string' },
    url: { type: 'string' },
  },
});

if (values.mode) {
  const { httpCall } = values.mode === 'node-http' ? await import('../src/sinks/http-call.ts') : { httpCall: undefined };
  const url = values.url!;
  const body = 'x'.repeat(Number(values.body));
  const n = Number(values.requests);
  const conc = Number(values.concurrency);
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  let next = 0;
  const one = async (): Promise<void> => {
    const signal = AbortSignal.timeout(10_000);
    if (httpCall) {
      const r = await httpCall(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, 1, signal);
      if (!r.ok) throw new Error(JSON.stringify(r.failure));
    } else {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal, redirect: 'manual' });
      await res.text();
    }
  };
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next++ < n) await one();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const out = {
    mode: values.mode,
    cpuUsPerRequest: (cpu.user + cpu.system) / n,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    rssGrowthMiB: (process.memoryUsage().rss - rss0) / 2 ** 20,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

const server = spawn(
  process.execPath,
  [
    '-e',
    "require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.writeHead(200,{'content-type':'application/json'}).end('{\"ok\":true}'))}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise<string>((ok) => server.stdout!.once('data', (d: Buffer) => ok(d.toString().trim())));
const url = `http://127.0.0.1:${port}/`;

console.log(`${values.requests} POSTs of ${values.body} B, ${values.concurrency} at a time, loopback`);
console.log(`${'client'.padEnd(12)} ${'CPU µs/request'.padStart(15)} ${'RSS MiB'.padStart(9)} ${'RSS growth MiB'.padStart(15)}`);
for (const round of [0, 1]) {
  for (const mode of round ? ['node-http', 'fetch'] : ['fetch', 'node-http']) {
    const child = spawn(
      process.execPath,
      [
        import.meta.filename,
        '--mode',
        mode,
        '--url',
        url,
        '--requests',
        values.requests!,
        '--concurrency',
        values.concurrency!,
        '--body',
        values.body!,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((ok) => child.once('exit', ok));
    const r = JSON.parse(out) as { mode: string; cpuUsPerRequest: number; rssMiB: number; rssGrowthMiB: number };
    console.log(
      `${r.mode.padEnd(12)} ${r.cpuUsPerRequest.toFixed(0).padStart(15)} ${r.rssMiB.toFixed(1).padStart(9)} ${r.rssGrowthMiB.toFixed(1).padStart(15)}`,
    );
  }
}
server.kill();
