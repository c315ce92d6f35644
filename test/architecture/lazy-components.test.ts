import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';

/**
 * Runs a script in a fresh Node.js process that records every package specifier resolved, and
 * returns those of the heavy dependencies that only some components need.
 */
function heavyPackagesLoaded(script: string): string[] {
  const program = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) { if (/^@(aws-sdk|smithy|grpc)\\//.test(spec)) seen.add(spec.split('/').slice(0, 2).join('/')); return next(spec, ctx); } });
${script}
process.stdout.write(JSON.stringify([...seen].sort()));
`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as string[];
}

const LOAD = (sinks: string, sources = '{ in: { type: stdin } }') => `
const { Agent } = await import('./src/agent/agent.ts');
const { loadConfigText } = await import('./src/agent/load-config.ts');
const r = loadConfigText(${JSON.stringify('sources: ')} + ${JSON.stringify(sources)} + '\\nsinks: ' + ${JSON.stringify(sinks)} + '\\n', 'c.yaml');
if (!r.ok || typeof Agent !== 'function') throw new Error(r.ok ? 'no Agent' : r.errors.join('\\n'));
for (const s of r.config.sinks.values()) await (await s.create({ logger: { child() { return this; }, debug() {}, info() {}, warn() {}, error() {} }, metrics: undefined, baseDir: '.' })).close();
`;

describe('component implementations load only when configured', () => {
  it('a config without a cloud sink or an otlp source loads neither the AWS SDK nor grpc-js', () => {
    expect(heavyPackagesLoaded(LOAD('{ out: { type: stdout } }'))).toEqual([]);
  });

  it('an EventBridge sink loads the AWS SDK when it is created', () => {
    const sinks = '{ eb: { type: aws_eventbridge, region: eu-west-1, credentials: { access_key_id: AKIDEXAMPLE, secret_access_key: x } } }';
    expect(heavyPackagesLoaded(LOAD(sinks))).toContain('@aws-sdk/client-eventbridge');
  });
});
