import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import { type CesCall, cesCall, expectCesRefusal } from './huawei-call.ts';
import { readJson, useEmulator } from './vendor-clients.ts';

/**
 * CreateEvents refuses what Cloud Eye documents it refuses. Every request is signed with Huawei's
 * AKSKSigner (@huaweicloud/huaweicloud-sdk-core) unless the row is about authentication, and each
 * row names the source of its answer:
 * - seed: ../shared/seeds/001 (CreateEvents reference: field ranges, 400 Bad Request, window
 *   [now − 1h + 10 s, now + 10 min − 10 s], group_id "must be valid");
 * - sdk: huaweicloud-sdk-go-v3 services/ces/v1/model/model_event_item_detail.go (group id must
 *   exist; resource_name letters incl. Chinese; event_user may contain /);
 * - sheet: PROVIDERS.md (errors `{http_code, message: {details, code}}`, ces.0014 validation;
 *   APIGW.0301 401 for a bad signature; 15 minutes of clock tolerance);
 * - gw: Huawei API Gateway FAQs: "Incorrect IAM authentication information: verify aksk signature
 *   fail" / "decrypt token fail" (APIG.0301, e.g. support.huaweicloud.com ocr_01_0063),
 *   "calc ak sk signature fail:signature expired" (sis_04_0087), APIGW.0101 for no such API.
 */
let emu: RunningEmulator;
useEmulator((e) => (emu = e));

const now = () => Date.now();
const ev = (o: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) => ({
  event_name: 'systemInvaded',
  event_source: 'financial.System',
  time: now(),
  detail: {
    content: 'The financial system was invaded',
    group_id: 'rg15221211517051YWWkEnVd',
    resource_id: '1234567890sjgggad',
    resource_name: 'ecs001',
    event_state: 'normal',
    event_level: 'Major',
    event_user: 'xiaokong',
    ...detail,
  },
  ...o,
});
const withoutKey = (key: string) => {
  const e: Record<string, unknown> = ev();
  delete e[key];
  return e;
};

type Row = [what: string, call: () => CesCall, status: number, code: string, message: RegExp, source: string];
const v1 = 'ces.0014';
const rows: Row[] = [
  ['a body that is not JSON', () => ({ raw: '[{"event_name":' }), 400, v1, /not valid JSON/, 'seed (array body), sheet'],
  ['an object instead of an array', () => ({ body: ev() }), 400, v1, /non-empty array/, 'seed ([items] array)'],
  ['an empty array', () => ({ body: [] }), 400, v1, /non-empty array/, 'seed ([items] mandatory)'],
  ['an entry that is not an object', () => ({ body: ['event'] }), 400, v1, /must be an object/, 'seed'],
  ['no event_name', () => ({ body: [withoutKey('event_name')] }), 400, v1, /event_name/, 'seed (mandatory)'],
  [
    'event_name starting with a digit',
    () => ({ body: [ev({ event_name: '9lives' })] }),
    400,
    v1,
    /\[0\]\.event_name "9lives" is invalid/,
    'seed (starts with a letter)',
  ],
  ['event_name of 65 characters', () => ({ body: [ev({ event_name: `a${'b'.repeat(64)}` })] }), 400, v1, /event_name/, 'seed (1 to 64)'],
  [
    'event_source without a dot',
    () => ({ body: [ev({ event_source: 'financial' })] }),
    400,
    v1,
    /event_source "financial"/,
    'seed (service.item)',
  ],
  [
    'event_source of 33 characters',
    () => ({ body: [ev({ event_source: `a.${'b'.repeat(31)}` })] }),
    400,
    v1,
    /event_source/,
    'seed (3 to 32)',
  ],
  ['no time', () => ({ body: [withoutKey('time')] }), 400, v1, /time is required/, 'seed (mandatory Long)'],
  [
    'time as text',
    () => ({ body: [ev({ time: String(now()) })] }),
    400,
    v1,
    /time is required and must be epoch milliseconds/,
    'seed (Long)',
  ],
  [
    'time an hour and a minute old',
    () => ({ body: [ev({ time: now() - 3_660_000 })] }),
    400,
    v1,
    /\[0\]\.time .* in the past/,
    'seed (now − 1h + 10 s)',
  ],
  [
    'time ten minutes ahead',
    () => ({ body: [ev({ time: now() + 600_000 })] }),
    400,
    v1,
    /\[0\]\.time .* in the future/,
    'seed (now + 10 min − 10 s)',
  ],
  ['no detail', () => ({ body: [withoutKey('detail')] }), 400, v1, /detail is required/, 'seed (mandatory)'],
  ['content of 4097 characters', () => ({ body: [ev({}, { content: 'x'.repeat(4097) })] }), 400, v1, /detail\.content/, 'seed ([0,4096])'],
  [
    'a group_id that does not exist',
    () => ({ body: [ev({}, { group_id: 'rg000000000000000000000x' })] }),
    400,
    v1,
    /detail\.group_id "rg000000000000000000000x" does not exist/,
    'seed ("must be valid"), sdk (must exist)',
  ],
  [
    'a group_id of 23 characters',
    () => ({ body: [ev({}, { group_id: 'rg1522121151705YWWkEnVd' })] }),
    400,
    v1,
    /detail\.group_id/,
    'seed (24 characters)',
  ],
  [
    'resource_id with a slash',
    () => ({ body: [ev({}, { resource_id: 'order/1' })] }),
    400,
    v1,
    /detail\.resource_id "order\/1"/,
    'seed ([A-Za-z0-9_:-])',
  ],
  [
    'resource_id of 129 characters',
    () => ({ body: [ev({}, { resource_id: 'r'.repeat(129) })] }),
    400,
    v1,
    /detail\.resource_id/,
    'seed (≤ 128)',
  ],
  [
    'resource_name with #',
    () => ({ body: [ev({}, { resource_name: 'ecs#1' })] }),
    400,
    v1,
    /detail\.resource_name/,
    'seed (letters, digits, @ _ - .), sdk',
  ],
  [
    'event_user with #',
    () => ({ body: [ev({}, { event_user: 'ops#1' })] }),
    400,
    v1,
    /detail\.event_user/,
    'seed (letters, digits, _ - space), sdk (/)',
  ],
  [
    'event_user of 65 characters',
    () => ({ body: [ev({}, { event_user: 'u'.repeat(65) })] }),
    400,
    v1,
    /detail\.event_user/,
    'seed (0 to 64)',
  ],
  [
    'event_state "ok"',
    () => ({ body: [ev({}, { event_state: 'ok' })] }),
    400,
    v1,
    /detail\.event_state "ok" must be one of normal, warning, incident/,
    'seed (enum)',
  ],
  [
    'event_level "major"',
    () => ({ body: [ev({}, { event_level: 'major' })] }),
    400,
    v1,
    /detail\.event_level "major"/,
    'seed (enum, case-sensitive)',
  ],
  [
    'event_type EVENT.SYS',
    () => ({ body: [ev({}, { event_type: 'EVENT.SYS' })] }),
    400,
    v1,
    /detail\.event_type "EVENT.SYS" cannot be reported/,
    'seed (only EVENT.CUSTOM)',
  ],
  [
    'sub_event_type SUB_EVENT.X',
    () => ({ body: [ev({}, { sub_event_type: 'SUB_EVENT.X' })] }),
    400,
    v1,
    /detail\.sub_event_type/,
    'seed (enum)',
  ],
  [
    'five dimensions',
    () => ({ body: [ev({}, { dimensions: [1, 2, 3, 4, 5].map((i) => ({ name: `d${i}`, value: 'v' })) })] }),
    400,
    v1,
    /at most 4/,
    'seed (at most four)',
  ],
  [
    'dimension name k8s.node',
    () => ({ body: [ev({}, { dimensions: [{ name: 'k8s.node', value: 'n1' }] })] }),
    400,
    v1,
    /dimensions\[0\]\.name "k8s.node"/,
    'seed (letters, digits, _ -)',
  ],
  [
    'dimension value of 257 characters',
    () => ({ body: [ev({}, { dimensions: [{ name: 'a', value: 'v'.repeat(257) }] })] }),
    400,
    v1,
    /dimensions\[0\]\.value/,
    'seed (1 to 256)',
  ],
  [
    'the second entry bad, the first good: all refused',
    () => ({ body: [ev(), ev({ event_name: '_x' })] }),
    400,
    v1,
    /^\[1\]\.event_name/,
    'sheet (all-or-nothing)',
  ],
  [
    'a project id of 65 characters',
    () => ({ path: `/V1.0/${'p'.repeat(65)}/events`, body: [ev()] }),
    400,
    v1,
    /project_id/,
    'seed (1 to 64)',
  ],
  ['a wrong secret', () => ({ body: [ev()], sk: 'wrong' }), 401, 'APIGW.0301', /verify aksk signature fail/, 'sheet, gw'],
  [
    'a body changed after signing',
    () => ({ body: [ev()], tamper: (t) => t.replace('invaded', 'INVADED') }),
    401,
    'APIGW.0301',
    /verify aksk signature fail/,
    'sheet, gw',
  ],
  ['an unknown AK', () => ({ body: [ev()], ak: 'NOSUCHAK' }), 401, 'APIGW.0301', /not exist/, 'gw'],
  [
    'signed 16 minutes behind the gateway',
    () => ({ body: [ev()], clockOffsetMs: -16 * 60_000 }),
    401,
    'APIGW.0301',
    /signature expired, signature time:\d{8}T\d{6}Z,server time:/,
    'sheet (15 min), gw (sis_04_0087)',
  ],
  [
    'signed 16 minutes ahead of the gateway',
    () => ({ body: [ev()], clockOffsetMs: 16 * 60_000 }),
    401,
    'APIGW.0301',
    /signature expired/,
    'sheet (15 min), gw',
  ],
  ['no credentials', () => ({ body: [ev()], anonymous: true }), 401, 'APIGW.0301', /Authorization not found/, 'gw'],
  ['a wrong X-Auth-Token', () => ({ body: [ev()], token: 'not-a-token' }), 401, 'APIGW.0301', /decrypt token fail/, 'gw (ocr_01_0063)'],
  ['DELETE on the events path', () => ({ method: 'DELETE' }), 404, 'APIGW.0101', /does not exist/, 'gw (no such API)'],
];

describe('CreateEvents negative matrix (AKSKSigner)', () => {
  it('has at least 15 rows, each naming its source', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const r of rows) expect(r[5]).not.toBe('');
  });

  it.each(rows)('%s → %i %s', async (_what, build, status, code, message) => {
    await expectCesRefusal(await cesCall(emu.url, build()), status, code, message);
    expect(emu.events('ces')).toHaveLength(0);
  });

  it('accepts the example request of the reference once its times are current (control)', async () => {
    const res = await cesCall(emu.url, {
      body: [ev({}, { resource_name: 'ecs@001.数据库', event_user: 'ops/alice smith' }), ev({ time: now() - 3_600_000 + 20_000 })],
    });
    expect(res.status).toBe(201);
    expect((await readJson(res)).map((e: { event_name: string }) => e.event_name)).toEqual(['systemInvaded', 'systemInvaded']);
  });
});
