import { describe, expect, it } from 'vitest';
import { decodeRequest, type Encoding } from '../../src/sources/otlp/codec.ts';
import { ExportLogsServiceRequestType } from '../../src/sources/otlp/proto/schema.ts';
import { mapExportRequest } from '../../src/sources/otlp/records.ts';

const NOW = 1_800_000_000_000_000_000n;

function decodeJson(text: string) {
  const d = decodeRequest(Buffer.from(text), 'json');
  if (!d.ok) throw new Error(d.message);
  return mapExportRequest(d.request, { originPrefix: 'otlp:t', nowUnixNano: NOW });
}

function decodeProto(obj: Record<string, unknown>) {
  const bytes = ExportLogsServiceRequestType.encode(ExportLogsServiceRequestType.fromObject(obj)).finish();
  const d = decodeRequest(bytes, 'protobuf');
  if (!d.ok) throw new Error(d.message);
  return mapExportRequest(d.request, { originPrefix: 'otlp:t', nowUnixNano: NOW });
}

const oneRecord = (record: string) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${record}]}]}]}`;

describe('OTLP/JSON decoding (lowerCamelCase keys, hex ids, int64 as string or number)', () => {
  it('keeps nanosecond timestamps exact whether sent as string or as a bare number', () => {
    const { records } = decodeJson(oneRecord('{"timeUnixNano": 1700000000123456789, "observedTimeUnixNano": "1700000000987654321"}'));
    expect(records[0]!.timeUnixNano).toBe(1_700_000_000_123_456_789n);
    expect(records[0]!.observedTimeUnixNano).toBe(1_700_000_000_987_654_321n);
  });

  it('uses the receive time when the record has no observed time', () => {
    expect(decodeJson(oneRecord('{}')).records[0]!.observedTimeUnixNano).toBe(NOW);
  });

  it('maps every AnyValue kind, a kvlist body becoming a plain object', () => {
    const body = {
      kvlistValue: {
        values: [
          { key: 's', value: { stringValue: 'x' } },
          { key: 'b', value: { boolValue: true } },
          { key: 'i', value: { intValue: '42' } },
          { key: 'big', value: { intValue: '9007199254740993' } },
          { key: 'd', value: { doubleValue: 1.5 } },
          { key: 'nan', value: { doubleValue: 'NaN' } },
          { key: 'inf', value: { doubleValue: '-Infinity' } },
          { key: 'bytes', value: { bytesValue: 'AQID' } },
          { key: 'list', value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'two' }] } } },
          { key: 'nested', value: { kvlistValue: { values: [{ key: 'deep', value: { stringValue: 'yes' } }] } } },
          { key: 'empty', value: {} },
        ],
      },
    };
    const { records, rejected } = decodeJson(oneRecord(JSON.stringify({ body })));
    expect(rejected).toBe(0);
    expect(records[0]!.body).toEqual({
      s: 'x',
      b: true,
      i: 42,
      big: '9007199254740993', // beyond 2^53: exact decimal text rather than a rounded number
      d: 1.5,
      nan: NaN,
      inf: -Infinity,
      bytes: new Uint8Array([1, 2, 3]),
      list: [1, 'two'],
      nested: { deep: 'yes' },
      empty: null,
    });
  });

  it('reads ids as hex into lower case, treats all-zero ids as absent, takes trace flags from the low byte', () => {
    const { records } = decodeJson(
      oneRecord(`{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","flags":769},
                 {"traceId":"00000000000000000000000000000000","spanId":""}`),
    );
    expect(records[0]).toMatchObject({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', traceFlags: 1 });
    expect(records[1]!.traceId).toBeUndefined();
    expect(records[1]!.spanId).toBeUndefined();
  });

  it('accepts severity as a number or as the enum name', () => {
    const { records } = decodeJson(oneRecord('{"severityNumber":17},{"severityNumber":"SEVERITY_NUMBER_WARN2"}'));
    expect(records.map((r) => r.severityNumber)).toEqual([17, 14]);
  });

  it('ignores unknown fields at every level', () => {
    const { records, rejected } = decodeJson(
      '{"future":1,"resourceLogs":[{"x":[],"resource":{"attributes":[],"entityRefs":[1]},"scopeLogs":[{"scope":{"name":"n","attributes":[]},"logRecords":[{"eventName":"e","novel":{"a":1},"body":{"stringValue":"hi","value":{"weird":true}}}]}]}]}',
    );
    expect(rejected).toBe(0);
    expect(records[0]).toMatchObject({ body: 'hi', scope: { name: 'n' } });
  });

  it('rejects only the unusable records, with reasons', () => {
    const result = decodeJson(
      oneRecord(`{"traceId":"xyz"},{"spanId":"0102"},{"severityNumber":99},{"timeUnixNano":"soon"},
                 {"body":{"boolValue":"yes"}},{"body":{"bytesValue":"!!"}},{"body":{"stringValue":"fine"}}`),
    );
    expect(result.rejected).toBe(6);
    expect(result.records.map((r) => r.body)).toEqual(['fine']);
    expect(result.records[0]!.origin).toBe('otlp:t:6');
    expect(result.errors).toEqual([
      'log record #0: traceId must be 32 hex digits',
      'log record #1: spanId must be 16 hex digits',
      'log record #2: severityNumber 99 is not a SeverityNumber (0..24)',
    ]);
  });

  it('rejects a body nested beyond 32 levels instead of recursing without end', () => {
    let value = '{"stringValue":"bottom"}';
    for (let i = 0; i < 40; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const result = decodeJson(oneRecord(`{"body":${value}}`));
    expect(result.rejected).toBe(1);
    expect(result.errors[0]).toMatch(/nested deeper than 32/);
  });

  it('keeps an attribute named __proto__ as data', () => {
    const { records } = decodeJson(oneRecord('{"attributes":[{"key":"__proto__","value":{"stringValue":"x"}}]}'));
    expect(Object.getPrototypeOf(records[0]!.attributes)).toBe(Object.prototype);
    expect(Object.hasOwn(records[0]!.attributes, '__proto__')).toBe(true);
  });

  it('rejects the whole request for undecodable input', () => {
    const cases: [Encoding, Uint8Array | string, RegExp][] = [
      ['json', '{"resourceLogs": [', /invalid JSON/],
      ['json', '[1,2]', /expected an object/],
      ['json', Buffer.from([0x7b, 0xff, 0x7d]), /not UTF-8/],
      ['protobuf', new Uint8Array([0x0a, 0x05, 0x01]), /invalid protobuf/],
    ];
    for (const [encoding, body, message] of cases) {
      const d = decodeRequest(typeof body === 'string' ? Buffer.from(body) : body, encoding);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.message).toMatch(message);
    }
  });
});

describe('OTLP protobuf decoding', () => {
  it('maps resources, scopes and records, numbering origins across the whole request', () => {
    const result = decodeProto({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] },
          scopeLogs: [
            { scope: { name: 's1', version: '1' }, logRecords: [{ body: { stringValue: 'r0' } }, { body: { stringValue: 'r1' } }] },
            { logRecords: [{ body: { stringValue: 'r2' } }] },
          ],
        },
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'b' } }] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: 'r3' } }] }],
        },
      ],
    });
    expect(result.records.map((r) => [r.body, r.resource['service.name'], r.scope, r.origin])).toEqual([
      ['r0', 'a', { name: 's1', version: '1' }, 'otlp:t:0'],
      ['r1', 'a', { name: 's1', version: '1' }, 'otlp:t:1'],
      ['r2', 'a', undefined, 'otlp:t:2'],
      ['r3', 'b', undefined, 'otlp:t:3'],
    ]);
  });

  it('reads fixed64 timestamps at full precision up to the largest value', () => {
    const { records } = decodeProto({
      resourceLogs: [
        { scopeLogs: [{ logRecords: [{ timeUnixNano: '18446744073709551615', observedTimeUnixNano: '1700000000123456789' }] }] },
      ],
    });
    expect(records[0]!.timeUnixNano).toBe(18_446_744_073_709_551_615n);
    expect(records[0]!.observedTimeUnixNano).toBe(1_700_000_000_123_456_789n);
  });

  it('reads negative and large int values exactly', () => {
    const { records } = decodeProto({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  attributes: [
                    { key: 'neg', value: { intValue: -5 } },
                    { key: 'max', value: { intValue: '9223372036854775807' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(records[0]!.attributes).toEqual({ neg: -5, max: '9223372036854775807' });
  });

  it('rejects records whose ids have the wrong length', () => {
    const result = decodeProto({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { traceId: Buffer.alloc(15, 1) },
                { spanId: Buffer.alloc(9, 1) },
                { traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 0xcd) },
              ],
            },
          ],
        },
      ],
    });
    expect(result.rejected).toBe(2);
    expect(result.records[0]).toMatchObject({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), origin: 'otlp:t:2' });
  });
});
