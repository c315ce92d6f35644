/**
 * A plain-text table: columns padded to their widest cell and two spaces apart; the last column
 * is not padded, so lines carry no trailing blanks.
 */
export function tableLines(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const fmt = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [fmt(head), ...rows.map(fmt)];
}
