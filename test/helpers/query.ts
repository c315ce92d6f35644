import { PassThrough } from 'node:stream';
import { queryCommand } from '../../src/cli/query.ts';

/** `log2events query ARGS` in-process: its exit code and what it wrote. */
export async function runQuery(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await queryCommand(args, { stdin: new PassThrough(), stdout, stderr });
  return { code, stdout: out, stderr: err };
}
