import { isAlias, isMap, isPair, isSeq, type Document, type Node } from 'yaml';
import type { Diagnostics } from './diagnostics.ts';

/**
 * Nodes a config may stand for once its aliases are expanded. A real config has hundreds; the
 * YAML "billion laughs" has billions in a dozen lines, and expanding it exhausts memory.
 */
export const MAX_EXPANDED_NODES = 100_000;

/**
 * Counts the nodes the document expands to, without expanding it (each anchored node is
 * counted once and its count reused). Over the bound, reports the alias that contributes most,
 * at its position, and answers false.
 */
export function checkAliasExpansion(doc: Document, diag: Diagnostics): boolean {
  const sizes = new Map<unknown, number>();
  let worst: { node: Node; size: number } | undefined;
  const size = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // a node being counted (an alias cycle) counts once
    let n = 1;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      n = target ? size(target) : 1;
      if (!worst || n > worst.size) worst = { node, size: n };
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        n += isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (n > MAX_EXPANDED_NODES) break; // the answer is known; stop counting
      }
    }
    sizes.set(node, n);
    return n;
  };
  const total = size(doc.contents);
  if (total <= MAX_EXPANDED_NODES || !worst) return true;
  const w: { node: Node; size: number } = worst;
  const name = isAlias(w.node) ? `*${w.node.source}` : 'an alias';
  diag.addAt(
    w.node.range?.[0] ?? 0,
    [],
    `YAML aliases expand this config to more than ${MAX_EXPANDED_NODES.toLocaleString('en-US')} values (${name} alone stands for ` +
      `${w.size >= MAX_EXPANDED_NODES ? `over ${MAX_EXPANDED_NODES.toLocaleString('en-US')}` : w.size.toLocaleString('en-US')}): refused as an alias bomb`,
  );
  return false;
}
