// `npm run example`: the quick start, as often as you like. Each run starts from a fresh example
// state (the previous run's spool and file positions under .log2events-example/ are removed, so
// the bundled log is read and delivered again), binds no fixed port (the admin endpoint and the
// OTLP receiver take free ones: a local OpenTelemetry Collector on 4317/4318 is not disturbed),
// and ends by printing what each emulated provider holds.
//
//   node scripts/example.js [extra run flags]
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const STATE = '.log2events-example';
const bin = fileURLToPath(new URL('../bin/log2events.js', import.meta.url));

if (existsSync(STATE)) {
  rmSync(STATE, { recursive: true, force: true });
  process.stderr.write(`example: removed ${STATE}/ of the previous run: this run reads the log from its start again\n`);
}

const env = {
  ...process.env,
  ADMIN_LISTEN: process.env.ADMIN_LISTEN ?? '127.0.0.1:0',
  OTLP_HTTP_LISTEN: process.env.OTLP_HTTP_LISTEN ?? '127.0.0.1:0',
  OTLP_GRPC_LISTEN: process.env.OTLP_GRPC_LISTEN ?? '127.0.0.1:0',
};
const child = spawn(process.execPath, [bin, 'run', '-c', 'config.example.yaml', '--emulator', '--once', ...process.argv.slice(2)], {
  env,
  stdio: ['ignore', 'inherit', 'pipe'],
});

let summary;
createInterface({ input: child.stderr }).on('line', (line) => {
  process.stderr.write(`${line}\n`);
  if (line.includes('"msg":"emulator summary"')) summary = JSON.parse(line);
});

const NAMES = { aws: 'AWS EventBridge', alibaba: 'Alibaba CloudMonitor', ces: 'Huawei Cloud Eye', aom: 'Huawei AOM' };
child.on('close', (code) => {
  if (summary?.holds) {
    const out = ['', 'What each emulated provider holds:'];
    for (const [provider, events] of Object.entries(summary.holds)) {
      out.push(`  ${NAMES[provider] ?? provider}: ${events.length} event${events.length === 1 ? '' : 's'}`);
      for (const e of events) out.push(`    - ${e}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
  process.exitCode = code ?? 1;
});
