/**
 * Finds a literal in raw bytes faster than `Buffer.indexOf(literal)` when the literal holds a
 * byte that is rare in log text: `indexOf` of that single byte is a `memchr`, which skips a
 * megabyte of lines that cannot match in a fraction of the time a substring search takes, and
 * each place it stops at is checked against the whole literal. Where the chosen byte turns out
 * to be common in the data, the finder falls back to `indexOf(literal)` for good.
 */
export class LiteralFinder {
  readonly literal: Buffer;
  /** The rarest byte of the literal and its offset in it. */
  private readonly rare: number;
  private readonly rareAt: number;
  /** Places the rare byte was found where the literal was not, and bytes searched. */
  private misses = 0;
  private searched = 0;
  private plain = false;

  constructor(literal: Buffer) {
    this.literal = literal;
    let best = 0;
    for (let i = 1; i < literal.length; i++) if (rank(literal[i]) < rank(literal[best])) best = i;
    this.rareAt = best;
    this.rare = literal[best] ?? 0;
    // Short literals and literals of common bytes only: the substring search is as good.
    this.plain = literal.length < 2 || rank(this.rare) >= COMMON;
  }

  /** Where the literal starts at or after `from` in `data`, or -1; the same as `data.indexOf(literal, from)`. */
  find(data: Buffer, from: number): number {
    const lit = this.literal;
    if (this.plain) return data.indexOf(lit, from);
    const len = lit.length;
    const last = data.length - len;
    let p = from + this.rareAt;
    for (;;) {
      const at = data.indexOf(this.rare, p);
      const start = at - this.rareAt;
      if (at < 0 || start > last) {
        this.searched += data.length - p;
        return -1;
      }
      let i = 0;
      while (i < len && data[start + i] === lit[i]) i++;
      if (i === len) {
        this.searched += at - p;
        return start;
      }
      // A stop that was not the literal: after too many per byte searched, memchr on this byte
      // is a loss here, and the plain search takes over.
      if (++this.misses > 64 && this.misses * MISS_BUDGET_BYTES > this.searched + (at - p)) {
        this.plain = true;
        return data.indexOf(lit, start + 1);
      }
      this.searched += at + 1 - p;
      p = at + 1;
    }
  }
}

/** The finder gives up on its byte when it stops more than once per this many bytes. */
const MISS_BUDGET_BYTES = 512;

/**
 * How common each byte is in log text, as a rank (lower is rarer): control and non-ASCII bytes,
 * then rare punctuation, uppercase letters (by English letter frequency), then lowercase letters,
 * digits and the separators timestamps, key=value pairs and paths are made of.
 */
const RANK = new Uint8Array(256);
/** Bytes ranked at or above this are too common for the memchr search to pay off. */
const COMMON = 200;
(() => {
  RANK.fill(10); // control bytes, non-ASCII
  let r = 20;
  for (const c of "`^~|\\{}<>@#$%&*!?;+'") RANK[c.charCodeAt(0)] = r++;
  r = 60;
  for (const c of 'QZXJKVBYWGPFMUCDLHRSNIOATE') RANK[c.charCodeAt(0)] = r++;
  r = 100;
  for (const c of '[]()_"') RANK[c.charCodeAt(0)] = r++;
  r = 120;
  for (const c of 'qzxjkvbywgpfmucdlhrsnioate') RANK[c.charCodeAt(0)] = r++;
  r = 200;
  for (const c of ',/=.-:9876543210 \t') RANK[c.charCodeAt(0)] = r++;
  RANK[0x0a] = 250;
})();

/** How common a byte is in log text (rarer bytes rank lower); no byte ranks as the most common. */
function rank(byte: number | undefined): number {
  return byte === undefined ? 255 : (RANK[byte] ?? 255);
}
