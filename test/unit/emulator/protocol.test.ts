import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, signedRequest, utf8 } from './helpers';

describe('KMS emulator: wire protocol and SigV4', () => {
  let kms: Emulator;
  before(async () => {
    kms = await startEmulator({
      port: 0,
      credentials: [
        { accessKeyId: 'test', secretAccessKey: 'test' },
        { accessKeyId: 'AKIAEXPIRED', secretAccessKey: 'old', expired: true },
      ],
    });
  });
  after(() => kms.close());

  it('listens on 127.0.0.1 and answers the SDK with the region of the signature in every ARN', async () => {
    assert.match(kms.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const east = await kmsClient(kms, 'us-east-1').send(new CreateKeyCommand({ Description: 'east' }));
    const west = await kmsClient(kms, 'eu-west-1').send(new CreateKeyCommand({ Description: 'west' }));
    assert.equal(east.KeyMetadata?.Arn, `arn:aws:kms:us-east-1:111122223333:key/${east.KeyMetadata?.KeyId}`);
    assert.equal(west.KeyMetadata?.Arn, `arn:aws:kms:eu-west-1:111122223333:key/${west.KeyMetadata?.KeyId}`);
    assert.equal(east.KeyMetadata?.AWSAccountId, '111122223333');
    assert.ok(east.KeyMetadata?.CreationDate instanceof Date);
    assert.ok(Math.abs(east.KeyMetadata.CreationDate.getTime() - Date.now()) < 10_000);
  });

  it('keeps keys region-scoped: a key of one region is not found from another', async () => {
    const west = await kmsClient(kms, 'eu-west-1').send(new CreateKeyCommand({}));
    const eastKeys = await kmsClient(kms, 'us-east-1').send(new ListKeysCommand({ Limit: 1000 }));
    assert.ok(!eastKeys.Keys?.some((k) => k.KeyId === west.KeyMetadata?.KeyId));
    await rejectsWith(kmsClient(kms, 'us-east-1').send(new DescribeKeyCommand({ KeyId: west.KeyMetadata!.KeyId })), 'NotFoundException', {
      message: new RegExp(`Key 'arn:aws:kms:us-east-1:111122223333:key/${west.KeyMetadata!.KeyId}' does not exist`),
    });
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const client = new KMSClient({
      endpoint: kms.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    await rejectsWith(client.send(new ListKeysCommand({})), 'UnrecognizedClientException', {
      message: /security token included in the request is invalid/,
    });
  });

  it('refuses a wrong secret with InvalidSignatureException', async () => {
    const client = new KMSClient({
      endpoint: kms.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' },
      maxAttempts: 1,
    });
    await rejectsWith(client.send(new ListKeysCommand({})), 'InvalidSignatureException', {
      message: /signature we calculated does not match/,
    });
  });

  it('refuses a body altered after signing, and a request without Authorization', async () => {
    const raw = await signedRequest(kms.url, 'TrentService.ListKeys', '{}');
    assert.equal(raw.status, 200);
    const tampered = await signedRequest(kms.url, 'TrentService.ListKeys', '{"Limit":5}', { sendBody: '{"Limit":6}' });
    assert.equal(tampered.status, 400);
    assert.equal(tampered.json().__type, 'InvalidSignatureException');
    const { hostname, port } = new URL(kms.url);
    const unsigned = await fetch(`http://${hostname}:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: '{}',
    });
    assert.equal(unsigned.status, 400);
    assert.equal(((await unsigned.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
  });

  it('answers ExpiredTokenException for credentials marked expired', async () => {
    const client = new KMSClient({
      endpoint: kms.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAEXPIRED', secretAccessKey: 'old' },
      maxAttempts: 1,
    });
    await rejectsWith(client.send(new ListKeysCommand({})), 'ExpiredTokenException');
  });

  it('answers an operation it does not implement with UnsupportedOperationException as KMS JSON', async () => {
    const raw = await signedRequest(kms.url, 'TrentService.MakeCoffee', '{}');
    assert.equal(raw.status, 400);
    assert.equal(raw.contentType, 'application/x-amz-json-1.1');
    const body = raw.json();
    assert.equal(body.__type, 'UnsupportedOperationException');
    assert.match(String(body.message), /MakeCoffee/);
  });

  it('checks the signature before the operation: an unsupported operation with a bad signature is InvalidSignatureException', async () => {
    const raw = await signedRequest(kms.url, 'TrentService.MakeCoffee', '{}', { secretAccessKey: 'nope' });
    assert.equal(raw.json().__type, 'InvalidSignatureException');
  });

  it('sends errors as {"__type", "message"} with status 400, and blobs as base64, timestamps as epoch seconds', async () => {
    const created = await signedRequest(kms.url, 'TrentService.CreateKey', '{}');
    const meta = created.json().KeyMetadata as Record<string, unknown>;
    assert.equal(typeof meta.CreationDate, 'number');
    assert.ok(Math.abs((meta.CreationDate as number) * 1000 - Date.now()) < 10_000, 'CreationDate is in seconds');
    const encrypted = await signedRequest(
      kms.url,
      'TrentService.Encrypt',
      JSON.stringify({ KeyId: meta.KeyId, Plaintext: Buffer.from('hi').toString('base64') }),
    );
    assert.match(String(encrypted.json().CiphertextBlob), /^AQICAHh[A-Za-z0-9+/]+=*$/);
    const missing = await signedRequest(kms.url, 'TrentService.DescribeKey', '{}');
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys(missing.json()).sort(), ['__type', 'message']);
    assert.equal(missing.json().__type, 'ValidationException');
    assert.match(String(missing.json().message), /Value null at 'keyId' failed to satisfy constraint: Member must not be null/);
    const garbage = await signedRequest(kms.url, 'TrentService.ListKeys', '{not json');
    assert.equal(garbage.json().__type, 'SerializationException');
  });

  it('reports validation errors in AWS wording through the SDK', async () => {
    const client = kmsClient(kms);
    await rejectsWith(client.send(new ListKeysCommand({ Limit: 1001 })), 'ValidationException', {
      message: /Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000/,
    });
    await rejectsWith(client.send(new ListKeysCommand({ Limit: 0 })), 'ValidationException', { message: /greater than or equal to 1/ });
    await rejectsWith(client.send(new EncryptCommand({ KeyId: 'not-a-key', Plaintext: utf8('x') })), 'NotFoundException', {
      message: /Invalid keyId 'not-a-key'/,
    });
    await rejectsWith(client.send(new ListKeysCommand({ Marker: 'bogus' })), 'InvalidMarkerException');
  });
});
