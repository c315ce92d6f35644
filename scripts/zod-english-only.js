// An esbuild plugin for both bundles of the CLI (scripts/bundle.js, scripts/package.js).
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * zod's namespace export carries its 60-odd translations of error messages; the agent speaks
 * English (which zod configures by itself), so the others are left out: ~0.4 MB less source to
 * load and keep in memory at every start.
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: join(root, 'node_modules/zod/v4/locales'),
    }));
  },
};
