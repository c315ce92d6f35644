import { z } from 'zod';
import { byteSize } from '../../core/byte-size.ts';
import { duration } from '../../core/duration.ts';
import { compileRegex } from '../../core/regex.ts';

/**
 * Default of `watch_interval`. Measured with bench/peers.ts (http sink, 10k and 50k lines/s):
 * one pass per 35 ms brought the latency p99 to linger + ~30 ms but cost about twice the steady
 * CPU of polling alone; 100 ms keeps the CPU near polling's for a latency of linger + ~100 ms.
 */
export const WATCH_INTERVAL_DEFAULT_MS = 100;

export const FORMATS = ['plain', 'json', 'cri', 'docker', 'auto'] as const;
export type FormatName = (typeof FORMATS)[number];
export type ConcreteFormat = Exclude<FormatName, 'auto'>;

/** A regex given as text in the config; compiled once here so a bad one is a config error. */
function regexText() {
  return z.string().transform((pattern, ctx) => {
    const compiled = compileRegex(pattern);
    if (!compiled.ok) {
      ctx.addIssue({ code: 'custom', message: compiled.error });
      return z.NEVER;
    }
    return compiled.regex;
  });
}

const DEFAULT_JSON = { message_key: 'message', severity_key: 'level', timestamp_key: 'time' };

export function fileSourceSchema() {
  return z.strictObject({
    type: z.literal('file'),
    /** Globs of files to read (`**` allowed; relative ones resolve against the config file's directory). */
    include: z.array(z.string().min(1)).min(1),
    /** Globs of files not to read (a glob starting with `**` matches anywhere). */
    exclude: z.array(z.string().min(1)).default([]),
    /** How lines are parsed; `auto` judges each file by its first line. */
    format: z.enum(FORMATS).default('auto'),
    /** A plain line starting with an ISO-8601 timestamp carries that time (as on stdin); false: the time it was read. */
    parse_leading_timestamp: z.boolean().default(true),
    /** Where to begin in files present at start that have no checkpoint; later files start at 0. */
    start_at: z.enum(['beginning', 'end']).default('end'),
    /** Keys of a `json` line's message, severity and timestamp; the other keys become record fields. */
    json: z
      .strictObject({
        message_key: z.string().min(1).default(DEFAULT_JSON.message_key),
        severity_key: z.string().min(1).default(DEFAULT_JSON.severity_key),
        timestamp_key: z.string().min(1).default(DEFAULT_JSON.timestamp_key),
      })
      .default(DEFAULT_JSON),
    /** Records spanning lines: a record starts at a line matching `start_pattern`. */
    multiline: z
      .strictObject({
        start_pattern: regexText(),
        /** An unfinished record (and a partial last line) is complete after this long without new data. */
        timeout: duration.default(1000),
        max_lines: z.number().int().min(1).default(500),
        max_bytes: byteSize.default(1048576),
      })
      .optional(),
    /** Longer lines are cut here (and counted in log2events_file_lines_truncated_total). */
    max_line_bytes: byteSize.pipe(z.number().int().min(64)).default(1048576),
    /** How long a file renamed away or deleted is still read (drained) before it is let go. */
    rotate_wait: duration.default(5000),
    /** How often open files are checked for growth, truncation and replacement. */
    poll_interval: duration.pipe(z.number().min(10)).default(250),
    /**
     * After a file-system event (a write to a followed file), at most one read pass per this long:
     * the most a write waits before it is read. Lower is faster and costs more CPU on busy files.
     */
    watch_interval: duration.pipe(z.number().min(5)).default(WATCH_INTERVAL_DEFAULT_MS),
    /**
     * Most file descriptors held: past it, the least recently active files are closed and
     * reopened (by path, checked by inode) when they have data again.
     */
    max_open_files: z.number().int().min(16).default(1024),
    /** Leading bytes whose hash identifies a file across renames, copies and restarts. */
    fingerprint_bytes: z.number().int().min(16).max(65536).default(1024),
  });
}

export type FileSourceConfig = z.output<ReturnType<typeof fileSourceSchema>>;
export type MultilineConfig = NonNullable<FileSourceConfig['multiline']>;
export type JsonKeys = FileSourceConfig['json'];

/** How long a partial last line (or an unfinished multiline record) waits for the rest. */
export function flushTimeoutMs(config: FileSourceConfig): number {
  return config.multiline?.timeout ?? 1000;
}
