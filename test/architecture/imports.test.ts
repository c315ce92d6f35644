import { describe, expect, it } from 'vitest';
import { checkLayers, importsOf, readImports, srcRoot, type Layering } from './import-graph.ts';

/**
 * Imports between the folders of src/ run one way:
 *
 *   cli, sdk, index.ts            entry points
 *   admin, emulator               served by the CLI; the emulator uses only the sinks' contract
 *   agent                         composition root: the component table, the loader; runs the components
 *   config                        YAML, substitution, diagnostics, the top-level schema
 *   sources, rules, delivery, sinks
 *   kubernetes, store
 *   observability
 *   model, core, version.ts       ground floor: imports nothing of the project
 *
 * A folder imports lower layers, or a peer of its layer as long as no circle forms.
 */
const LAYERING: Layering = {
  rank: {
    cli: 7,
    sdk: 7,
    '(index.ts)': 7,
    admin: 6,
    emulator: 6,
    agent: 5,
    config: 4,
    sources: 3,
    rules: 3,
    delivery: 3,
    sinks: 3,
    kubernetes: 2,
    store: 2,
    observability: 1,
    model: 0,
    core: 0,
    '(version.ts)': 0,
  },
  // Production code never runs the emulator: only the CLI and the package's entry point start it.
  onlyImportedBy: { emulator: ['cli', '(index.ts)'] },
  // The emulator checks requests against what the sinks send: their wire types, limits, signers.
  onlyFiles: { emulator: { folder: 'sinks', file: /\/(wire|limits|signer|emulator-target)\.ts$/ } },
};

/**
 * Imports that still break the layering, to be removed, not added to. Each entry is
 * `importing file -> imported file` (relative to src/). An entry that no longer occurs fails the
 * test too: delete it.
 */
const KNOWN = new Set<string>([]);

describe('imports between folders of src/', () => {
  it('run one way, without circles', () => {
    const { files, imports } = readImports(srcRoot());
    const { violations, knownHit } = checkLayers(files, imports, LAYERING, KNOWN);
    const stale = [...KNOWN].filter((e) => !knownHit.has(e));
    const report = [
      ...violations.map((v) => `${v.kind}: ${v.text}`),
      ...stale.map((e) => `stale: ${e} no longer occurs; remove it from KNOWN`),
    ];
    if (knownHit.size > 0) console.log(`${knownHit.size} known layering violations left:\n  ${[...knownHit].sort().join('\n  ')}`);
    expect(report.join('\n')).toBe('');
    // The parser sees the imports it must: an empty graph would pass everything.
    expect(imports.length).toBeGreaterThan(500);
  });

  it('finds circles, upward imports and forbidden ones', () => {
    const src: Record<string, string> = {
      'model/event.ts': "import { x } from '../sinks/sink.ts';\n",
      'sinks/sink.ts': "import type { Event } from '../model/event.ts';\nexport {\n  y,\n} from '../delivery/options.ts';\n",
      'delivery/options.ts': "import '../sinks/sink.ts';\nconst m = await import('../emulator/api.ts');\n",
      'emulator/api.ts': "import { limits } from '../sinks/aws/limits.ts';\nimport { s } from '../sinks/sink.ts';\n",
      'sinks/aws/limits.ts': "// import { z } from '../cli/main.ts';\nimport { a } from './gone.ts';\n",
      'extra/x.ts': '',
    };
    const files = new Set(Object.keys(src));
    const imports = Object.entries(src).flatMap(([path, text]) => importsOf(path, text));
    const layering: Layering = {
      rank: { emulator: 6, sinks: 3, delivery: 3, model: 0 },
      onlyImportedBy: { emulator: ['cli'] },
      onlyFiles: { emulator: { folder: 'sinks', file: /\/limits\.ts$/ } },
    };
    const { violations } = checkLayers(files, imports, layering);
    const texts = violations.map((v) => `${v.kind}: ${v.text.split('\n')[0]}`).sort();
    expect(texts).toEqual([
      'cycle: folders delivery, emulator, model, sinks import each other (pairs: delivery<->sinks, model<->sinks):',
      'forbidden: delivery/options.ts -> emulator/api.ts (only cli may import emulator)',
      'forbidden: emulator/api.ts -> sinks/sink.ts (emulator may use only /\\/limits\\.ts$/ of sinks)',
      'unknown-folder: src/extra has no layer',
      'unresolved: sinks/aws/limits.ts -> sinks/aws/gone.ts: no such module',
      'upward: delivery/options.ts -> emulator/api.ts (delivery is below emulator)',
      'upward: model/event.ts -> sinks/sink.ts (model is below sinks)',
    ]);
    // A known import is left out: the circle through it is gone.
    const known = checkLayers(
      files,
      imports,
      layering,
      new Set(['model/event.ts -> sinks/sink.ts', 'sinks/sink.ts -> delivery/options.ts']),
    );
    expect(known.violations.some((v) => v.kind === 'cycle')).toBe(false);
    expect([...known.knownHit].sort()).toEqual(['model/event.ts -> sinks/sink.ts', 'sinks/sink.ts -> delivery/options.ts']);
  });
});
