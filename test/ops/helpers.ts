import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

/** The admin URL a running agent logged in its "started" line. */
export function adminOf(stderr: string): string {
  const m = /"admin":"(http:[^"]+)"/.exec(stderr);
  if (!m) throw new Error(`no admin URL in:\n${stderr}`);
  return m[1]!;
}

/** The metric families by name, parsed by a Prometheus text-format parser; `raw` is the text. */
export async function scrape(admin: string): Promise<Map<string, MetricFamily> & { raw: string }> {
  const raw = await (await fetch(`${admin}/metrics`)).text();
  return Object.assign(new Map(parsePrometheusTextFormat(raw).map((f) => [f.name, f])), { raw });
}

/**
 * A histogram's `_count` or `_sum` for one label set. Read from the text: the parser merges the
 * series of a histogram that has labels besides `le`.
 */
export function histogramValue(raw: string, name: string, suffix: 'count' | 'sum', labels: string): number | undefined {
  const line = raw.split('\n').find((l) => l.startsWith(`${name}_${suffix}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The value of one sample of a counter or gauge (undefined when the series does not exist). */
export function sample(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const s = f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s?.value === undefined ? undefined : Number(s.value);
}

/** Polls `check` (every 100 ms, up to `ms`) until it returns true. */
export async function until(check: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Scratch {
  dir: string;
  write(name: string, text: string): string;
}

/** A config with its state in the scratch directory and a stdin source, a stdout sink, one rule; `head` adds keys. */
export function stdinConfig(s: Scratch, head = ''): string {
  return s.write(
    'c.yaml',
    `state_dir: ${s.dir}/state
${head}sources: { in: { type: stdin } }
sinks: { out: { type: stdout } }
rules: [{ name: all, when: { contains: "x" }, event: { name: X, source: t }, to: [out] }]
`,
  );
}

/** An agent with an admin endpoint, tailing `log` from its start into a file sink `out`, with `rules` (YAML list items). */
export function fileConfig(s: Scratch, log: string, rules: string, head = '', adminPort = 0): string {
  return s.write(
    'c.yaml',
    `state_dir: ${s.dir}/state
admin: { listen: "127.0.0.1:${adminPort}" }
${head}sources: { app: { type: file, include: ["${log}"], start_at: beginning, poll_interval: 50ms } }
sinks: { out: { type: file, path: ${s.dir}/out.jsonl } }
rules:
${rules}`,
  );
}

/** A loopback port that was free a moment ago (for configs that must name one). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((r) => server.close(r));
  return port;
}
