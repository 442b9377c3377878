import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsConfigFiles } from '../../../src/core/aws/awsConfigFiles';
import { type Connection, resolveConnection } from '../../../src/core/aws/connection';
import { KmsClientFactory } from '../../../src/core/kms/client';
import { type KmsError } from '../../../src/core/kms/errors';
import { collect } from '../../../src/core/kms/gateway';
import { type Emulator, startEmulator } from '../../emulator/server';

/** The gateway through the real SDK, over HTTP, against the local KMS emulator. */
describe('KMS gateway against the emulator', function () {
  this.timeout(30_000);
  let kms: Emulator;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    kms = await startEmulator({ port: 0 });
  });
  after(() => kms.close());

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kmswb-gw-'));
    const processScript = join(dir, 'creds.sh');
    writeFileSync(processScript, '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "test", "SecretAccessKey": "test"}\'\n');
    chmodSync(processScript, 0o755);
    writeFileSync(
      join(dir, 'config'),
      [
        '[profile local]',
        'region = eu-west-1',
        '[profile via-process]',
        'region = eu-west-1',
        `credential_process = ${processScript}`,
        '[profile via-services]',
        'region = ap-south-1',
        'services = emu',
        '[services emu]',
        'kms =',
        `  endpoint_url = ${kms.url}`,
        '[profile no-creds]',
        'region = eu-west-1',
        '[profile sso-expired]',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = Admin',
        'region = eu-west-1',
        '[sso-session corp]',
        'sso_start_url = https://corp.awsapps.com/start',
        'sso_region = eu-west-1',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'credentials'),
      '[local]\naws_access_key_id = test\naws_secret_access_key = test\n[wrong-secret]\naws_access_key_id = test\naws_secret_access_key = nope\nregion = eu-west-1\n[via-services]\naws_access_key_id = test\naws_secret_access_key = test\n[unknown-key]\naws_access_key_id = AKIAUNKNOWNUNKNOWN00\naws_secret_access_key = test\nregion = eu-west-1\n',
    );
    env = {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      HOME: dir,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function connect(
    profile: string,
    over: { endpoint?: string; region?: string } = {},
    maxAttempts = 1,
  ): Promise<{ factory: KmsClientFactory; connection: Connection }> {
    const files = await AwsConfigFiles.load(env);
    const connection = resolveConnection(
      { profile, endpoint: over.endpoint ?? (profile === 'via-services' ? undefined : kms.url), region: over.region },
      env,
      files,
    );
    return { factory: new KmsClientFactory({ env, maxAttempts }), connection };
  }

  it('encrypts and decrypts with static keys from a profile; a blob needs no key id to decrypt', async () => {
    const { factory, connection } = await connect('local');
    const gw = factory.gateway(connection);
    const key = await gw.createKey({ Description: 'gateway test' });
    assert.match(key.Arn ?? '', /^arn:aws:kms:eu-west-1:111122223333:key\//);
    const { ciphertext } = await gw.encrypt({ keyId: key.KeyId!, plaintext: Buffer.from('s3cret'), encryptionContext: { app: 'web' } });
    const { plaintext, keyId } = await gw.decrypt({ ciphertext, encryptionContext: { app: 'web' } });
    assert.equal(Buffer.from(plaintext).toString(), 's3cret');
    assert.equal(keyId, key.Arn);
    await assert.rejects(
      gw.decrypt({ ciphertext, encryptionContext: { app: 'api' } }),
      (e: KmsError) => e.code === 'InvalidCiphertextException' && /wrong encryption context/.test(e.message),
    );
  });

  it('gets credentials from credential_process through the SDK provider, and the endpoint from the profile services section', async () => {
    const viaProcess = await connect('via-process');
    await viaProcess.factory.gateway(viaProcess.connection).createKey({});
    const viaServices = await connect('via-services');
    assert.equal(viaServices.connection.endpointSource, 'profile services section');
    const created = await viaServices.factory.gateway(viaServices.connection).createKey({});
    assert.match(created.Arn ?? '', /^arn:aws:kms:ap-south-1:/);
    const none = await connect('no-creds');
    await assert.rejects(
      none.factory.gateway(none.connection).createKey({}),
      (e: KmsError) => e.code === 'NoCredentials' && /profile "no-creds"/.test(e.message),
    );
  });

  it('pages every listing: 250 keys in pages of 100, as pages and as one iterator', async () => {
    const { factory, connection } = await connect('local', { region: 'ca-central-1' });
    const gw = factory.gateway(connection);
    for (let i = 0; i < 250; i++) await gw.createKey({ Description: `k${i}` });
    const first = await gw.listKeysPage(undefined, 100);
    assert.equal(first.items.length, 100);
    assert.ok(first.nextMarker);
    const all = await collect(gw.listKeys(100));
    assert.equal(all.length, 250);
    assert.equal(new Set(all.map((k) => k.KeyId)).size, 250);
  });

  it('retries throttling with the SDK standard retry, then reports it with the attempt count', async () => {
    const { factory, connection } = await connect('local', {}, 3);
    const gw = factory.gateway(connection);
    const key = await gw.createKey({});
    kms.resetCalls();
    kms.faults.set('DescribeKey', { throttle: 2 });
    assert.equal((await gw.describeKey(key.KeyId!)).KeyId, key.KeyId);
    assert.equal(kms.callCount('DescribeKey'), 3);
    kms.faults.set('DescribeKey', { throttle: 5 });
    await assert.rejects(
      gw.describeKey(key.KeyId!),
      (e: KmsError) => e.code === 'ThrottlingException' && /still after 3 attempts/.test(e.message),
    );
    kms.faults.clear();
  });

  it('names the fix for bad credentials: unknown access key, wrong secret, expired SSO session', async () => {
    const unknown = await connect('unknown-key');
    await assert.rejects(
      unknown.factory.gateway(unknown.connection).createKey({}),
      (e: KmsError) =>
        e.code === 'UnrecognizedClientException' && /does not recognise the access key of profile "unknown-key"/.test(e.message),
    );
    const wrong = await connect('wrong-secret');
    await assert.rejects(
      wrong.factory.gateway(wrong.connection).createKey({}),
      (e: KmsError) => e.code === 'InvalidSignatureException' && /secret access key of profile "wrong-secret"/.test(e.message),
    );
    const sso = await connect('sso-expired');
    await assert.rejects(
      sso.factory.gateway(sso.connection).createKey({}),
      (e: KmsError) =>
        e.code === 'SSOSessionExpired' &&
        e.details.ssoLoginProfile === 'sso-expired' &&
        /aws sso login --profile sso-expired/.test(e.message),
    );
  });

  it('names the endpoint when nothing listens there', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { factory, connection } = await connect('local', { endpoint: `http://127.0.0.1:${port}` });
    await assert.rejects(
      factory.gateway(connection).createKey({}),
      (e: KmsError) => e.code === 'EndpointUnreachable' && e.message.includes(`http://127.0.0.1:${port}`),
    );
  });

  it('reports an operation the endpoint lacks as not supported, and a dropped connection as unreachable', async () => {
    const { factory, connection } = await connect('local');
    const gw = factory.gateway(connection);
    const key = await gw.createKey({});
    kms.faults.set('ListKeyRotations', {
      failOnCall: 1,
      error: { name: 'UnsupportedOperationException', message: 'not implemented here' },
    });
    await assert.rejects(
      collect(gw.listKeyRotations(key.KeyId!)),
      (e: KmsError) => e.notSupported && /ListKeyRotations is not supported by this endpoint/.test(e.message),
    );
    kms.faults.set('DescribeKey', { drop: 1 });
    await assert.rejects(gw.describeKey(key.KeyId!), (e: KmsError) => e.code === 'EndpointUnreachable');
    kms.faults.clear();
  });

  it('verify and verifyMac answer false for a bad signature instead of throwing', async () => {
    const { factory, connection } = await connect('local');
    const gw = factory.gateway(connection);
    const signer = await gw.createKey({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'ECC_NIST_P256' });
    const message = Buffer.from('hello');
    const { Signature } = await gw.sign({ KeyId: signer.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
    assert.equal(await gw.verify({ KeyId: signer.KeyId, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' }), true);
    assert.equal(
      await gw.verify({ KeyId: signer.KeyId, Message: Buffer.from('other'), Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
      false,
    );
    const mac = await gw.createKey({ KeyUsage: 'GENERATE_VERIFY_MAC', KeySpec: 'HMAC_256' });
    const { Mac } = await gw.generateMac({ KeyId: mac.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' });
    assert.equal(await gw.verifyMac({ KeyId: mac.KeyId, Message: message, Mac, MacAlgorithm: 'HMAC_SHA_256' }), true);
    assert.equal(await gw.verifyMac({ KeyId: mac.KeyId, Message: Buffer.from('x'), Mac, MacAlgorithm: 'HMAC_SHA_256' }), false);
  });
});
