/**
 * The provider emulator: one HTTP listener serving AWS PutEvents, Alibaba PutCustomEvent, Huawei
 * Cloud Eye (create, list, detail) and Huawei AOM push, plus `/_emulator/*` inspection and
 * fault control. Startable in-process (tests, `run --emulator`) or via `log2events emulator`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorContext, ProviderApi } from './api.ts';
import { awsApi, type StoredAwsEvent } from './aws.ts';
import { createAlibabaApi, type StoredAlibabaEvent } from './alibaba.ts';
import { createAomApi, type AomAlarm, type StoredAomEvent } from './aom.ts';
import { createCesApi, type StoredCesEvent } from './ces.ts';
import {
  EmulatorConfigError,
  type EmulatorConfig,
  type EmulatorConfigInput,
  type Faults,
  type FaultsInput,
  PROVIDERS,
  type Provider,
  parseEmulatorConfig,
  parseFaults,
} from './config.ts';
import type { EmulatorCredentials } from './credentials.ts';
import { FaultInjector, NO_FAULT } from './faults.ts';
import { type EmuRequest, type Reply, jsonReply } from './http.ts';
import { type AcceptedEvent, type EmulatorStats, EventLog, countRejection, emptyStats } from './state.ts';

export { EMULATOR_CREDENTIALS, type EmulatorCredentials } from './credentials.ts';
export {
  EmulatorConfigError,
  loadEmulatorConfig,
  parseEmulatorConfig,
  type EmulatorConfig,
  type EmulatorConfigInput,
  type FaultsInput,
  type Provider,
} from './config.ts';
export type { AcceptedEvent, EmulatorStats, ProviderStats } from './state.ts';
export type { StoredAwsEvent, StoredAlibabaEvent, StoredCesEvent, StoredAomEvent, AomAlarm };

export interface StoredEventOf {
  aws: StoredAwsEvent;
  alibaba: StoredAlibabaEvent;
  ces: StoredCesEvent;
  aom: StoredAomEvent;
}

export interface RunningEmulator {
  /** e.g. `http://127.0.0.1:45123` (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly config: EmulatorConfig;
  /** The credentials this instance accepts (from its config), in the sinks' naming. */
  readonly credentials: EmulatorCredentials;
  close(): Promise<void>;
  /** Forgets events, alarms, stats and nonces; faults go back to the configured ones. */
  reset(): void;
  /** Replaces the whole fault set (providers not named get none). */
  setFaults(faults: FaultsInput): void;
  faults(): Faults;
  /** Accepted events of one provider, oldest first, with receipt time. */
  events<P extends Provider>(provider: P, sinceSeq?: number): Array<AcceptedEvent<StoredEventOf[P]>>;
  stats(): EmulatorStats;
  alarms(): { active: AomAlarm[]; cleared: AomAlarm[] };
}

export interface StartEmulatorOptions {
  /** Overrides `config.listen`'s host. */
  host?: string;
  /** Overrides `config.listen`'s port; 0 picks an ephemeral port. */
  port?: number;
  config?: EmulatorConfigInput;
}

const INSPECTION_PREFIX = '/_emulator/';

function toRequest(req: IncomingMessage, body: Buffer, receivedAt: number): EmuRequest | undefined {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  let segments: string[];
  try {
    segments = rawPath
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
  return {
    method: req.method ?? 'GET',
    rawPath,
    segments,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers: req.headers,
    body,
    receivedAt,
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Writes a reply, with a `Date` header from the emulated providers' clock (as the clouds' gateways send one). */
function send(res: ServerResponse, reply: Reply, now = Date.now()): void {
  if (!res.hasHeader('date')) res.setHeader('date', new Date(now).toUTCString());
  if (reply.body === undefined) {
    res.writeHead(reply.status, reply.headers);
    res.end();
    return;
  }
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const config = parseEmulatorConfig(opts.config ?? {});
  const host = opts.host ?? config.listen.host;
  const port = opts.port ?? config.listen.port;
  const faults = new FaultInjector(config.faults, config.seed);
  const events = new EventLog(config.max_stored_events);
  const ctx: EmulatorContext = { config, faults, events };
  const ces = createCesApi();
  const aom = createAomApi(config.max_stored_events);
  // Order matters: AWS is recognised by its X-Amz-Target header, Huawei by path, Alibaba by `/` + Action.
  const apis: ProviderApi[] = [awsApi, ces, aom, createAlibabaApi()];
  let stats = emptyStats();
  /** Answers on the emulated providers' clock (`clock_offset`). */
  const answer = (res: ServerResponse, r: Reply): void => send(res, r, Date.now() + config.clock_offset);

  function record(provider: Provider, reply: Reply): void {
    const s = stats[provider];
    if (reply.accepted) s.accepted += reply.accepted;
    if (reply.throttled) s.throttled++;
    else if (reply.errorCode !== undefined) countRejection(s, reply.errorCode);
    for (const [code, n] of Object.entries(reply.entryFailures ?? {})) countRejection(s, code, n);
  }

  async function serveProvider(api: ProviderApi, req: EmuRequest, res: ServerResponse): Promise<void> {
    const s = stats[api.provider];
    s.requests++;
    const decision = api.isRead?.(req) ? NO_FAULT : faults.decide(api.provider, req.receivedAt);
    if (decision.reset) {
      s.resets++;
      res.socket?.resetAndDestroy();
      return;
    }
    const denied = api.authenticate(req, ctx);
    let reply: Reply;
    if (denied) reply = denied;
    else if (decision.throttle) reply = api.throttled(req, decision.throttle.retryAfterMs);
    else if (decision.serverError) reply = api.serverError(req, decision.serverError);
    else reply = api.handle(req, ctx);
    record(api.provider, reply);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    answer(res, reply);
  }

  function inspect(req: EmuRequest): Reply {
    const what = req.rawPath.slice(INSPECTION_PREFIX.length);
    const route = `${req.method} ${what}`;
    switch (route) {
      case 'GET health':
        return jsonReply(200, { ok: true });
      case 'GET stats':
        return jsonReply(200, stats);
      case 'GET events': {
        const provider = req.query.get('provider') as Provider | null;
        if (!provider || !PROVIDERS.includes(provider)) return jsonReply(400, { error: `provider must be one of ${PROVIDERS.join(', ')}` });
        const since = Number(req.query.get('since') ?? 0);
        return jsonReply(200, {
          provider,
          dropped: events.dropped(provider),
          events: events.list(provider, Number.isFinite(since) ? since : 0),
        });
      }
      case 'GET alarms':
        return jsonReply(200, aom.alarms(req.receivedAt));
      case 'GET faults':
        return jsonReply(200, faults.current());
      case 'POST faults': {
        let body: unknown;
        try {
          body = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
        } catch {
          return jsonReply(400, { error: 'body must be JSON' });
        }
        try {
          faults.set(parseFaults(body));
        } catch (err) {
          if (err instanceof EmulatorConfigError) return jsonReply(400, { error: err.message });
          throw err;
        }
        return jsonReply(200, faults.current());
      }
      case 'POST reset':
        reset();
        return { status: 204 };
      default:
        return jsonReply(404, { error: `no inspection endpoint ${req.method} ${req.rawPath}` });
    }
  }

  function reset(): void {
    events.clear();
    stats = emptyStats();
    for (const api of apis) api.reset();
    faults.set(config.faults);
  }

  async function onRequest(rawReq: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now() + config.clock_offset;
    const body = await readBody(rawReq, config.max_body_bytes);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      answer(res, jsonReply(413, { message: `request body larger than ${config.max_body_bytes} bytes` }));
      return;
    }
    const req = toRequest(rawReq, body, receivedAt);
    if (!req) return answer(res, jsonReply(400, { message: 'malformed percent-encoding in path' }));
    if (req.rawPath.startsWith(INSPECTION_PREFIX)) return answer(res, inspect(req));
    const api = apis.find((a) => a.matches(req));
    if (!api) return answer(res, jsonReply(404, { message: `no emulated API serves ${req.method} ${req.rawPath}` }));
    await serveProvider(api, req, res);
  }

  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, (req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      if (!res.headersSent) answer(res, jsonReply(500, { message: `emulator error: ${(err as Error).message}` }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const c = config.credentials;

  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    config,
    credentials: {
      aws: { accessKeyId: c.aws.access_key_id, secretAccessKey: c.aws.secret_access_key, region: c.aws.region },
      alibaba: { accessKeyId: c.alibaba.access_key_id, accessKeySecret: c.alibaba.access_key_secret },
      huawei: { ak: c.huawei.ak, sk: c.huawei.sk, token: c.huawei.token, projectId: c.huawei.project_id },
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    reset,
    setFaults: (input) => faults.set(parseFaults(input)),
    faults: () => faults.current(),
    events: <P extends Provider>(provider: P, sinceSeq?: number) =>
      events.list(provider, sinceSeq) as Array<AcceptedEvent<StoredEventOf[P]>>,
    stats: () => structuredClone(stats),
    alarms: () => aom.alarms(),
  };
}
