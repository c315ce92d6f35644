import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startCli } from './cli.ts';

/** A port that was free a moment ago (the agent under test binds it, so port 0 cannot be used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OtlpAgent {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  httpPort: number;
  grpcPort: number;
  httpUrl: string;
  adminUrl: string;
  /** The file sink's path. */
  out: string;
}

/**
 * `log2events run` with an otlp source (HTTP and gRPC on free loopback ports), an admin server
 * and a file sink `out`; `source` and `rest` are appended to the source's block and to the file,
 * `grpcToken` is the gRPC receiver's bearer token.
 */
export async function startOtlpAgent(
  dir: string,
  write: (name: string, text: string) => string,
  opts: { source?: string; grpcToken?: string; rest: string },
): Promise<OtlpAgent> {
  const [adminPort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const out = join(dir, 'out.jsonl');
  const config = write(
    'config.yaml',
    `state_dir: ${join(dir, 'state')}
admin: { listen: "127.0.0.1:${adminPort}" }
sources:
  otlp:
    type: otlp
    http: { listen: "127.0.0.1:${httpPort}" }
    grpc: { listen: "127.0.0.1:${grpcPort}"${opts.grpcToken ? `, bearer_token: ${opts.grpcToken}` : ''} }
${opts.source ?? ''}
sinks:
  out: { type: file, path: ${out}, fsync: false }
${opts.rest}`,
  );
  const started = await startCli(['run', '-c', config]);
  return {
    ...started,
    httpPort,
    grpcPort,
    httpUrl: `http://127.0.0.1:${httpPort}/v1/logs`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    out,
  };
}

/** The sum of a metric's series from /metrics whose line contains `filter`. */
export async function metricSum(adminUrl: string, name: string, filter = ''): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(filter))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
