import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startEmulator, type EmulatorConfigInput, type Provider, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * One emulator for a test file: started before its tests, reset after each, closed at the end.
 * Read `.em` inside tests (it is set once beforeAll ran).
 */
export function useEmulator(config: EmulatorConfigInput = {}): { em: RunningEmulator } {
  const holder = {} as { em: RunningEmulator };
  beforeAll(async () => {
    holder.em = await startEmulator({ port: 0, config });
  });
  afterAll(async () => {
    await holder.em.close();
  });
  afterEach(() => holder.em.reset());
  return holder;
}

export interface DeadLetterJson {
  sink: string;
  code: string;
  message: string;
  attempts: number;
  event: { content: string; name: string };
}

/** `log2events dlq list --json` of a config. */
export async function deadLetters(file: string): Promise<DeadLetterJson[]> {
  const r = await runCli(['dlq', 'list', '-c', file, '--json', '--limit', '1000']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DeadLetterJson[];
}

/** `n` stdin lines made by `line(i)`, i from 1. */
export function linesOf(n: number, line: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => line(i + 1)).join('\n') + '\n';
}

/** Events per accepted request of one provider, in arrival order. */
export function requestSizes(em: RunningEmulator, provider: Provider): number[] {
  const sizes = new Map<string, number>();
  for (const e of em.events(provider)) sizes.set(e.request_id, (sizes.get(e.request_id) ?? 0) + 1);
  return [...sizes.values()];
}

export interface CmsConfigOptions {
  /** CloudMonitor base URL (the emulator or a test's own fake). */
  endpoint: string;
  /** Credential lines of the sink (`credentials: {...}`, `ecs_ram_role: ...`), or none. */
  auth?: string;
  extra?: string;
  batch?: string;
  concurrency?: number;
  retry?: string;
  event?: string;
}

/** A stdin → `alibaba_cms` config whose one rule turns `order N failed` into an OrderFailed event. */
export function cmsConfig(dir: string, o: CmsConfigOptions): string {
  return `state_dir: ${dir}/state
sources: { in: { type: stdin } }
sinks:
  cms:
    type: alibaba_cms
    region: cn-hangzhou
    endpoint: ${o.endpoint}
    ${o.auth ?? ''}
    batch: ${o.batch ?? '{ linger: 50ms }'}
    concurrency: ${o.concurrency ?? 1}
    retry: ${o.retry ?? '{ initial: 50ms, max: 500ms, max_elapsed: 2m }'}
    ${o.extra ?? ''}
rules:
  - name: orders
    when: { body: 'order (?<id>\\d+) failed' }
    event:
      name: OrderFailed
      source: shop.orders
      content: "order {{id}} failed"
      resource: { id: "order-{{id}}" }
      attributes: { order: "{{id}}" }
      ${o.event ?? ''}
    to: [cms]
`;
}
