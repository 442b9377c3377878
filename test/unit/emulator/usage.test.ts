import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import {
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetKeyLastUsageCommand,
  type KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { EmulatorControl } from '../../emulator/control';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith } from './helpers';

const trackingStart = Date.UTC(2025, 10, 1);

describe('KMS emulator: GetKeyLastUsage and CloudTrail LookupEvents', () => {
  let kms: Emulator;
  let client: KMSClient;
  let trail: CloudTrailClient;
  const newKey = async (): Promise<{ id: string; arn: string }> => {
    const meta = (await client.send(new CreateKeyCommand({}))).KeyMetadata!;
    return { id: meta.KeyId!, arn: meta.Arn! };
  };
  const lookup = async (input: LookupEventsCommandInput) => {
    // LookupEvents allows 2 calls a second: the tests pace themselves as a client must.
    await new Promise((r) => setTimeout(r, 520));
    return trail.send(new LookupEventsCommand(input));
  };

  before(async () => {
    kms = await startEmulator({
      port: 0,
      credentials: [
        { accessKeyId: 'test', secretAccessKey: 'test' },
        { accessKeyId: 'AKIDBATCH', secretAccessKey: 'batch-secret', principal: 'batch-job' },
      ],
    });
    client = kmsClient(kms);
    trail = new CloudTrailClient({
      endpoint: kms.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  after(async () => {
    client.destroy();
    trail.destroy();
    await kms.close();
  });
  beforeEach(() => kms.reset());

  it('answers an empty KeyLastUsage for a new key, then the last cryptographic use', async () => {
    const key = await newKey();
    const fresh = await client.send(new GetKeyLastUsageCommand({ KeyId: key.id }));
    assert.deepEqual(fresh.KeyLastUsage ?? {}, {});
    assert.equal(fresh.KeyId, key.arn);
    // A key made now: tracking starts at its creation.
    assert.equal(fresh.TrackingStartDate?.getTime(), fresh.KeyCreationDate?.getTime());
    assert.ok(fresh.KeyCreationDate!.getTime() > trackingStart);

    const before = Date.now();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') }));
    const afterEncrypt = await client.send(new GetKeyLastUsageCommand({ KeyId: key.arn }));
    assert.equal(afterEncrypt.KeyLastUsage?.Operation, 'Encrypt');
    assert.ok(afterEncrypt.KeyLastUsage.Timestamp!.getTime() >= before - 1000);
    assert.match(afterEncrypt.KeyLastUsage?.CloudTrailEventId ?? '', /^[0-9a-f-]{36}$/);

    await client.send(new DecryptCommand({ CiphertextBlob }));
    assert.equal((await client.send(new GetKeyLastUsageCommand({ KeyId: key.id }))).KeyLastUsage?.Operation, 'Decrypt');
    // A failed use is not a use.
    await client.send(new DisableKeyCommand({ KeyId: key.id }));
    await rejectsWith(client.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') })), 'DisabledException');
    assert.equal((await client.send(new GetKeyLastUsageCommand({ KeyId: key.id }))).KeyLastUsage?.Operation, 'Decrypt');
  });

  it('records ReEncrypt for both keys, refuses aliases, and reports the tracking start of older keys', async () => {
    const a = await newKey();
    const b = await newKey();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: a.id, Plaintext: Buffer.from('x') }));
    await client.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: b.id }));
    assert.equal((await client.send(new GetKeyLastUsageCommand({ KeyId: a.id }))).KeyLastUsage?.Operation, 'ReEncrypt');
    assert.equal((await client.send(new GetKeyLastUsageCommand({ KeyId: b.id }))).KeyLastUsage?.Operation, 'ReEncrypt');
    await rejectsWith(client.send(new GetKeyLastUsageCommand({ KeyId: 'alias/nothing' })), 'NotFoundException');

    const seeded = kms.seed({ keys: [{ id: '11111111-2222-3333-4444-555555555555', creationDate: '2024-01-02T00:00:00Z' }] });
    assert.ok(seeded);
    const old = await client.send(new GetKeyLastUsageCommand({ KeyId: '11111111-2222-3333-4444-555555555555' }));
    assert.equal(old.TrackingStartDate?.getTime(), trackingStart);
    assert.equal(old.KeyCreationDate?.toISOString(), '2024-01-02T00:00:00.000Z');
  });

  it('records every call as a CloudTrail event and answers LookupEvents by resource name', async () => {
    const key = await newKey();
    const batch = kmsClient(kms, 'us-east-1', { credentials: { accessKeyId: 'AKIDBATCH', secretAccessKey: 'batch-secret' } });
    await client.send(
      new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('top secret plaintext'), EncryptionContext: { app: 'web' } }),
    );
    await batch.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') }));
    await batch.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('y') }));
    await client.send(new DisableKeyCommand({ KeyId: key.id }));
    await rejectsWith(batch.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('z') })), 'DisabledException');
    batch.destroy();

    const out = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: key.arn }] });
    const names = (out.Events ?? []).map((e) => `${e.EventName}:${e.Username}`);
    // Newest first; CreateKey names the key in its answer (KeyMetadata.Arn).
    assert.deepEqual(names, [
      'Encrypt:batch-job',
      'DisableKey:test',
      'Encrypt:batch-job',
      'Encrypt:batch-job',
      'Encrypt:test',
      'CreateKey:test',
    ]);
    const failed = JSON.parse(out.Events![0].CloudTrailEvent!) as Record<string, unknown>;
    assert.equal(failed.errorCode, 'DisabledException');
    assert.equal((failed.userIdentity as { arn: string }).arn, `arn:aws:iam::${kms.accountId}:user/batch-job`);
    assert.equal(failed.sourceIPAddress, '127.0.0.1');
    const first = JSON.parse(out.Events![4].CloudTrailEvent!) as Record<string, unknown>;
    assert.deepEqual(first.requestParameters, { keyId: key.id, encryptionContext: { app: 'web' } });
    assert.deepEqual(first.resources, [{ accountId: kms.accountId, type: 'AWS::KMS::Key', ARN: key.arn }]);
    assert.ok(
      !out.Events!.some((e) => e.CloudTrailEvent!.includes(Buffer.from('top secret plaintext').toString('base64'))),
      'no plaintext in events',
    );
  });

  it('pages with NextToken, filters by time, validates, and throttles beyond 2 calls a second', async () => {
    const key = await newKey();
    const control = new EmulatorControl(kms.url);
    const day = 24 * 60 * 60 * 1000;
    const now = Date.now();
    await control.addCloudTrailEvents(
      Array.from({ length: 7 }, (_, i) => ({ eventName: 'Decrypt', time: now - (i + 1) * day, keyArn: key.arn, principal: 'old-app' })),
    );
    await control.addCloudTrailEvents([{ eventName: 'Decrypt', time: now - 120 * day, keyArn: key.arn }]);
    const attrs = [{ AttributeKey: 'ResourceName' as const, AttributeValue: key.arn }];
    const page1 = await lookup({ LookupAttributes: attrs, MaxResults: 5 });
    assert.equal(page1.Events?.length, 5);
    assert.ok(page1.NextToken);
    const page2 = await lookup({ LookupAttributes: attrs, MaxResults: 5, NextToken: page1.NextToken });
    // 1 CreateKey + 7 older Decrypts; the one of 120 days ago is past CloudTrail's 90 days.
    assert.equal(page2.Events?.length, 3);
    assert.equal(page2.NextToken, undefined);
    const ids = new Set([...page1.Events, ...page2.Events].map((e) => e.EventId));
    assert.equal(ids.size, 8);
    const window = await lookup({ LookupAttributes: attrs, StartTime: new Date(now - 3.5 * day), EndTime: new Date(now - 0.5 * day) });
    assert.equal(window.Events?.length, 3);
    await new Promise((r) => setTimeout(r, 520));
    await rejectsWith(trail.send(new LookupEventsCommand({ LookupAttributes: attrs, NextToken: 'bogus' })), 'InvalidNextTokenException');
    await new Promise((r) => setTimeout(r, 520));
    await rejectsWith(trail.send(new LookupEventsCommand({ MaxResults: 51 })), 'InvalidMaxResultsException');
    await new Promise((r) => setTimeout(r, 1100));
    await rejectsWith(
      trail.send(new LookupEventsCommand({ StartTime: new Date(now), EndTime: new Date(now - day) })),
      'InvalidTimeRangeException',
    );
    await trail.send(new LookupEventsCommand({}));
    await rejectsWith(trail.send(new LookupEventsCommand({})), 'ThrottlingException');
    // The lookups are CloudTrail events themselves (throttled ones with their error).
    await new Promise((r) => setTimeout(r, 1100));
    const own = await trail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'cloudtrail.amazonaws.com' }],
        MaxResults: 50,
      }),
    );
    assert.ok((own.Events ?? []).some((e) => JSON.parse(e.CloudTrailEvent!).errorCode === 'ThrottlingException'));
    assert.ok((own.Events ?? []).every((e) => e.EventName === 'LookupEvents'));
  });
});
