import type { ConcreteFormat, FileSourceConfig } from '../config.ts';
import { criPiece, parseCriLine } from './cri.ts';
import { dockerPiece } from './docker.ts';
import { EnvelopeDecoder, type Decoder } from './entry.ts';
import { JsonDecoder, parseJsonObject } from './json.ts';
import { PlainDecoder } from './plain.ts';

export type { Decoder, Entry } from './entry.ts';

/** `auto`: judge a file by its first line (a prefix of it when the line is very long). */
export function detectFormat(firstLine: string, complete: boolean): ConcreteFormat {
  if (parseCriLine(complete ? firstLine : firstLine.slice(0, 200)) !== undefined) return 'cri';
  if (complete) {
    const obj = parseJsonObject(firstLine);
    if (obj) return typeof obj['log'] === 'string' && 'stream' in obj ? 'docker' : 'json';
    return 'plain';
  }
  if (/^\{"log":"/.test(firstLine)) return 'docker';
  return /^\s*\{/.test(firstLine) ? 'json' : 'plain';
}

export function createDecoder(format: ConcreteFormat, config: FileSourceConfig): Decoder {
  switch (format) {
    case 'plain':
      return new PlainDecoder(config.parse_leading_timestamp);
    case 'json':
      return new JsonDecoder(config.json);
    case 'cri':
      return new EnvelopeDecoder(config.max_line_bytes, criPiece);
    case 'docker':
      return new EnvelopeDecoder(config.max_line_bytes, dockerPiece);
  }
}

/**
 * Whether a literal found in the raw bytes means the same as in the decoded message: JSON
 * envelopes escape `"`, `\`, control characters, and (Go, PHP) `<>&/` and non-ASCII.
 */
export function literalSurvivesEnvelope(format: ConcreteFormat, literal: string): boolean {
  if (literal.length === 0 || literal.includes('\n')) return false;
  if (format === 'plain' || format === 'cri') return true;
  return /^[\x20-\x7e]+$/.test(literal) && !/["\\<>&/]/.test(literal);
}
