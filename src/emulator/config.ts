/**
 * Emulator configuration: YAML file or in-process object, validated once with zod. Every key is
 * documented in README.md next to this file.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { Diagnostics } from '../config/diagnostics.ts';
import { z } from 'zod';
import { byteSize } from '../core/byte-size.ts';
import { duration, parseDuration } from '../core/duration.ts';
import { listenAddress } from '../core/listen-address.ts';
import { EMULATOR_CREDENTIALS } from './credentials.ts';

/** The resource group Cloud Eye knows when the config names none: the id in the CreateEvents reference's example (seed 001). */
export const CES_DEFAULT_RESOURCE_GROUP = 'rg15221211517051YWWkEnVd';

export const PROVIDERS = ['aws', 'alibaba', 'ces', 'aom'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * When a fault fires. With no key it fires on every request; `first: N` on the first N requests
 * after the faults were set, `every: N` on every Nth request, `probability` at random (seeded).
 * Several keys: fires when any of them says so.
 */
const triggerShape = {
  probability: z.number().min(0).max(1).optional(),
  first: z.number().int().min(0).optional(),
  every: z.number().int().min(1).optional(),
};
export type Trigger = { probability?: number | undefined; first?: number | undefined; every?: number | undefined };

const throttleFault = z.strictObject({ ...triggerShape, retry_after: duration.optional() });
const serverErrorFault = z.strictObject({ ...triggerShape, status: z.union([z.literal(500), z.literal(503)]).default(500) });
const latencyFault = z
  .strictObject({ ...triggerShape, min: duration, max: duration.optional() })
  .refine((l) => l.max === undefined || l.max >= l.min, { message: 'max must be >= min' });
const resetFault = z.strictObject(triggerShape);
const quota = z.strictObject({ rps: z.number().positive(), burst: z.number().positive().optional() });

const commonFaults = {
  throttle: throttleFault.optional(),
  server_error: serverErrorFault.optional(),
  latency: latencyFault.optional(),
  reset: resetFault.optional(),
  quota: quota.optional(),
};

export const ENTRY_FAILURE_CODES = ['ThrottlingException', 'InternalFailure'] as const;
const awsFaults = z.strictObject({
  ...commonFaults,
  /** Per-entry failures inside a 200 PutEvents response; the trigger counts entries, not requests. */
  entry_failure: z
    .strictObject({
      ...triggerShape,
      codes: z
        .array(z.enum(ENTRY_FAILURE_CODES))
        .min(1)
        .default([...ENTRY_FAILURE_CODES]),
    })
    .optional(),
});
const providerFaults = z.strictObject(commonFaults);

export const faultsSchema = z.strictObject({
  aws: awsFaults.optional(),
  alibaba: providerFaults.optional(),
  ces: providerFaults.optional(),
  aom: providerFaults.optional(),
});
export type FaultsInput = z.input<typeof faultsSchema>;
export type Faults = z.output<typeof faultsSchema>;
export type ProviderFaults = z.output<typeof providerFaults> & Partial<Pick<z.output<typeof awsFaults>, 'entry_failure'>>;

const D = EMULATOR_CREDENTIALS;
const credentialsSchema = z
  .strictObject({
    aws: z
      .strictObject({
        access_key_id: z.string().min(1).default(D.aws.accessKeyId),
        secret_access_key: z.string().min(1).default(D.aws.secretAccessKey),
        region: z.string().min(1).default(D.aws.region),
      })
      .prefault({}),
    alibaba: z
      .strictObject({
        access_key_id: z.string().min(1).default(D.alibaba.accessKeyId),
        access_key_secret: z.string().min(1).default(D.alibaba.accessKeySecret),
      })
      .prefault({}),
    huawei: z
      .strictObject({
        ak: z.string().min(1).default(D.huawei.ak),
        sk: z.string().min(1).default(D.huawei.sk),
        token: z.string().min(1).default(D.huawei.token),
        /** The project id handed to sinks; requests for any project id are accepted. */
        project_id: z.string().min(1).max(64).default(D.huawei.projectId),
      })
      .prefault({}),
  })
  .prefault({});

const limitsSchema = z
  .strictObject({
    /** PutEvents' request limit; unset: that of the emulated region's partition (1 MB in `aws`, else 256 KB). */
    aws: z.strictObject({ max_request_bytes: byteSize.optional() }).prefault({}),
    alibaba: z.strictObject({ max_events: z.number().int().min(1).default(50) }).prefault({}),
    /**
     * Cloud Eye documents no batch limit; unset means unlimited. `resource_groups`: the group ids
     * that exist (a `group_id` naming another is refused); default: the seed's example group.
     */
    ces: z
      .strictObject({
        max_events: z.number().int().min(1).optional(),
        resource_groups: z.array(z.string().length(24)).default([CES_DEFAULT_RESOURCE_GROUP]),
      })
      .prefault({}),
    aom: z.strictObject({ max_events: z.number().int().min(1).optional() }).prefault({}),
  })
  .prefault({});

export const emulatorConfigSchema = z.strictObject({
  /** `host:port`; the parsed `{host, port}` form is accepted too, so parsing is idempotent. */
  listen: z
    .union([listenAddress, z.strictObject({ host: z.string(), port: z.number().int().min(0).max(65535) })])
    .default({ host: '127.0.0.1', port: 4580 }),
  /** Seed of the PRNG behind probabilistic faults, for reproducible runs. */
  seed: z.number().int().default(1),
  /**
   * Accepted events kept per provider for inspection (and per project in the Cloud Eye query
   * store, and cleared AOM alarms); the oldest are dropped beyond this.
   */
  max_stored_events: z.number().int().min(1).default(100_000),
  /**
   * How far the emulated providers' clock is from this machine's (`20m`, `-20m`): signatures,
   * time windows and the `Date` header of every answer follow it, as a provider's would when
   * the agent's clock is off by that much.
   */
  clock_offset: z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const text = String(v).trim();
      const negative = text.startsWith('-');
      const ms = parseDuration(negative ? text.slice(1) : text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(v)} (use e.g. 20m or -20m)` });
        return z.NEVER;
      }
      return negative ? -ms : ms;
    })
    .default(0),
  /** Largest request body read; larger requests get 413. */
  max_body_bytes: byteSize.default(2 * 1024 * 1024),
  credentials: credentialsSchema,
  limits: limitsSchema,
  faults: faultsSchema.default({}),
});
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;
export type EmulatorConfig = z.output<typeof emulatorConfigSchema>;

export class EmulatorConfigError extends Error {}

/** Renders zod issues as `path: message` lines. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export function parseEmulatorConfig(input: unknown, origin = 'emulator config'): EmulatorConfig {
  const result = emulatorConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new EmulatorConfigError(`${origin}: ${formatIssues(result.error)}`);
  return result.data;
}

export function parseFaults(input: unknown): Faults {
  const result = faultsSchema.safeParse(input ?? {});
  if (!result.success) throw new EmulatorConfigError(`faults: ${formatIssues(result.error)}`);
  return result.data;
}

export async function loadEmulatorConfig(file: string): Promise<EmulatorConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new EmulatorConfigError(`cannot read emulator config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Every problem at its place in the file, as `log2events validate` reports the agent's config.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const diag = new Diagnostics(file, doc, lines);
  for (const e of doc.errors) diag.addAt(e.pos[0], [], `invalid YAML: ${e.message.split('\n')[0]}`);
  if (doc.errors.length === 0) {
    const result = emulatorConfigSchema.safeParse(doc.toJS() ?? {});
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p) => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) diag.add([...path, key], `unknown key "${key}"`, 'key');
      else diag.add(path, issue.message);
    }
  }
  throw new EmulatorConfigError(diag.formatted().join('\n'));
}
