import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { BUILTIN_SINKS, BUILTIN_SOURCES } from '../../src/agent/components.ts';
import { loadConfigText, loadConfigTextWith, type ComponentTable } from '../../src/agent/load-config.ts';
import { sinkCommonShape } from '../../src/sinks/common-options.ts';
import { deliveredAll, type Sink } from '../../src/sinks/sink.ts';
import { defineSinkType, type BoundSink } from '../../src/sinks/sink-type.ts';
import { defineSourceType, type BoundSource } from '../../src/sources/source-type.ts';
import type { HuaweiCesSinkConfig } from '../../src/sinks/huawei-ces/config.ts';

describe('the component table', () => {
  it.each([
    ['sources', BUILTIN_SOURCES.map((t) => t.type)],
    ['sinks', BUILTIN_SINKS.map((t) => t.type)],
  ])('names each %s type once', (_, names) => {
    expect(new Set(names).size).toBe(names.length);
  });

  it.each([...BUILTIN_SOURCES, ...BUILTIN_SINKS].map((t) => [t.type, t] as const))(
    '%s: its schema takes only its own type name',
    (type, t) => {
      const other = t.schema().safeParse({ type: `${type}_other` });
      expect(other.success).toBe(false);
      expect(other.error?.issues.some((i) => i.path[0] === 'type')).toBe(true);
    },
  );

  // A schema kept by the table would stay alive (with what zod compiles for it) for the whole run.
  it.each([...BUILTIN_SOURCES, ...BUILTIN_SINKS].map((t) => [t.type, t] as const))(
    '%s: holds a schema factory, each load gets a schema of its own',
    (_, t) => {
      expect(t.schema()).not.toBe(t.schema());
    },
  );

  it('is what validate names as the known types', () => {
    const r = loadConfigText('sinks: { out: { type: carrier_pigeon } }\n', 'c.yaml');
    expect(r.ok).toBe(false);
    const names = BUILTIN_SINKS.map((t) => t.type).sort();
    expect(!r.ok && r.errors).toEqual([`c.yaml:1:23: sinks.out.type: unknown type "carrier_pigeon" (one of ${names.join(', ')})`]);
  });
});

describe('the loader binds each entry to its type', () => {
  const made: { name: string; options: unknown }[] = [];
  const memorySink = defineSinkType({
    type: 'memory',
    schema: () => z.strictObject({ type: z.literal('memory'), capacity: z.number().int().min(1).default(10), ...sinkCommonShape() }),
    create: (name, options): Sink => {
      made.push({ name, options });
      return {
        name,
        type: 'memory',
        limits: { maxEntries: options.capacity, maxBytes: 1024 },
        entrySize: () => 1,
        send: async (batch) => deliveredAll(batch.length),
        close: async () => {},
      };
    },
  });
  const silentSource = defineSourceType({
    type: 'silent',
    schema: () => z.strictObject({ type: z.literal('silent') }),
    create: (name) => ({ name, type: 'silent', start: async () => {}, stop: async () => {} }),
  });
  const table = { sources: [silentSource], sinks: [memorySink] };

  it('with its options parsed and typed, and the factory of its type', async () => {
    const r = loadConfigTextWith(table, 'sources: { in: { type: silent } }\nsinks: { m: { type: memory } }\n', 'm.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const m = r.config.sinks.get('m');
    expectTypeOf(m?.options.capacity).toEqualTypeOf<number | undefined>();
    expect(m).toMatchObject({ name: 'm', type: 'memory', options: { capacity: 10, timeout: 10_000, retry: { initial: 500 } } });
    const sink = await m?.create({ logger: undefined as never, metrics: undefined as never, baseDir: '/' });
    expect(sink?.limits.maxEntries).toBe(10);
    expect(made).toEqual([{ name: 'm', options: m?.options }]);
    expect(r.config.sources.get('in')?.type).toBe('silent');
  });

  it.each([
    ['a type the table lacks', 'sinks: { m: { type: stdout } }\n', ['m.yaml:1:21: sinks.m.type: unknown type "stdout" (one of memory)']],
    [
      'a wrong option',
      'sinks: { m: { type: memory, capacity: 0 } }\n',
      [expect.stringMatching(/^m\.yaml:1:39: sinks\.m\.capacity: Too small/)],
    ],
    ['an unknown key', 'sinks: { m: { type: memory, colour: red } }\n', ['m.yaml:1:29: sinks.m.colour: unknown key "colour"']],
    ['no type', 'sinks: { m: { capacity: 3 } }\n', ['m.yaml:1:13: sinks.m: type: is required (one of memory)']],
  ])('and places the problems of %s', (_, text, errors) => {
    const r = loadConfigTextWith(table, text, 'm.yaml');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(errors);
  });

  it('for the built-in table, as a union that `type` narrows', () => {
    const r = loadConfigText('sinks: { ces: { type: huawei_ces, region: r, project_id: p } }\n', 'b.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const s = r.config.sinks.get('ces');
    if (s?.type !== 'huawei_ces') throw new Error('expected the huawei_ces sink');
    expectTypeOf(s.options).toEqualTypeOf<HuaweiCesSinkConfig>();
    expect(s.options.old_events).toBe('clamp');
  });

  it('accepts any table whose entries bind to sources and sinks', () => {
    expectTypeOf(table).toMatchTypeOf<ComponentTable<BoundSource, BoundSink>>();
  });
});
