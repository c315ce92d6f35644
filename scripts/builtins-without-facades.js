// An esbuild plugin for the ESM bundle of the CLI (scripts/bundle.js).

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * `import … from 'node:fs'` in an ES module evaluates the built-in's ESM facade, which reads
 * every export once and so runs every lazy getter: `node:fs` loads fs/promises and readline,
 * `node:util` its diff, colours and worker_threads, `node:http` the bundled undici (for
 * `WebSocket`). Each built-in is bundled instead as a module over
 * `process.getBuiltinModule(name)` that reads only the exports the bundle imports: the others
 * are pure and left out by tree shaking. (Bundling the built-in as CommonJS is not enough:
 * esbuild's interop copies every property descriptor, and reading the descriptor of a lazy
 * export loads it.) The single-executable bundle (scripts/package.js) is CommonJS: its
 * require() never evaluated the facades.
 */
export const builtinsWithoutFacades = {
  name: 'builtins-without-facades',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => {
      const names = Object.getOwnPropertyNames(process.getBuiltinModule(args.path)).filter(
        (n) => n !== 'default' && IDENTIFIER.test(n) && !n.endsWith('$'),
      );
      const lines = [
        `const builtin$ = process.getBuiltinModule(${JSON.stringify(args.path)});`,
        'const read$ = (name) => builtin$[name];',
        'export default builtin$;',
        ...names.map((n) => `export const ${n} = /* @__PURE__ */ read$(${JSON.stringify(n)});`),
      ];
      return { contents: `${lines.join('\n')}\n`, loader: 'js' };
    });
  },
};
