import { describe, expect, it } from 'vitest';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { readJson, useEmulator } from './vendor-clients.ts';
import { EMULATOR_CREDENTIALS, type RunningEmulator } from '../../src/emulator/index.ts';

let emu: RunningEmulator;
const creds = EMULATOR_CREDENTIALS.aws;

function client(overrides: { secretAccessKey?: string; accessKeyId?: string; region?: string; systemClockOffset?: number } = {}) {
  return new EventBridgeClient({
    endpoint: emu.url,
    region: overrides.region ?? creds.region,
    credentials: {
      accessKeyId: overrides.accessKeyId ?? creds.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? creds.secretAccessKey,
    },
    maxAttempts: 1,
    ...(overrides.systemClockOffset !== undefined ? { systemClockOffset: overrides.systemClockOffset } : {}),
  });
}

const entry = (i = 0, extra: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'shop.payments',
  DetailType: 'PaymentFailed',
  Detail: JSON.stringify({ order: i }),
  Time: new Date(),
  Resources: ['arn:aws:ecs:us-east-1:1:task/x'],
  ...extra,
});

/** Sends and returns the SDK's error (name + HTTP status), failing if the call succeeded. */
async function sdkError(c: EventBridgeClient, entries: PutEventsRequestEntry[]) {
  try {
    await c.send(new PutEventsCommand({ Entries: entries }));
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

useEmulator((e) => (emu = e));

describe('PutEvents with the AWS SDK', () => {
  it('accepts a signed batch and returns an EventId per entry, stored in order', async () => {
    const out = await client().send(new PutEventsCommand({ Entries: [entry(1), entry(2)] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toHaveLength(2);
    const stored = emu.events('aws');
    expect(stored.map((e) => JSON.parse(e.event.Detail!))).toEqual([{ order: 1 }, { order: 2 }]);
    expect(stored.map((e) => e.event.EventId)).toEqual(out.Entries!.map((e) => e.EventId));
    expect(typeof stored[0]!.event.Time).toBe('number');
    await client().send(new PutEventsCommand({ Entries: [entry(3, { Time: undefined })] }));
    const stamped = emu.events('aws')[2]!;
    expect(stamped.event.Time).toBe(stamped.received_at / 1000);
    expect(emu.stats().aws).toMatchObject({ requests: 2, accepted: 3 });

    const http = await readJson(await fetch(`${emu.url}/_emulator/events?provider=aws`));
    expect(http.events).toHaveLength(3);
    expect(http.events[0].received_at).toBeGreaterThan(0);
  });

  it('rejects a wrong secret with InvalidSignatureException (400)', async () => {
    expect(await sdkError(client({ secretAccessKey: 'not-the-secret' }), [entry()])).toMatchObject({
      name: 'InvalidSignatureException',
      status: 400,
    });
    expect(emu.events('aws')).toHaveLength(0);
    expect(emu.stats().aws.rejected).toEqual({ InvalidSignatureException: 1 });
  });

  it('rejects an unknown access key with UnrecognizedClientException (400)', async () => {
    expect(await sdkError(client({ accessKeyId: 'AKIDUNKNOWN' }), [entry()])).toMatchObject({
      name: 'UnrecognizedClientException',
      status: 400,
    });
  });

  it('rejects a credential scoped to another region', async () => {
    expect(await sdkError(client({ region: 'eu-west-1' }), [entry()])).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
  });

  it('rejects a request signed more than 5 minutes off the server clock as AWS does: 400 InvalidSignatureException "Signature expired"', async () => {
    const behind = await sdkError(client({ systemClockOffset: -6 * 60_000 }), [entry()]);
    expect(behind).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    expect(behind.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    const ahead = await sdkError(client({ systemClockOffset: 6 * 60_000 }), [entry()]);
    expect(ahead.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than/);
    // 4 minutes off is within the tolerance.
    const ok = await client({ systemClockOffset: -4 * 60_000 }).send(new PutEventsCommand({ Entries: [entry()] }));
    expect(ok.FailedEntryCount).toBe(0);
  });

  it('surfaces injected per-entry failures inside a 200', async () => {
    emu.setFaults({ aws: { entry_failure: { every: 2, codes: ['ThrottlingException'] } } });
    const out = await client().send(new PutEventsCommand({ Entries: [entry(1), entry(2), entry(3), entry(4)] }));
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries![0]).toHaveProperty('EventId');
    expect(out.Entries![1]).toMatchObject({ ErrorCode: 'ThrottlingException' });
    expect(out.Entries![3]).toMatchObject({ ErrorCode: 'ThrottlingException' });
    expect(emu.events('aws').map((e) => JSON.parse(e.event.Detail!).order)).toEqual([1, 3]);
    expect(emu.stats().aws.rejected).toEqual({ ThrottlingException: 2 });

    emu.setFaults({ aws: { entry_failure: { first: 1, codes: ['InternalFailure'] } } });
    const next = await client().send(new PutEventsCommand({ Entries: [entry(5), entry(6)] }));
    expect(next.Entries!.map((e) => e.ErrorCode)).toEqual(['InternalFailure', undefined]);
  });

  it('throttles in AWS form: ThrottlingException with HTTP 400 and Retry-After', async () => {
    emu.setFaults({ aws: { throttle: { first: 1, retry_after: '2s' } } });
    expect(await sdkError(client(), [entry()])).toMatchObject({ name: 'ThrottlingException', status: 400 });
    const ok = await client().send(new PutEventsCommand({ Entries: [entry()] }));
    expect(ok.FailedEntryCount).toBe(0);
    expect(emu.stats().aws.throttled).toBe(1);
  });

  it('injects 500 InternalFailure and 503 ServiceUnavailable', async () => {
    emu.setFaults({ aws: { server_error: { first: 1 } } });
    expect(await sdkError(client(), [entry()])).toMatchObject({ name: 'InternalFailure', status: 500 });
    emu.setFaults({ aws: { server_error: { first: 1, status: 503 } } });
    expect(await sdkError(client(), [entry()])).toMatchObject({ name: 'ServiceUnavailable', status: 503 });
  });
});

describe('PutEvents validation', () => {
  it('rejects more than 10 entries with ValidationException', async () => {
    const e = await sdkError(
      client(),
      Array.from({ length: 11 }, (_, i) => entry(i)),
    );
    expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(e.message).toContain('less than or equal to 10');
  });

  it('rejects an empty Entries list', async () => {
    expect(await sdkError(client(), [])).toMatchObject({ name: 'ValidationException', status: 400 });
  });

  it('applies the entry-size rule to the whole request (1 MB by default in the aws partition)', async () => {
    // 14 (Time) + Source + DetailType + Detail + Resources per entry.
    const fixed = 14 + 'shop.payments'.length + 'PaymentFailed'.length + 'arn:aws:ecs:us-east-1:1:task/x'.length;
    const big = (bytes: number) => entry(0, { Detail: JSON.stringify({ p: 'x'.repeat(bytes - fixed - 8) }) });
    const exactly = big(512 * 1024);
    const ok = await client().send(new PutEventsCommand({ Entries: [exactly, exactly] }));
    expect(ok.FailedEntryCount).toBe(0);
    const e = await sdkError(client(), [exactly, exactly, entry()]);
    expect(e).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(e.message).toContain('over the limit');
  });

  it('fails entries missing Source, DetailType or Detail with InvalidArgument', async () => {
    const out = await client().send(
      new PutEventsCommand({
        Entries: [entry(1, { Source: undefined }), entry(2, { DetailType: undefined }), entry(3, { Detail: undefined }), entry(4)],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries!.slice(0, 3).map((e) => e.ErrorCode)).toEqual(['InvalidArgument', 'InvalidArgument', 'InvalidArgument']);
    expect(out.Entries![1]!.ErrorMessage).toContain('DetailType');
    expect(out.Entries![3]).toHaveProperty('EventId');
  });

  it('fails an entry whose Detail is not a JSON object with MalformedDetail', async () => {
    const out = await client().send(new PutEventsCommand({ Entries: [entry(1, { Detail: '[1,2]' }), entry(2, { Detail: 'not json' })] }));
    expect(out.Entries!.map((e) => e.ErrorCode)).toEqual(['MalformedDetail', 'MalformedDetail']);
  });

  it('fails a DetailType longer than 128 characters and an aws.* Source', async () => {
    const out = await client().send(
      new PutEventsCommand({ Entries: [entry(1, { DetailType: 'x'.repeat(129) }), entry(2, { Source: 'aws.ec2' })] }),
    );
    expect(out.Entries!.map((e) => e.ErrorCode)).toEqual(['InvalidArgument', 'NotAuthorizedForSourceException']);
  });

  it('answers an unknown operation and a missing signature in AWS error form', async () => {
    const unsigned = await fetch(emu.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: '{"Entries":[]}',
    });
    expect(unsigned.status).toBe(403);
    expect(await readJson(unsigned)).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });
});
