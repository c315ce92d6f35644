import { describe, expect, it } from 'vitest';
import { fileSourceSchema } from '../../src/sources/file/config.ts';
import { createDecoder, detectFormat, literalSurvivesEnvelope } from '../../src/sources/file/formats/index.ts';
import { kubernetesResource } from '../../src/sources/file/kubernetes.ts';
import { parseRfc3339Nano } from '../../src/sources/file/formats/time.ts';

const config = fileSourceSchema().parse({ type: 'file', include: ['/x/*.log'] });

function decodeAll(format: 'plain' | 'json' | 'cri' | 'docker', lines: string[]) {
  const d = createDecoder(format, config);
  const out = [];
  let offset = 0;
  for (const l of lines) {
    const e = d.push(l, offset);
    if (e) out.push(e);
    offset += Buffer.byteLength(l) + 1;
  }
  return out;
}

describe('file source config', () => {
  it('fills every default', () => {
    expect(config).toEqual({
      type: 'file',
      include: ['/x/*.log'],
      exclude: [],
      format: 'auto',
      start_at: 'end',
      json: { message_key: 'message', severity_key: 'level', timestamp_key: 'time' },
      max_line_bytes: 1048576,
      rotate_wait: 5000,
      poll_interval: 250,
      watch_interval: 100,
      max_open_files: 1024,
      fingerprint_bytes: 1024,
      parse_leading_timestamp: true,
    });
  });

  it('reads a plain line’s leading timestamp as stdin does, unless told not to', () => {
    const line = '2026-12-02T04:00:00Z INFO database reachable again';
    expect(createDecoder('plain', config).push(line, 0)?.timeUnixNano).toBe(BigInt(Date.parse('2026-12-02T04:00:00Z')) * 1_000_000n);
    expect(createDecoder('plain', { ...config, parse_leading_timestamp: false }).push(line, 0)?.timeUnixNano).toBeUndefined();
    expect(createDecoder('plain', config).push('no time here', 0)?.timeUnixNano).toBeUndefined();
  });

  it('turns a start_pattern that does not compile into an issue carrying the regex error', () => {
    const r = fileSourceSchema().safeParse({ type: 'file', include: ['a'], multiline: { start_pattern: '^(\\d' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['multiline', 'start_pattern']);
    expect(r.error!.issues[0]!.message).toMatch(/invalid regex: .*Unterminated group/);
  });

  it('rejects unknown keys and parses durations and sizes', () => {
    expect(fileSourceSchema().safeParse({ type: 'file', include: ['a'], tail: true }).success).toBe(false);
    const c = fileSourceSchema().parse({
      type: 'file',
      include: ['a'],
      rotate_wait: '1m',
      max_line_bytes: '64KiB',
      multiline: { start_pattern: '^\\S', timeout: '2s' },
    });
    expect([c.rotate_wait, c.max_line_bytes, c.multiline!.timeout, c.multiline!.max_lines]).toEqual([60_000, 65536, 2000, 500]);
  });
});

describe('formats', () => {
  it('cri: merges P pieces up to the F line, with time and stream', () => {
    const [a, b] = decodeAll('cri', [
      '2024-05-06T07:08:09.123456789Z stdout P hello ',
      '2024-05-06T07:08:09.2Z stdout F world',
      '2024-05-06T07:08:10+02:00 stderr F oops',
    ]);
    expect(a).toMatchObject({
      offset: 0,
      text: 'hello world',
      timeUnixNano: 1714979289123456789n,
      attributes: { 'log.iostream': 'stdout' },
    });
    expect(b).toMatchObject({
      text: 'oops',
      timeUnixNano: parseRfc3339Nano('2024-05-06T05:08:10Z'),
      attributes: { 'log.iostream': 'stderr' },
    });
  });

  it('docker: a log without a trailing newline is partial and merged with what follows', () => {
    const lines = [
      '{"log":"part one, ","stream":"stdout","time":"2024-05-06T07:08:09.000000001Z"}',
      '{"log":"part two\\n","stream":"stdout","time":"2024-05-06T07:08:09.1Z"}',
      '{"log":"caf\\u00e9 \\"q\\"\\r\\n","stream":"stderr","time":"2024-05-06T07:08:10Z"}',
    ];
    const out = decodeAll('docker', lines);
    const third = lines[0]!.length + lines[1]!.length + 2;
    expect(out.map((e) => [e.offset, e.text, e.attributes?.['log.iostream']])).toEqual([
      [0, 'part one, part two', 'stdout'],
      [third, 'café "q"', 'stderr'],
    ]);
    expect(out[0]!.timeUnixNano).toBe(1714979289000000001n);
  });

  it('json: message, level and time from their keys; the rest are fields; other lines stay text', () => {
    const first = '{"message":"disk full","level":"error","time":1714979289.5,"host":"db1","n":3}';
    const [a, b] = decodeAll('json', [first, 'not json']);
    expect(a).toMatchObject({
      text: 'disk full',
      severityText: 'error',
      severityNumber: 17,
      timeUnixNano: 1714979289500000000n,
      fields: { host: 'db1', n: 3 },
    });
    expect(b).toEqual({ offset: first.length + 1, text: 'not json' });
  });

  it('auto: judges by the first line', () => {
    expect(detectFormat('2024-05-06T07:08:09.1Z stdout F x', true)).toBe('cri');
    expect(detectFormat('{"log":"x\\n","stream":"stdout","time":"2024-05-06T07:08:09Z"}', true)).toBe('docker');
    expect(detectFormat('{"msg":"x"}', true)).toBe('json');
    expect(detectFormat('2024-05-06 07:08:09 INFO x', true)).toBe('plain');
    expect(detectFormat('{"log":"aaaaaaaa', false)).toBe('docker');
  });

  it('uses a literal on raw bytes only where the envelope cannot escape it', () => {
    expect(literalSurvivesEnvelope('plain', 'a "quoted" <b>')).toBe(true);
    expect(literalSurvivesEnvelope('json', 'payment failed')).toBe(true);
    expect(literalSurvivesEnvelope('json', 'a "quoted"')).toBe(false);
    expect(literalSurvivesEnvelope('docker', '<html>')).toBe(false);
    expect(literalSurvivesEnvelope('json', 'café')).toBe(false);
  });
});

describe('kubernetes attribution', () => {
  const uid = '0f3c6a52-6a1c-4c8e-9d3a-2b1c0e9f7a11';
  const cid = 'a'.repeat(64);
  it('reads namespace, pod, uid and container from a pods path', () => {
    expect(kubernetesResource(`/var/log/pods/shop_checkout-7d9f_${uid}/app/0.log`)).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'checkout-7d9f',
      'k8s.pod.uid': uid,
      'k8s.container.name': 'app',
    });
  });
  it('reads a containers symlink name and, through its target, the pod uid', () => {
    expect(
      kubernetesResource(`/var/log/containers/checkout-7d9f_shop_app-${cid}.log`, `/var/log/pods/shop_checkout-7d9f_${uid}/app/0.log`),
    ).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'checkout-7d9f',
      'k8s.pod.uid': uid,
      'k8s.container.name': 'app',
      'container.id': cid,
    });
  });
  it('leaves other paths alone', () => {
    expect(kubernetesResource('/var/log/app/server.log')).toEqual({});
  });
});
