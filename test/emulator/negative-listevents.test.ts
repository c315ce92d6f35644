import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';
import { type CesCall, cesCall, expectCesRefusal } from './huawei-call.ts';
import { AKSKSigner, readJson, useEmulator } from './vendor-clients.ts';

/**
 * ListEvents refuses what Cloud Eye documents it refuses. Signed with Huawei's AKSKSigner unless
 * the row is about authentication; each row names its source:
 * - seed: ../shared/seeds/004 (ListEvents reference: event_type / sub_event_type enums and which
 *   sub-types go with which type, event_name 1–64, limit (0, 100], start ≥ 0, from < to; 400);
 * - sheet: PROVIDERS.md (ces.0014 validation; APIGW.0301 401; 15 minutes of clock tolerance);
 * - gw: Huawei API Gateway FAQs (see negative-createevents.test.ts).
 */
let emu: RunningEmulator;
useEmulator((e) => (emu = e));

const HW = EMULATOR_CREDENTIALS.huawei;
const list = (query: Record<string, string>, extra: Partial<CesCall> = {}): CesCall => ({ method: 'GET', query, ...extra });

type Row = [what: string, call: CesCall, status: number, code: string, message: RegExp, source: string];
const v1 = 'ces.0014';
const rows: Row[] = [
  ['event_type EVENT.OTHER', list({ event_type: 'EVENT.OTHER' }), 400, v1, /event_type must be one of/, 'seed (enum)'],
  ['sub_event_type SUB_EVENT.X', list({ sub_event_type: 'SUB_EVENT.X' }), 400, v1, /sub_event_type must be one of/, 'seed (enum)'],
  [
    'a system event of sub-type SUB_EVENT.CUSTOM',
    list({ event_type: 'EVENT.SYS', sub_event_type: 'SUB_EVENT.CUSTOM' }),
    400,
    v1,
    /does not go with/,
    'seed (system: OPS or PLAN)',
  ],
  [
    'a custom event of sub-type SUB_EVENT.OPS',
    list({ event_type: 'EVENT.CUSTOM', sub_event_type: 'SUB_EVENT.OPS' }),
    400,
    v1,
    /does not go with/,
    'seed (custom: CUSTOM)',
  ],
  ['limit 0', list({ limit: '0' }), 400, v1, /limit must be in \(0, 100\]/, 'seed ((0,100])'],
  ['limit 101', list({ limit: '101' }), 400, v1, /limit must be in \(0, 100\]/, 'seed ((0,100])'],
  ['limit "ten"', list({ limit: 'ten' }), 400, v1, /limit must be a non-negative integer/, 'seed (Integer)'],
  ['start -1', list({ start: '-1' }), 400, v1, /start must be a non-negative integer/, 'seed (≥ 0)'],
  ['start 1.5', list({ start: '1.5' }), 400, v1, /start must be a non-negative integer/, 'seed (Integer)'],
  ['from "yesterday"', list({ from: 'yesterday' }), 400, v1, /from must be a non-negative integer/, 'seed (ms timestamp)'],
  ['to -5', list({ to: '-5' }), 400, v1, /to must be a non-negative integer/, 'seed (ms timestamp)'],
  ['from equal to to', list({ from: '1700000000000', to: '1700000000000' }), 400, v1, /from must be earlier than to/, 'seed (from < to)'],
  ['from after to', list({ from: '1700000000001', to: '1700000000000' }), 400, v1, /from must be earlier than to/, 'seed (from < to)'],
  ['an empty event_name', list({ event_name: '' }), 400, v1, /event_name must have 1 to 64 characters/, 'seed (1 to 64)'],
  [
    'event_name of 65 characters',
    list({ event_name: 'e'.repeat(65) }),
    400,
    v1,
    /event_name must have 1 to 64 characters/,
    'seed (1 to 64)',
  ],
  ['a project id of 65 characters', list({}, { path: `/V1.0/${'p'.repeat(65)}/events` }), 400, v1, /project_id/, 'seed (1 to 64)'],
  ['a wrong secret', list({}, { sk: 'wrong' }), 401, 'APIGW.0301', /verify aksk signature fail/, 'sheet, gw'],
  [
    'a query changed after signing',
    list({ limit: '5' }, { path: `/V1.0/${HW.projectId}/events` }),
    401,
    'APIGW.0301',
    /verify aksk signature fail/,
    'sheet, gw',
  ],
  [
    'signed 16 minutes behind the gateway',
    list({}, { clockOffsetMs: -16 * 60_000 }),
    401,
    'APIGW.0301',
    /signature expired/,
    'sheet (15 min), gw (sis_04_0087)',
  ],
  ['no credentials', list({}, { anonymous: true }), 401, 'APIGW.0301', /Authorization not found/, 'gw'],
  ['a wrong X-Auth-Token', list({}, { token: 'not-a-token' }), 401, 'APIGW.0301', /decrypt token fail/, 'gw (ocr_01_0063)'],
];

describe('ListEvents negative matrix (AKSKSigner)', () => {
  it('has at least 15 rows, each naming its source', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const r of rows) expect(r[5]).not.toBe('');
  });

  it.each(rows)('%s → %i %s', async (what, call, status, code, message) => {
    // "changed after signing": sign one query, send another.
    const res = what === 'a query changed after signing' ? await tamperedQuery(call) : await cesCall(emu.url, call);
    await expectCesRefusal(res, status, code, message);
  });

  it('lists SUB_EVENT.OPS when no sub-type is named (control: the query is valid, custom events are not listed)', async () => {
    const time = Date.now();
    const post = await cesCall(emu.url, {
      body: [{ event_name: 'OrderFailed', event_source: 'shop.orders', time, detail: { sub_event_type: 'SUB_EVENT.CUSTOM' } }],
    });
    expect(post.status).toBe(201);
    expect(await readJson(await cesCall(emu.url, list({})))).toEqual({ events: [], meta_data: { total: 0 } });
    const custom = await readJson(await cesCall(emu.url, list({ sub_event_type: 'SUB_EVENT.CUSTOM' })));
    expect(custom.meta_data.total).toBe(1);
  });
});

/** Signs `limit=5` and sends `limit=50`. */
async function tamperedQuery(call: CesCall): Promise<Response> {
  const path = call.path ?? `/V1.0/${HW.projectId}/events`;
  const signed = AKSKSigner.sign(
    { endpoint: `${emu.url}${path}`, method: 'GET', headers: { 'content-type': 'application/json' }, queryParams: call.query ?? {} },
    { getAk: () => HW.ak, getSk: () => HW.sk },
  );
  const { host: _host, ...headers } = signed;
  return fetch(`${emu.url}${path}?limit=50`, { method: 'GET', headers });
}
