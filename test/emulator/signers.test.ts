import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { canonicalRequest, signHuaweiRequest, sha256Hex } from '../../src/sinks/huawei/signer.ts';
import { verifyHuaweiRequest } from '../../src/emulator/huawei-verify.ts';
import { acs3CanonicalRequest, rpcV1Signature, signAcs3, signRpcV1 } from '../../src/sinks/alibaba/signer.ts';
import { verifyAcs3, verifyRpcV1 } from '../../src/emulator/alibaba-signature.ts';
import { NodeSha256, sigV4CanonicalRequest, sigV4Signature, verifySigV4 } from '../../src/emulator/sigv4.ts';
import { AKSKSigner, OpenApiUtil } from './vendor-clients.ts';

describe('Huawei SDK-HMAC-SHA256 signer', () => {
  const vector = {
    ak: 'QTWAOYTTINDUT2QVKYUC',
    sk: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc',
    url: 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    date: new Date('2019-11-15T03:36:55Z'),
    signature: '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
  };

  it('reproduces the published test vector', () => {
    const headers = signHuaweiRequest({
      method: 'GET',
      url: vector.url,
      headers: { 'content-type': 'application/json' },
      ak: vector.ak,
      sk: vector.sk,
      date: vector.date,
    });
    expect(headers['X-Sdk-Date']).toBe('20191115T033655Z');
    expect(headers.host).toBe('service.region.example.com');
    expect(headers.Authorization).toBe(
      `SDK-HMAC-SHA256 Access=${vector.ak}, SignedHeaders=content-type;host;x-sdk-date, Signature=${vector.signature}`,
    );
  });

  it('signs a POST with a body exactly like the vendor AKSKSigner', () => {
    const body = [{ event_name: 'diskFull', event_source: 'shop.disk', time: 1700000000000, detail: { content: 'ü 100%' } }];
    const url = 'https://ces.cn-north-4.myhuaweicloud.com/V1.0/0123/events';
    const vendor = AKSKSigner.sign(
      { endpoint: url, method: 'POST', headers: { 'content-type': 'application/json', 'X-Sdk-Date': '20240102T030405Z' }, data: body },
      { getAk: () => 'AK', getSk: () => 'SK' },
    );
    const ours = signHuaweiRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'X-Sdk-Date': '20240102T030405Z' },
      body: JSON.stringify(body),
      ak: 'AK',
      sk: 'SK',
    });
    expect(ours.Authorization).toBe(vendor.Authorization);
  });

  it('verifies what it signs and rejects a changed body, secret or stale date', () => {
    const body = Buffer.from('{"events":[]}');
    const now = Date.parse('2024-01-02T03:04:05Z');
    const headers = signHuaweiRequest({
      method: 'PUT',
      url: 'http://127.0.0.1:1/v2/p/push/events?action=clear',
      headers: { 'content-type': 'application/json' },
      body,
      ak: 'AK',
      sk: 'SK',
      date: new Date(now),
    });
    const received = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const base = {
      method: 'PUT',
      path: '/v2/p/push/events',
      query: [['action', 'clear']] as Array<[string, string]>,
      headers: received,
      body,
      secretFor: (ak: string) => (ak === 'AK' ? 'SK' : undefined),
      now,
    };
    expect(verifyHuaweiRequest(base)).toEqual({ ok: true, ak: 'AK' });
    expect(verifyHuaweiRequest({ ...base, body: Buffer.from('{"events":[1]}') })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyHuaweiRequest({ ...base, secretFor: () => 'SK2' })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyHuaweiRequest({ ...base, secretFor: () => undefined })).toMatchObject({ ok: false, reason: 'unknown_key' });
    expect(verifyHuaweiRequest({ ...base, now: now + 16 * 60_000 })).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifyHuaweiRequest({ ...base, headers: { ...received, authorization: undefined } })).toMatchObject({
      ok: false,
      reason: 'missing',
    });
  });

  it('builds the canonical request with a trailing slash on the URI', () => {
    const text = canonicalRequest({
      method: 'get',
      path: '/v1/x',
      query: [],
      headers: { host: 'h' },
      signedHeaders: ['host'],
      payloadHash: sha256Hex(''),
    });
    expect(text.split('\n').slice(0, 2)).toEqual(['GET', '/v1/x/']);
  });
});

describe('Alibaba signers', () => {
  it('RPC v1 reproduces the published test vector', () => {
    const params = signRpcV1({
      method: 'GET',
      params: { Action: 'DescribeRegions', Version: '2014-05-26' },
      accessKeyId: 'testid',
      accessKeySecret: 'testsecret',
      nonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      date: new Date('2016-02-23T12:46:24Z'),
      format: 'XML',
    });
    expect(params.Signature).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('RPC v1 equals openapi-util getRPCSignature, including reserved characters', () => {
    const params = {
      Action: 'PutCustomEvent',
      Version: '2019-01-01',
      'EventInfo.1.EventName': 'Payment Failed',
      'EventInfo.1.Content': "50% of *orders* (and 'quotes') ~ failed! ü",
      Timestamp: '2024-01-02T03:04:05Z',
    };
    expect(rpcV1Signature('POST', params, 'secret')).toBe(OpenApiUtil.getRPCSignature(params, 'POST', 'secret'));
  });

  it('RPC v1 verify accepts its own signature and rejects tampering, unknown keys and old timestamps', () => {
    const now = Date.parse('2024-01-02T03:04:05Z');
    const signed = signRpcV1({
      method: 'POST',
      params: { Action: 'PutCustomEvent', Version: '2019-01-01' },
      accessKeyId: 'ak',
      accessKeySecret: 's',
      date: new Date(now),
    });
    const secretFor = (ak: string) => (ak === 'ak' ? 's' : undefined);
    expect(verifyRpcV1({ method: 'POST', params: signed, secretFor, now })).toMatchObject({ ok: true });
    expect(verifyRpcV1({ method: 'GET', params: signed, secretFor, now })).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(verifyRpcV1({ method: 'POST', params: { ...signed, Version: '2019-01-02' }, secretFor, now })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(verifyRpcV1({ method: 'POST', params: { ...signed, AccessKeyId: 'other' }, secretFor, now })).toMatchObject({
      code: 'InvalidAccessKeyId.NotFound',
    });
    expect(verifyRpcV1({ method: 'POST', params: signed, secretFor, now: now + 16 * 60_000 })).toMatchObject({
      code: 'InvalidTimeStamp.Expired',
    });
  });

  it('ACS3 Authorization equals openapi-util getAuthorization', () => {
    const body = 'EventInfo.1.EventName=a&EventInfo.1.Content=b%20c';
    const headers = signAcs3({
      method: 'POST',
      url: 'https://metrics.cn-hangzhou.aliyuncs.com/?Z=1&A=x%20y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      action: 'PutCustomEvent',
      version: '2019-01-01',
      accessKeyId: 'ak',
      accessKeySecret: 'secret',
      nonce: 'n-1',
      date: new Date('2024-01-02T03:04:05Z'),
    });
    const { authorization, ...unsigned } = headers;
    const vendor = OpenApiUtil.getAuthorization(
      { pathname: '/', method: 'POST', query: { Z: '1', A: 'x y' }, headers: unsigned },
      'ACS3-HMAC-SHA256',
      unsigned['x-acs-content-sha256']!,
      'ak',
      'secret',
    );
    expect(authorization).toBe(vendor);
    const now = Date.parse('2024-01-02T03:04:05Z');
    const verify = (b: string, secret = 'secret') =>
      verifyAcs3({
        method: 'POST',
        path: '/',
        query: [
          ['Z', '1'],
          ['A', 'x y'],
        ],
        headers,
        body: Buffer.from(b),
        secretFor: () => secret,
        now,
      });
    expect(verify(body)).toMatchObject({ ok: true, accessKeyId: 'ak', nonce: 'n-1' });
    expect(verify(`${body}d`)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verify(body, 'other')).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(acs3CanonicalRequest({ method: 'post', path: '/', query: [], headers: {}, signedHeaders: [], payloadHash: 'h' })).toBe(
      'POST\n/\n\n\n\nh',
    );
  });
});

describe('AWS SigV4 verification', () => {
  // The public aws-sig-v4 test suite's get-vanilla case.
  const vanilla = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  };

  it('get-vanilla through @smithy/signature-v4 and through the emulator verifier', async () => {
    const signer = new SignatureV4({
      credentials: vanilla,
      region: 'us-east-1',
      service: 'service',
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const signed = await signer.sign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: 'example.amazonaws.com',
        path: '/',
        query: {},
        headers: { host: 'example.amazonaws.com' },
      },
      { signingDate: new Date('2015-08-30T12:36:00Z') },
    );
    expect(signed.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${vanilla.signature}`,
    );
    const canonical = sigV4CanonicalRequest({
      method: 'GET',
      path: '/',
      query: [],
      headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      signedHeaders: ['host', 'x-amz-date'],
      payloadHash: sha256Hex(''),
    });
    expect(sigV4Signature(vanilla.secretAccessKey, '20150830T123600Z', 'us-east-1', 'service', canonical)).toBe(vanilla.signature);

    const request = { method: 'GET', path: '/', query: [], headers: signed.headers, body: '' };
    const expectation = { ...vanilla, region: 'us-east-1', service: 'service', now: Date.parse('2015-08-30T12:36:00Z') };
    expect(verifySigV4(request, expectation)).toEqual({ ok: true });
    expect(verifySigV4(request, { ...expectation, secretAccessKey: 'x' })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifySigV4({ ...request, body: 'x' }, expectation)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifySigV4(request, { ...expectation, service: 'events' })).toMatchObject({ ok: false, reason: 'scope' });
    expect(verifySigV4(request, { ...expectation, region: 'eu-west-1' })).toMatchObject({ ok: false, reason: 'scope' });
    expect(verifySigV4(request, { ...expectation, now: Date.parse('2015-08-30T12:52:00Z') })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });
});
