import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { AKSKSigner, readJson, useEmulator } from './vendor-clients.ts';

/**
 * AOM PushEvents (report and `?action=clear`) refuses what the provider documents it refuses.
 * Every request is signed with Huawei's own AKSKSigner (@huaweicloud/huaweicloud-sdk-core) and
 * each row names the source of its expected answer:
 * - seed: ../shared/seeds/002 (API reference "Reporting Events and Alarms");
 * - sheet: PROVIDERS.md (Huawei shared and AOM sections, December 2026 corrections);
 * - APIG: Huawei API Gateway error codes (APIGW.0101 no such API, APIGW.0301 IAM auth failed).
 */
let emu: RunningEmulator;
useEmulator((e) => (emu = e));

const { ak, sk, projectId } = EMULATOR_CREDENTIALS.huawei;
const PATH = `/v2/${projectId}/push/events`;
const metadata = {
  event_name: 'test',
  event_severity: 'Major',
  event_type: 'alarm',
  resource_provider: 'ecs',
  resource_type: 'vm',
  resource_id: 'ecs123',
};
const report = (o: Record<string, unknown> = {}, md: Record<string, unknown> = {}) => ({
  starts_at: Date.now(),
  timeout: 60_000,
  metadata: { ...metadata, ...md },
  annotations: { message: 'details' },
  ...o,
});
const clear = (o: Record<string, unknown> = {}) => ({ ends_at: Date.now(), metadata, id: 'alarm-1', ...o });
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

interface Call {
  body: unknown;
  clear?: boolean;
  method?: string;
  contentType?: string;
  secret?: string;
  /** X-Sdk-Date this far from now (ms). */
  dateOffsetMs?: number;
  /** Changes the body text after signing. */
  tamper?: (text: string) => string;
}

/** Signs with AKSKSigner (which hashes JSON.stringify(data)) and sends exactly that text. */
async function call(c: Call): Promise<Response> {
  const method = c.method ?? 'PUT';
  const query = c.clear ? { action: 'clear' } : undefined;
  const headers: Record<string, string> = { 'content-type': c.contentType ?? 'application/json' };
  if (c.dateOffsetMs !== undefined) headers['X-Sdk-Date'] = new Date(Date.now() + c.dateOffsetMs).toISOString();
  const signed = AKSKSigner.sign(
    { endpoint: `${emu.url}${PATH}`, method, headers, ...(query ? { queryParams: query } : {}), data: c.body },
    { getAk: () => ak, getSk: () => c.secret ?? sk },
  );
  const { host: _host, ...authHeaders } = signed;
  const sent: Record<string, string> = { ...headers, ...authHeaders };
  if (c.dateOffsetMs !== undefined) sent['X-Sdk-Date'] = compactDate(new Date(Date.now() + c.dateOffsetMs));
  let text = JSON.stringify(c.body);
  if (c.tamper) text = c.tamper(text);
  return fetch(`${emu.url}${PATH}${query ? `?${new URLSearchParams(query)}` : ''}`, { method, headers: sent, body: text });
}

const compactDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

type Row = [name: string, request: Call, status: number, code: string, source: string, message?: RegExp];

const rows: Row[] = [
  // Report: the body
  ['report: no events', { body: {} }, 400, 'AOM.0400', 'seed Table 4: events mandatory', /events is mandatory/],
  ['report: an empty events list', { body: { events: [] } }, 400, 'AOM.0400', 'seed Table 4: events mandatory', /events is mandatory/],
  [
    'report: the body is a JSON string',
    { body: '{"events":[' },
    400,
    'AOM.0400',
    'seed Example Responses: parse eventParam failed',
    /parse eventParam failed/,
  ],
  [
    'report: events is an object',
    { body: { events: report() } },
    400,
    'AOM.0400',
    'seed Table 4: Array of EventModel',
    /parse eventParam failed/,
  ],
  [
    'report: Content-Type text/plain',
    { body: { events: [report()] }, contentType: 'text/plain' },
    400,
    'AOM.0400',
    'seed Table 3: Content-Type application/json',
    /Content-Type/,
  ],
  // Report: EventModel
  [
    'report: no metadata',
    { body: { events: [without(report(), 'metadata')] } },
    400,
    'AOM.0400',
    'seed Table 5: metadata mandatory',
    /events\[0\]\.metadata is mandatory/,
  ],
  [
    'report: no metadata.event_name',
    { body: { events: [report({ metadata: without(metadata, 'event_name') })] } },
    400,
    'AOM.0400',
    'seed Table 5: mandatory metadata fields',
    /metadata\.event_name/,
  ],
  [
    'report: no metadata.resource_id',
    { body: { events: [report({ metadata: without(metadata, 'resource_id') })] } },
    400,
    'AOM.0400',
    'seed Table 5: mandatory metadata fields',
    /metadata\.resource_id/,
  ],
  [
    'report: event_severity Warning',
    { body: { events: [report({}, { event_severity: 'Warning' })] } },
    400,
    'AOM.0400',
    'seed Table 5: Critical, Major, Minor, Info',
    /event_severity/,
  ],
  [
    'report: event_type incident',
    { body: { events: [report({}, { event_type: 'incident' })] } },
    400,
    'AOM.0400',
    'seed Table 5: event, alarm',
    /event_type/,
  ],
  [
    'report: a metadata value of 2049 characters',
    { body: { events: [report({}, { resource_id: 'x'.repeat(2049) })] } },
    400,
    'AOM.0400',
    'seed Table 5: length 1 to 2,048',
    /resource_id/,
  ],
  [
    'report: an empty metadata value',
    { body: { events: [report({}, { resource_type: '' })] } },
    400,
    'AOM.0400',
    'seed Table 5: length 1 to 2,048',
    /resource_type/,
  ],
  [
    'report: a metadata value that is a number',
    { body: { events: [report({}, { resource_id: 123 })] } },
    400,
    'AOM.0400',
    'seed Table 5: Map<String,String>',
    /resource_id/,
  ],
  [
    'report: timeout over 15 days',
    { body: { events: [report({ timeout: 15 * 86_400_000 + 1 })] } },
    400,
    'AOM.0400',
    'seed Table 5: timeout Max. 15 days',
    /timeout/,
  ],
  [
    'report: timeout as text',
    { body: { events: [report({ timeout: '60000' })] } },
    400,
    'AOM.0400',
    'seed Table 5: timeout Long',
    /timeout/,
  ],
  [
    'report: no starts_at',
    { body: { events: [without(report(), 'starts_at')] } },
    400,
    'AOM.0400',
    'seed Table 5: starts_at needed to report',
    /starts_at/,
  ],
  [
    'report: starts_at as an ISO date',
    { body: { events: [report({ starts_at: '2026-12-02T10:00:00Z' })] } },
    400,
    'AOM.0400',
    'seed Table 5: starts_at Long (ms)',
    /starts_at/,
  ],
  [
    'report: annotations as a list',
    { body: { events: [report({ annotations: ['x'] })] } },
    400,
    'AOM.0400',
    'seed Table 5: annotations Map',
    /annotations/,
  ],
  [
    'report: one bad event of three refuses the request',
    { body: { events: [report(), report({}, { event_type: 'incident' }), report()] } },
    400,
    'AOM.0400',
    'sheet: all-or-nothing request',
    /events\[1\]\.metadata\.event_type/,
  ],
  // Clear
  [
    'clear: no id',
    { body: { events: [without(clear(), 'id')] }, clear: true },
    400,
    'AOM.0400',
    'seed Table 5: id needed to clear',
    /events\[0\]\.id is mandatory/,
  ],
  ['clear: an empty id', { body: { events: [clear({ id: '' })] }, clear: true }, 400, 'AOM.0400', 'seed Table 5: id String', /id/],
  [
    'clear: no ends_at',
    { body: { events: [without(clear(), 'ends_at')] }, clear: true },
    400,
    'AOM.0400',
    'seed Table 5: ends_at needed to clear',
    /ends_at/,
  ],
  [
    'clear: no metadata',
    { body: { events: [without(clear(), 'metadata')] }, clear: true },
    400,
    'AOM.0400',
    'seed Table 5: metadata mandatory',
    /metadata/,
  ],
  [
    'clear: event_severity in lower case',
    { body: { events: [clear({ metadata: { ...metadata, event_severity: 'major' } })] }, clear: true },
    400,
    'AOM.0400',
    'seed Table 5: Critical, Major, Minor, Info',
    /event_severity/,
  ],
  // The gateway
  [
    'report signed with a wrong secret',
    { body: { events: [report()] }, secret: 'wrong' },
    401,
    'APIGW.0301',
    'sheet + APIG: bad signature',
  ],
  [
    'clear whose body changed after signing',
    { body: { events: [clear()] }, clear: true, tamper: (t) => t.replace('Major', 'Minor') },
    401,
    'APIGW.0301',
    'sheet + APIG: bad signature',
  ],
  [
    'report signed 20 minutes late',
    { body: { events: [report()] }, dateOffsetMs: -20 * 60_000 },
    401,
    'APIGW.0301',
    'sheet: more than 15 minutes off is refused',
    /expired/,
  ],
  [
    'report signed 20 minutes ahead',
    { body: { events: [report()] }, dateOffsetMs: 20 * 60_000 },
    401,
    'APIGW.0301',
    'sheet: more than 15 minutes off is refused',
    /expired/,
  ],
  ['report with POST', { body: { events: [report()] }, method: 'POST' }, 404, 'APIGW.0101', 'seed URI (PUT) + APIG: no such API'],
];

describe('AOM PushEvents negative matrix', () => {
  it('has at least 15 rows, for reports and for clears', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
    expect(rows.filter(([, c]) => c.clear).length).toBeGreaterThanOrEqual(4);
  });

  it.each(rows)('%s → %i %s (%s)', async (_name, request, status, code, _source, message) => {
    const res = await call(request);
    expect(res.status).toBe(status);
    const body = await readJson(res);
    expect(body.error_code).toBe(code);
    if (message) expect(body.error_msg).toMatch(message);
    if (code.startsWith('AOM.'))
      expect(body).toMatchObject({ error_type: 'SC_BAD_REQUEST', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(res.headers.get('date')).not.toBeNull();
    expect(emu.events('aom')).toEqual([]);
    expect(emu.alarms().active).toEqual([]);
  });

  it('the same requests, repaired, are accepted (204): the refusals were for the documented reason', async () => {
    expect((await call({ body: { events: [report({ id: 'alarm-1' })] } })).status).toBe(204);
    expect((await call({ body: { events: [clear()] }, clear: true })).status).toBe(204);
    expect(emu.alarms().cleared).toEqual([expect.objectContaining({ id: 'alarm-1', cleared_by: 'clear' })]);
  });
});
