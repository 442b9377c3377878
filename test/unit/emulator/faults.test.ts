import {
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  type KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { EmulatorControl } from '../../emulator/control';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, signedRequest, utf8 } from './helpers';

describe('KMS emulator: fault injection, call counts and the control API', () => {
  let kms: Emulator;
  let client: KMSClient;
  let keyId: string;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
    keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  });
  after(() => kms.close());
  beforeEach(() => {
    kms.faults.clear();
    kms.resetCalls();
  });

  it('counts calls per operation, faulted ones included, signature failures not', async () => {
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })), 'NotFoundException');
    await client.send(new ListKeysCommand({}));
    await signedRequest(kms.url, 'TrentService.ListKeys', '{}', { secretAccessKey: 'wrong' });
    assert.equal(kms.callCount('DescribeKey'), 3);
    assert.equal(kms.callCount('ListKeys'), 1);
    assert.equal(kms.callCount('Encrypt'), 0);
    assert.deepEqual(kms.calls(), { DescribeKey: 3, ListKeys: 1 });
    kms.resetCalls();
    assert.deepEqual(kms.calls(), {});
  });

  it('adds latency to one operation', async () => {
    kms.faults.set('DescribeKey', { latencyMs: 300 });
    const started = Date.now();
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.ok(Date.now() - started >= 290, `took ${Date.now() - started} ms`);
    const other = Date.now();
    await client.send(new ListKeysCommand({}));
    assert.ok(Date.now() - other < 290, 'other operations are not slowed');
  });

  it('throttles the next N calls with ThrottlingException; the SDK retries through them when allowed to', async () => {
    kms.faults.set('Encrypt', { throttle: 2 });
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), 'ThrottlingException', {
      message: /Rate exceeded/,
    });
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), 'ThrottlingException');
    await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }));
    assert.equal(kms.callCount('Encrypt'), 3);

    kms.faults.set('Encrypt', { throttle: 2 });
    kms.resetCalls();
    await kmsClient(kms, 'us-east-1', { maxAttempts: 3 }).send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }));
    assert.equal(kms.callCount('Encrypt'), 3, 'two throttled attempts, then success');
  });

  it('fails the Nth call, once, with KMSInternalException (500) or the error asked for', async () => {
    kms.faults.set('DescribeKey', { failOnCall: 3 });
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId })), 'KMSInternalException', { status: 500, message: /injected/ });
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    kms.faults.set('DescribeKey', {
      failOnCall: 1,
      error: { name: 'AccessDeniedException', message: 'User is not authorized to perform: kms:DescribeKey' },
    });
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId })), 'AccessDeniedException', {
      status: 400,
      message: /not authorized/,
    });
    kms.faults.set('DescribeKey', { failOnCall: 1, error: { name: 'DependencyTimeoutException' } });
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId })), 'DependencyTimeoutException', { status: 503 });
    assert.throws(() => kms.faults.set('DescribeKey', { failOnCall: 0 }), /counts from 1/);
  });

  it('drops the connection of the next N calls without an answer', async () => {
    kms.faults.set('ListKeys', { drop: 1 });
    let caught: (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
    try {
      await client.send(new ListKeysCommand({}));
    } catch (error) {
      caught = error as Error;
    }
    assert.ok(caught, 'the call failed');
    assert.equal(caught.$metadata?.httpStatusCode, undefined, 'no HTTP answer');
    assert.match(`${caught.name} ${caught.message} ${String((caught as { code?: string }).code)}`, /socket hang up|ECONNRESET|closed/i);
    await client.send(new ListKeysCommand({}));
    assert.equal(kms.callCount('ListKeys'), 2);
  });

  it('applies faults set for "*" to every operation without its own', async () => {
    kms.faults.set('*', { throttle: 1 });
    kms.faults.set('ListAliases', {});
    await rejectsWith(client.send(new ListKeysCommand({})), 'ThrottlingException');
    await client.send(new ListAliasesCommand({}));
    await client.send(new ListKeysCommand({}));
  });

  it('offers calls, faults, seeding, key states and reset over the control API (EmulatorControl)', async () => {
    const control = new EmulatorControl(kms.url);
    const health = await control.health();
    assert.equal(health.status, 'ok');
    assert.equal(health.accountId, '111122223333');
    assert.ok(health.operations.includes('ReplicateKey'));

    await control.setFault('DescribeKey', { throttle: 1 });
    assert.deepEqual(await control.faults(), { DescribeKey: { throttle: 1 } });
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId })), 'ThrottlingException');
    await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.equal(await control.callCount('DescribeKey'), 2);
    assert.deepEqual(await control.calls(), { DescribeKey: 2 });
    await control.resetCalls();
    assert.deepEqual(await control.calls(), {});
    await control.setFault('Encrypt', { failOnCall: 1, error: { name: 'KMSInternalException', message: 'boom' } });
    await control.clearFaults('Encrypt');
    await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }));
    await control.setFault('Encrypt', { drop: 2 });
    await control.clearFaults();
    assert.deepEqual(await control.faults(), {});
    await assert.rejects(control.setFault('Encrypt', { throttle: -1 }), /400 throttle must be a non-negative integer/);

    const seeded = await control.seed({ keys: [{ ref: 'ctl', description: 'seeded over HTTP', aliases: ['alias/control'] }] });
    const seededId = seeded.keys[0].keyId;
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: 'alias/control' }))).KeyMetadata?.KeyId, seededId);
    await control.setKeyState('us-east-1', seededId, 'Unavailable');
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: seededId }))).KeyMetadata?.KeyState, 'Unavailable');
    await assert.rejects(control.setKeyState('us-east-1', seededId, 'Sleeping' as 'Enabled'), /400 unknown key state/);
    await assert.rejects(control.setKeyState('us-east-1', '00000000-0000-4000-8000-000000000000', 'Enabled'), /404/);
    await assert.rejects(control.seed({ keys: [{ spec: 'RSA_1024' as 'RSA_2048' }] }), /seed refused: .*unsupported spec RSA_1024/);

    await control.reset();
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: seededId })), 'NotFoundException');
    assert.deepEqual((await client.send(new ListKeysCommand({}))).Keys, []);
    const unknown = await fetch(`${kms.url}/_emulator/nothing`);
    assert.equal(unknown.status, 404);
    keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  });
});
