/**
 * `log2events emulator`: serves the five provider APIs on one local listener until SIGINT/SIGTERM.
 */
import { once } from 'node:events';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIO, parseCommandArgs } from './command.ts';
import { listenAddress } from '../core/listen-address.ts';
import { EmulatorConfigError, loadEmulatorConfig, parseEmulatorConfig, startEmulator } from '../emulator/index.ts';

const USAGE = `Usage: log2events emulator [--listen HOST:PORT] [--config FILE]

Serves local stand-ins for AWS EventBridge PutEvents, Alibaba CloudMonitor PutCustomEvent,
Huawei Cloud Eye (events, ListEvents, ListEventDetail) and Huawei AOM push events on one
listener, with the providers' validation, signature checks and injectable faults.

Options:
  --listen HOST:PORT   address to listen on (default 127.0.0.1:4580, or the config's listen)
  -c, --config FILE    emulator config (YAML): credentials, limits, faults
  -h, --help           show this help

Inspection: GET /_emulator/events?provider=aws|alibaba|ces|aom, GET /_emulator/stats,
GET /_emulator/alarms, GET|POST /_emulator/faults, POST /_emulator/reset.`;

export async function emulatorCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(args, { listen: { type: 'string' }, config: { type: 'string', short: 'c' } }, USAGE, io);
  if (!parsed) return EXIT_OK;
  let config;
  let listen;
  try {
    config = parsed.values.config !== undefined ? await loadEmulatorConfig(parsed.values.config) : parseEmulatorConfig({});
    if (parsed.values.listen !== undefined) {
      const addr = listenAddress.safeParse(parsed.values.listen);
      if (!addr.success) throw new EmulatorConfigError(`--listen: ${addr.error.issues[0]?.message ?? 'invalid address'}`);
      listen = addr.data;
    }
  } catch (err) {
    if (!(err instanceof EmulatorConfigError)) throw err;
    io.stderr.write(`log2events emulator: ${err.message}\n`);
    return EXIT_USAGE;
  }
  let emu;
  try {
    emu = await startEmulator({ config, ...(listen ? { host: listen.host, port: listen.port } : {}) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.stderr.write(
      `log2events emulator: cannot listen on ${listen?.host ?? config.listen.host}:${listen?.port ?? config.listen.port}: ${e.code ?? e.message}\n`,
    );
    return EXIT_FAILURE;
  }
  const c = emu.credentials;
  io.stdout.write(
    [
      `log2events emulator listening on ${emu.url}`,
      `  aws      access_key_id=${c.aws.accessKeyId} region=${c.aws.region}`,
      `  alibaba  access_key_id=${c.alibaba.accessKeyId}`,
      `  huawei   ak=${c.huawei.ak} project_id=${c.huawei.projectId} (X-Auth-Token also accepted)`,
      '',
    ].join('\n'),
  );
  const ac = new AbortController();
  const stop = (name: string) => once(process, name, { signal: ac.signal }).catch(() => undefined);
  await Promise.race([stop('SIGINT'), stop('SIGTERM')]);
  ac.abort();
  await emu.close();
  return EXIT_OK;
}
