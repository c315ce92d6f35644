import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sinkCommonShape, type SinkCommonOptions } from '../../src/sinks/common-options.ts';
import { z } from 'zod';
import type { Event } from '../../src/model/event.ts';
import type { EntryOutcome, SendResult, Sink, SinkLimits } from '../../src/sinks/sink.ts';

export function tempDir(prefix = 'l2e-delivery-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Sink options as the config loader would produce them from `input`. */
export function sinkOptions(input: Record<string, unknown> = {}): SinkCommonOptions {
  return z.strictObject(sinkCommonShape()).parse(input);
}

let counter = 0;
export function event(overrides: Partial<Event> = {}): Event {
  counter += 1;
  return {
    id: `evt-${counter}`,
    rule: 'r',
    name: 'Evt',
    source: 'test.app',
    time: 1_700_000_000_000,
    severity: 'Major',
    state: 'incident',
    action: 'raise',
    content: `event ${counter}`,
    resource: {},
    dimensions: {},
    attributes: {},
    key: `k${counter}`,
    to: ['fake'],
    overrides: {},
    ...overrides,
  } as Event;
}

export interface SinkCall {
  ids: string[];
  at: number;
}

/**
 * An in-memory sink driven by a script: `answer(batch, callIndex)` decides each entry's outcome.
 * Every call is recorded with the ids it carried.
 */
export class ScriptedSink implements Sink {
  readonly type = 'scripted';
  readonly name: string;
  readonly limits: SinkLimits;
  readonly calls: SinkCall[] = [];
  answer: (batch: readonly Event[], call: number, signal: AbortSignal) => SendResult | Promise<SendResult>;

  constructor(
    name = 'fake',
    limits: SinkLimits = { maxEntries: 10, maxBytes: 1_000_000 },
    answer: ScriptedSink['answer'] = (batch) => ({ outcomes: batch.map(() => ({ kind: 'delivered' as const })), throttled: false }),
  ) {
    this.name = name;
    this.limits = limits;
    this.answer = answer;
  }

  entrySize(e: Event): number {
    return Buffer.byteLength(JSON.stringify(e));
  }

  send(batch: readonly Event[], signal: AbortSignal): Promise<SendResult> {
    const call = this.calls.length;
    this.calls.push({ ids: batch.map((e) => e.id), at: Date.now() });
    return Promise.resolve(this.answer(batch, call, signal));
  }

  async close(): Promise<void> {}
}

export const delivered: EntryOutcome = { kind: 'delivered' };

export function outcomes(batch: readonly Event[], pick: (e: Event, i: number) => EntryOutcome, throttled = false): SendResult {
  return { outcomes: batch.map(pick), throttled };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
