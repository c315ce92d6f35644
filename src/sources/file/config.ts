import { z } from 'zod';
import { byteSize, duration } from '../../config/duration.ts';
import { compileRegex } from '../../rules/regex.ts';

export const FORMATS = ['plain', 'json', 'cri', 'docker', 'auto'] as const;
export type FormatName = (typeof FORMATS)[number];
export type ConcreteFormat = Exclude<FormatName, 'auto'>;

/** A regex given as text in the config; compiled once here so a bad one is a config error. */
const regexText = z.string().transform((pattern, ctx) => {
  const compiled = compileRegex(pattern);
  if (!compiled.ok) {
    ctx.addIssue({ code: 'custom', message: compiled.error });
    return z.NEVER;
  }
  return compiled.regex;
});

const DEFAULT_JSON = { message_key: 'message', severity_key: 'level', timestamp_key: 'time' };

export const fileSourceSchema = z.strictObject({
  type: z.literal('file'),
  include: z.array(z.string().min(1)).min(1),
  exclude: z.array(z.string().min(1)).default([]),
  format: z.enum(FORMATS).default('auto'),
  start_at: z.enum(['beginning', 'end']).default('end'),
  json: z
    .strictObject({
      message_key: z.string().min(1).default(DEFAULT_JSON.message_key),
      severity_key: z.string().min(1).default(DEFAULT_JSON.severity_key),
      timestamp_key: z.string().min(1).default(DEFAULT_JSON.timestamp_key),
    })
    .default(DEFAULT_JSON),
  multiline: z
    .strictObject({
      start_pattern: regexText,
      timeout: duration.default(1000),
      max_lines: z.number().int().min(1).default(500),
      max_bytes: byteSize.default(1048576),
    })
    .optional(),
  max_line_bytes: byteSize.pipe(z.number().int().min(64)).default(1048576),
  rotate_wait: duration.default(5000),
  poll_interval: duration.pipe(z.number().min(10)).default(250),
  fingerprint_bytes: z.number().int().min(16).max(65536).default(1024),
});

export type FileSourceConfig = z.output<typeof fileSourceSchema>;
export type MultilineConfig = NonNullable<FileSourceConfig['multiline']>;
export type JsonKeys = FileSourceConfig['json'];

/** How long a partial last line (or an unfinished multiline record) waits for the rest. */
export function flushTimeoutMs(config: FileSourceConfig): number {
  return config.multiline?.timeout ?? 1000;
}
