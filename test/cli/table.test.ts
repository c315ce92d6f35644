import { describe, expect, it } from 'vitest';
import { tableLines } from '../../src/cli/table.ts';

describe('tableLines', () => {
  it.each([
    [
      'pads each column to its widest cell, the last one not at all',
      ['A', 'BB', 'C'],
      [['aaa', 'b', 'c c']],
      ['A    BB  C', 'aaa  b   c c'],
    ],
    ['takes a header wider than every cell', ['NAME', 'X'], [['a', '1']], ['NAME  X', 'a     1']],
    ['prints only the header without rows', ['A', 'B'], [], ['A  B']],
    ['leaves short rows short', ['A', 'B', 'C'], [['x']], ['A  B  C', 'x']],
  ])('%s', (_, head, rows, lines) => {
    expect(tableLines(head, rows)).toEqual(lines);
  });
});
