// Bring your own key, custom key stores and DeriveSharedSecret (issue 13) in the real extension
// host against the KMS emulator: imports with both wrapping algorithms, expiry and re-import,
// wrong material refused, deletion of material; every custom key store action and state; the
// shared secret equal to Node's own ECDH; and the BYOK flow checked against the AWS CLI.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { CustomKeyStoreResult } from '../../src/host/keyCommands/customKeyStores';
import type { SharedSecretResult } from '../../src/host/keyCommands/deriveSharedSecret';
import type { DeletedMaterial, ImportResult } from '../../src/host/keyCommands/importKeyMaterial';
import { EmulatorControl } from '../emulator/control';
import { activeExtension, emulatorUrl } from './util/env';
import {
  activeText,
  closeEditors,
  createKey,
  type Env,
  keyNode,
  lifecycleEnv,
  refused,
  run,
  stateOf,
  testing,
  withAnswers,
} from './lifecycle/support';

const day = 24 * 60 * 60 * 1000;
const execFileAsync = promisify(execFile);
const proxyCredential = {
  xksProxyAccessKeyId: 'ABCDEFGHIJKLMNOPQRST',
  xksProxySecretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==',
};

describe('bring your own key, custom key stores, DeriveSharedSecret', function () {
  this.timeout(120_000);
  let env: Env;
  let control: EmulatorControl;
  let dir: string;

  before(async function () {
    const t = await testing().catch(() => undefined);
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await lifecycleEnv();
    control = new EmulatorControl(emulatorUrl());
    dir = mkdtempSync(join(tmpdir(), 'kms-byok-it-'));
  });

  after(async () => {
    env?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await closeEditors();
  });

  const encryptText = async (keyId: string, text: string): Promise<Uint8Array> =>
    (await env.gateway.encrypt({ keyId, plaintext: Buffer.from(text) })).ciphertext;
  const decryptText = async (ciphertext: Uint8Array): Promise<string> =>
    Buffer.from((await env.gateway.decrypt({ ciphertext })).plaintext).toString('utf8');
  /** Waits (polling) until the key is in `state`; the emulator's clock is never moved here, as other suites share it. */
  const untilState = async (keyId: string, state: string, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await stateOf(env, keyId);
      if (now === state) return;
      if (Date.now() > deadline) assert.fail(`${keyId} is ${now ?? '?'}, not ${state}, after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  describe('imported key material', () => {
    it('creates a key with origin EXTERNAL, pending import, and imports material wrapped with RSAES_OAEP_SHA_256 (the default)', async () => {
      const meta = await createKey({ origin: 'EXTERNAL', description: 'byok oaep' });
      assert.equal(meta.Origin, 'EXTERNAL');
      assert.equal(meta.KeyState, 'PendingImport');
      const material = randomBytes(32);
      const result = await run<ImportResult>('importKeyMaterial', { keyId: meta.KeyId, material: material.toString('base64') });
      assert.equal(result.keyState, 'Enabled');
      assert.equal(result.wrappingAlgorithm, 'RSAES_OAEP_SHA_256');
      assert.equal(result.wrappingKeySpec, 'RSA_3072');
      assert.equal(result.expirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
      assert.equal(result.generated, false);
      assert.ok(!JSON.stringify(result).includes(material.toString('base64')), 'the material is not in the result');
      assert.equal(await decryptText(await encryptText(meta.KeyId!, 'hello byok')), 'hello byok');
    });

    it('imports with RSA_AES_KEY_WRAP_SHA_256 (HMAC and asymmetric material by default): generated HMAC material shown once, never returned', async () => {
      const meta = await createKey({ origin: 'EXTERNAL', keySpec: 'HMAC_256' });
      const result = await run<ImportResult>('importKeyMaterial', { keyId: meta.KeyId, generate: true, wrappingKeySpec: 'RSA_2048' });
      assert.equal(result.wrappingAlgorithm, 'RSA_AES_KEY_WRAP_SHA_256');
      assert.equal(result.generated, true);
      assert.equal(result.output, 'editor');
      const shown = JSON.parse(activeText().text) as { KeyMaterial: string };
      assert.ok(!JSON.stringify(result).includes(shown.KeyMaterial));
      const material = Buffer.from(shown.KeyMaterial, 'base64');
      assert.equal(material.length, 32);
      const mac = await env.gateway.generateMac({ KeyId: meta.KeyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from('m') });
      assert.deepEqual(Buffer.from(mac.Mac!), createHmac('sha256', material).update('m').digest(), 'KMS holds exactly the material shown');
      await closeEditors();

      const ecc = await createKey({ origin: 'EXTERNAL', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const pemFile = join(dir, 'ecc.pem');
      writeFileSync(pemFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await refused(
        'importKeyMaterial',
        { keyId: ecc.KeyId, materialFile: pemFile, wrappingAlgorithm: 'RSAES_OAEP_SHA_256' },
        /too large for RSAES_OAEP_SHA_256: use RSA_AES_KEY_WRAP_SHA_256/,
      );
      const imported = await run<ImportResult>('importKeyMaterial', {
        keyId: ecc.KeyId,
        materialFile: pemFile,
        wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_1',
        wrappingKeySpec: 'RSA_2048',
      });
      assert.equal(imported.keyState, 'Enabled');
      const publicKey = (await env.gateway.getPublicKey(ecc.KeyId!)).PublicKey!;
      assert.deepEqual(Buffer.from(publicKey), pair.publicKey.export({ type: 'spki', format: 'der' }));
    });

    it('lets material expire (PendingImport), refuses different material with the reason, and takes the same material back', async () => {
      const meta = await createKey({ origin: 'EXTERNAL' });
      const material = randomBytes(32);
      // Material that expires in a few seconds (ValidTo is real time: the emulator's clock is shared with other suites).
      const expiresAt = new Date(Date.now() + 8000).toISOString();
      const result = await run<ImportResult>('importKeyMaterial', {
        keyId: meta.KeyId,
        material: material.toString('base64'),
        expiresAt,
        wrappingKeySpec: 'RSA_2048',
      });
      assert.equal(result.expirationModel, 'KEY_MATERIAL_EXPIRES');
      assert.equal(result.validTo?.slice(0, 19), expiresAt.slice(0, 19));
      const described = await env.gateway.describeKey(meta.KeyId!);
      assert.equal(described.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
      assert.equal(described.ValidTo?.toISOString().slice(0, 19), expiresAt.slice(0, 19));
      const blob = await encryptText(meta.KeyId!, 'before expiry');
      await untilState(meta.KeyId!, 'PendingImport');
      await refused(
        'importKeyMaterial',
        { keyId: meta.KeyId, material: randomBytes(32).toString('base64') },
        /only ever takes the material it was first given/,
      );
      await refused(
        'importKeyMaterial',
        { keyId: meta.KeyId, material: randomBytes(16).toString('base64') },
        /"material": Key material of a symmetric encryption key must be 256 bits \(32 bytes\)/,
      );
      await refused(
        'importKeyMaterial',
        { keyId: meta.KeyId, material: material.toString('base64'), expiresAt: '2001-01-01' },
        /"expiresAt": .* is not in the future/,
      );
      const again = await run<ImportResult>('importKeyMaterial', { keyId: meta.KeyId, material: material.toString('base64') });
      assert.equal(again.keyState, 'Enabled');
      assert.equal(await decryptText(blob), 'before expiry');
      await refused('importKeyMaterial', { keyId: meta.KeyId, material: material.toString('base64') }, /add "confirm": true/);
      const changed = await run<ImportResult>('importKeyMaterial', {
        keyId: meta.KeyId,
        material: material.toString('base64'),
        expiresAt: new Date(Date.now() + 30 * day).toISOString(),
        confirm: true,
      });
      assert.equal(changed.expirationModel, 'KEY_MATERIAL_EXPIRES');
    });

    it('deletes imported material only when confirmed, saying what stops working; the same material brings the key back', async () => {
      const meta = await createKey({ origin: 'EXTERNAL' });
      const material = randomBytes(32).toString('base64');
      await run('importKeyMaterial', { keyId: meta.KeyId, material });
      const blob = await encryptText(meta.KeyId!, 'kept');
      await refused('deleteImportedKeyMaterial', { keyId: meta.KeyId }, /cannot encrypt, decrypt.*add "confirm": true/);
      const deleted = await run<DeletedMaterial>('deleteImportedKeyMaterial', { keyId: meta.KeyId, confirm: true });
      assert.equal(deleted.keyState, 'PendingImport');
      await refused('deleteImportedKeyMaterial', { keyId: meta.KeyId, confirm: true }, /no key material to delete/);
      await assert.rejects(decryptText(blob), /Import key material first|pending import/i);
      await run('importKeyMaterial', { keyId: meta.KeyId, material });
      assert.equal(await decryptText(blob), 'kept');
      const kmsKey = await createKey({});
      await refused('importKeyMaterial', { keyId: kmsKey.KeyId, material }, /only into keys created with origin EXTERNAL/);
      await refused('deleteImportedKeyMaterial', { keyId: kmsKey.KeyId, confirm: true }, /origin EXTERNAL/);
      await refused(
        'importKeyMaterial',
        { keyId: meta.KeyId, material, generate: true },
        /give one of "material", "materialFile" and "generate"/,
      );
      await refused('importKeyMaterial', { keyId: meta.KeyId, materialBase64: material }, /materialBase64/);

      // Interactively from the key's node: the confirmation says what stops working.
      const { ui } = await withAnswers(env, [true], () => run('deleteImportedKeyMaterial', keyNode(env, meta.KeyId!)));
      assert.match(ui.shown[0]?.detail ?? '', /every cryptographic operation with it fails/);
      assert.equal(await stateOf(env, meta.KeyId!), 'PendingImport');
    });

    it('runs the import interactively from a key node: pasted material, no expiry, a confirmation', async () => {
      const meta = await createKey({ origin: 'EXTERNAL' });
      const material = randomBytes(32);
      const { ui } = await withAnswers(env, [/Paste it/, material.toString('base64'), 'Does not expire', true], () =>
        run('importKeyMaterial', keyNode(env, meta.KeyId!)),
      );
      assert.equal(ui.remaining, 0);
      assert.equal(ui.passwordPrompts.length, 1, 'pasted material goes into a password box');
      assert.match(ui.shown.at(-1)?.detail ?? '', /RSAES_OAEP_SHA_256 with an RSA_3072 key/);
      assert.equal(await stateOf(env, meta.KeyId!), 'Enabled');
      const wizard = await withAnswers(
        env,
        [/^Symmetric/, 'Single-Region key with imported key material', '', '', '', "KMS's default key policy", true],
        () => run<KeyMetadata>('createKey'),
      );
      assert.equal(wizard.result.Origin, 'EXTERNAL');
      assert.equal(wizard.result.KeyState, 'PendingImport');
    });
  });

  describe('custom key stores', () => {
    let trustAnchorFile: string;
    before(async () => {
      const ext = await activeExtension();
      trustAnchorFile = join(ext.extensionPath, 'test', 'fixtures', 'byok', 'customerCA.crt');
    });

    const storeName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    const clusterId = (): string => `cluster-${randomBytes(6).toString('hex').slice(0, 11)}`;

    it('creates a CloudHSM key store, connects it (connecting, then connected), creates a key in it, and disconnects it (keys unavailable)', async () => {
      const name = storeName('hsm');
      const created = await run<CustomKeyStoreResult>('createCustomKeyStore', {
        name,
        type: 'AWS_CLOUDHSM',
        cloudHsmClusterId: clusterId(),
        trustAnchorCertificateFile: trustAnchorFile,
        keyStorePassword: 'kmsuser-secret',
      });
      assert.match(created.customKeyStoreId, /^cks-/);
      assert.equal(created.connectionState, 'DISCONNECTED');
      await refused('createKey', { origin: 'AWS_CLOUDHSM', customKeyStoreId: created.customKeyStoreId }, /connected/i);
      const started = await run<CustomKeyStoreResult>('connectCustomKeyStore', { customKeyStoreId: created.customKeyStoreId });
      assert.equal(started.connectionState, 'CONNECTING');
      const connected = await run<CustomKeyStoreResult>('connectCustomKeyStore', {
        customKeyStoreId: created.customKeyStoreId,
        wait: true,
      });
      assert.equal(connected.connectionState, 'CONNECTED');
      const key = await createKey({ origin: 'AWS_CLOUDHSM', customKeyStoreId: created.customKeyStoreId });
      assert.equal(key.CustomKeyStoreId, created.customKeyStoreId);
      assert.equal(await decryptText(await encryptText(key.KeyId!, 'in the hsm')), 'in the hsm');
      await refused(
        'createKey',
        { origin: 'AWS_CLOUDHSM', customKeyStoreId: created.customKeyStoreId, keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' },
        /symmetric/,
      );

      await refused(
        'disconnectCustomKeyStore',
        { customKeyStoreId: created.customKeyStoreId },
        /unavailable until it is connected again: add "confirm": true/,
      );
      const disconnected = await run<CustomKeyStoreResult>('disconnectCustomKeyStore', {
        customKeyStoreId: created.customKeyStoreId,
        confirm: true,
      });
      assert.equal(disconnected.connectionState, 'DISCONNECTED');
      assert.equal(await stateOf(env, key.KeyId!), 'Unavailable');
      await refused(
        'updateCustomKeyStore',
        { customKeyStoreId: created.customKeyStoreId, xksProxyUriPath: '/a/kms/xks/v1' },
        /not for a CloudHSM key store/,
      );
      const updated = await run<CustomKeyStoreResult>('updateCustomKeyStore', {
        customKeyStoreId: created.customKeyStoreId,
        keyStorePassword: 'new-kmsuser-secret',
        newName: `${name}-renamed`,
      });
      assert.equal(updated.customKeyStoreName, `${name}-renamed`);

      // A failed connection: the error code in words; a failed store is disconnected before it connects again.
      await control.failNextConnection(created.customKeyStoreId, 'INVALID_CREDENTIALS');
      await refused(
        'connectCustomKeyStore',
        { customKeyStoreId: created.customKeyStoreId, wait: true },
        /INVALID_CREDENTIALS: KMS cannot log in as kmsuser/,
      );
      await refused('connectCustomKeyStore', { customKeyStoreId: created.customKeyStoreId }, /Disconnect it, fix the cause/);
      await run('disconnectCustomKeyStore', { customKeyStoreId: created.customKeyStoreId, confirm: true });
      assert.equal(
        (await run<CustomKeyStoreResult>('connectCustomKeyStore', { customKeyStoreId: created.customKeyStoreId, wait: true }))
          .connectionState,
        'CONNECTED',
      );
      assert.equal(await stateOf(env, key.KeyId!), 'Enabled', 'keys come back with the connection');
      await refused(
        'updateCustomKeyStore',
        { customKeyStoreId: created.customKeyStoreId, keyStorePassword: 'another-secret' },
        /disconnected/,
      );

      // Delete: only disconnected, only without keys.
      await refused(
        'deleteCustomKeyStore',
        { customKeyStoreId: created.customKeyStoreId, confirm: true },
        /disconnect it before deleting it/,
      );
      await run('disconnectCustomKeyStore', { customKeyStoreId: created.customKeyStoreId, confirm: true });
      await refused('deleteCustomKeyStore', { customKeyStoreId: created.customKeyStoreId }, /add "confirm": true/);
      await refused('deleteCustomKeyStore', { customKeyStoreId: created.customKeyStoreId, confirm: true }, /still holds KMS keys/);
      await run('scheduleKeyDeletion', { keyId: key.KeyId, pendingWindowInDays: 7, confirm: true });
      await refused('deleteCustomKeyStore', { customKeyStoreId: created.customKeyStoreId, confirm: true }, /keys pending deletion count/);
      // An empty, disconnected store is deleted (the clock is not moved to end the key's waiting period: other suites share the emulator).
      const empty = await run<CustomKeyStoreResult>('createCustomKeyStore', {
        name: storeName('empty'),
        type: 'AWS_CLOUDHSM',
        cloudHsmClusterId: clusterId(),
        trustAnchorCertificateFile: trustAnchorFile,
        keyStorePassword: 'kmsuser-secret',
      });
      const gone = await run<{ deleted: boolean }>('deleteCustomKeyStore', { customKeyStoreId: empty.customKeyStoreId, confirm: true });
      assert.equal(gone.deleted, true);
      const stores = (await env.gateway.describeCustomKeyStoresPage()).items.map((s) => s.CustomKeyStoreId);
      assert.ok(!stores.includes(empty.customKeyStoreId));
      assert.ok(stores.includes(created.customKeyStoreId));
    });

    it('creates an external key store (public endpoint and VPC endpoint service), keys with an external key id, and updates what a connected store allows', async () => {
      const base = {
        type: 'EXTERNAL_KEY_STORE',
        xksProxyUriEndpoint: `https://xks-${randomBytes(3).toString('hex')}.example.com`,
        ...proxyCredential,
      };
      await refused(
        'createCustomKeyStore',
        { ...base, name: storeName('xks'), xksProxyConnectivity: 'PUBLIC_ENDPOINT', xksProxyUriPath: '/bad' },
        /"xksProxyUriPath": A path ending in \/kms\/xks\/v1/,
      );
      await refused(
        'createCustomKeyStore',
        { ...base, name: storeName('xks'), xksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', xksProxyUriPath: '/vpc/kms/xks/v1' },
        /"xksProxyVpcEndpointServiceName" is required/,
      );
      await refused(
        'createCustomKeyStore',
        {
          ...base,
          name: storeName('xks'),
          xksProxyConnectivity: 'PUBLIC_ENDPOINT',
          xksProxyUriPath: '/x/kms/xks/v1',
          keyStorePassword: 'kmsuser-secret',
        },
        /"keyStorePassword" is not for a store of type EXTERNAL_KEY_STORE/,
      );
      const vpc = await run<CustomKeyStoreResult>('createCustomKeyStore', {
        ...base,
        name: storeName('xks-vpc'),
        xksProxyUriEndpoint: `https://xks-vpc-${randomBytes(3).toString('hex')}.example.com`,
        xksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
        xksProxyUriPath: '/vpc/kms/xks/v1',
        xksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
      });
      assert.equal(vpc.customKeyStoreType, 'EXTERNAL_KEY_STORE');
      const store = await run<CustomKeyStoreResult>('createCustomKeyStore', {
        ...base,
        name: storeName('xks'),
        xksProxyConnectivity: 'PUBLIC_ENDPOINT',
        xksProxyUriPath: '/example/kms/xks/v1',
      });
      const described = await env.gateway.describeCustomKeyStore(store.customKeyStoreId);
      assert.equal(described.XksProxyConfiguration?.UriPath, '/example/kms/xks/v1');
      assert.ok(!JSON.stringify(described).includes(proxyCredential.xksProxySecretAccessKey), 'the proxy secret is never shown');
      await run('connectCustomKeyStore', { customKeyStoreId: store.customKeyStoreId, wait: true });
      await refused('createKey', { origin: 'EXTERNAL_KEY_STORE', customKeyStoreId: store.customKeyStoreId }, /"xksKeyId"/);
      const key = await createKey({ origin: 'EXTERNAL_KEY_STORE', customKeyStoreId: store.customKeyStoreId, xksKeyId: 'external-key-1' });
      assert.equal(key.XksKeyConfiguration?.Id, 'external-key-1');
      await run('updateCustomKeyStore', {
        customKeyStoreId: store.customKeyStoreId,
        xksProxyUriPath: '/moved/kms/xks/v2',
        xksProxyAccessKeyId: 'ZYXWVUTSRQPONMLKJIHG',
        xksProxySecretAccessKey: proxyCredential.xksProxySecretAccessKey,
      });
      assert.equal(
        (await env.gateway.describeCustomKeyStore(store.customKeyStoreId)).XksProxyConfiguration?.AccessKeyId,
        'ZYXWVUTSRQPONMLKJIHG',
      );
      await refused(
        'updateCustomKeyStore',
        {
          customKeyStoreId: store.customKeyStoreId,
          xksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
          xksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef1',
        },
        /disconnect/i,
      );
      await refused('updateCustomKeyStore', { customKeyStoreId: store.customKeyStoreId }, /nothing to change/);
    });

    it('creates a store through the wizard with the secret in a password box', async () => {
      const name = storeName('wizard');
      const { result, ui } = await withAnswers(
        env,
        [
          'External key store',
          name,
          'Public endpoint',
          'https://wizard.example.com',
          '/wizard/kms/xks/v1',
          proxyCredential.xksProxyAccessKeyId,
          proxyCredential.xksProxySecretAccessKey,
        ],
        () => run<CustomKeyStoreResult>('createCustomKeyStore'),
      );
      assert.equal(ui.remaining, 0);
      assert.equal(result.connectionState, 'DISCONNECTED');
      assert.equal(ui.passwordPrompts.length, 1);
      assert.match(ui.passwordPrompts[0], /secret access key/, 'the proxy secret is asked in a password box');
    });
  });

  describe('DeriveSharedSecret', () => {
    for (const [spec, curve] of [
      ['ECC_NIST_P256', 'prime256v1'],
      ['ECC_SECG_P256K1', 'secp256k1'],
    ] as const) {
      it(`gives the shared secret Node's own ECDH computes (${spec}), shown in memory and never returned`, async () => {
        const meta = await createKey({ keySpec: spec, keyUsage: 'KEY_AGREEMENT' });
        assert.equal(meta.KeyUsage, 'KEY_AGREEMENT');
        const peer = generateKeyPairSync('ec', { namedCurve: curve });
        const kmsPublic = createPublicKey({
          key: Buffer.from((await env.gateway.getPublicKey(meta.KeyId!)).PublicKey!),
          format: 'der',
          type: 'spki',
        });
        const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: kmsPublic });

        const result = await run<SharedSecretResult>('deriveSharedSecret', {
          keyId: meta.KeyId,
          publicKey: peer.publicKey.export({ type: 'spki', format: 'pem' }),
        });
        assert.equal(result.output, 'editor');
        assert.ok(!JSON.stringify(result).includes(expected.toString('base64')), 'the secret is not in the result');
        assert.deepEqual(Buffer.from((JSON.parse(activeText().text) as { SharedSecret: string }).SharedSecret, 'base64'), expected);
        await closeEditors();

        const derFile = join(dir, `${spec}.der`);
        writeFileSync(derFile, peer.publicKey.export({ type: 'spki', format: 'der' }));
        await run('deriveSharedSecret', { keyId: meta.KeyId, publicKeyFile: derFile });
        assert.equal((JSON.parse(activeText().text) as { SharedSecretHex: string }).SharedSecretHex, expected.toString('hex'));
        await closeEditors();
      });
    }

    it('is offered only for key agreement keys, and checks the peer key', async () => {
      const signing = await createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
      const agreement = await createKey({ keySpec: 'ECC_NIST_P384', keyUsage: 'KEY_AGREEMENT' });
      const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' });
      await refused('deriveSharedSecret', { keyId: signing.KeyId, publicKey: p256 }, /needs a key with usage KEY_AGREEMENT/);
      await refused('deriveSharedSecret', { keyId: agreement.KeyId, publicKey: p256 }, /curve prime256v1.*same curve/);
      await refused('deriveSharedSecret', { keyId: agreement.KeyId, publicKey: 'not a key' }, /not a public key/);
      await refused('deriveSharedSecret', { keyId: agreement.KeyId }, /give the other party's public key/);
    });
  });

  describe('the same BYOK flow against the AWS CLI', () => {
    let cli: string | undefined;
    let cliEnv: NodeJS.ProcessEnv;
    before(() => {
      cli = [
        '/usr/bin/aws',
        ...(process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, 'aws')),
      ].find((p) => existsSync(p));
      if (!cli) throw new Error('No AWS CLI found (expected /usr/bin/aws): this test needs it.');
      writeFileSync(join(dir, 'config'), '');
      writeFileSync(join(dir, 'credentials'), '');
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
      cliEnv = {
        ...inherited,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
    });
    const aws = async (...args: string[]): Promise<string> =>
      (
        await execFileAsync(
          cli!,
          [
            'kms',
            ...args,
            '--endpoint-url',
            emulatorUrl(),
            '--region',
            env.connection.region,
            ...(args.includes('--output') ? [] : ['--output', 'text']),
          ],
          { env: cliEnv },
        )
      ).stdout.trim();
    const file = (name: string, content: Uint8Array | string): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it('material imported by the extension gives ciphertexts the CLI decrypts', async () => {
      const meta = await createKey({ origin: 'EXTERNAL' });
      await run('importKeyMaterial', {
        keyId: meta.KeyId,
        material: randomBytes(32).toString('base64'),
        wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      });
      const blob = await encryptText(meta.KeyId!, 'extension imported');
      const plaintext = await aws('decrypt', '--ciphertext-blob', `fileb://${file('ext.bin', blob)}`, '--query', 'Plaintext');
      assert.equal(Buffer.from(plaintext, 'base64').toString('utf8'), 'extension imported');
    });

    it('material imported by the CLI (wrapped with openssl, as the KMS guide shows) gives ciphertexts the extension decrypts, and the extension re-imports it', async () => {
      const keyId = await aws('create-key', '--origin', 'EXTERNAL', '--query', 'KeyMetadata.KeyId');
      const params = JSON.parse(
        await aws(
          'get-parameters-for-import',
          '--key-id',
          keyId,
          '--wrapping-algorithm',
          'RSAES_OAEP_SHA_256',
          '--wrapping-key-spec',
          'RSA_2048',
          '--output',
          'json',
        ),
      ) as { PublicKey: string; ImportToken: string };
      const material = randomBytes(32);
      const publicKey = file('wrapping.der', Buffer.from(params.PublicKey, 'base64'));
      const wrapped = join(dir, 'wrapped.bin');
      await execFileAsync('openssl', [
        'pkeyutl',
        '-encrypt',
        '-in',
        file('material.bin', material),
        '-out',
        wrapped,
        '-inkey',
        publicKey,
        '-keyform',
        'DER',
        '-pubin',
        '-pkeyopt',
        'rsa_padding_mode:oaep',
        '-pkeyopt',
        'rsa_oaep_md:sha256',
        '-pkeyopt',
        'rsa_mgf1_md:sha256',
      ]);
      await aws(
        'import-key-material',
        '--key-id',
        keyId,
        '--encrypted-key-material',
        `fileb://${wrapped}`,
        '--import-token',
        `fileb://${file('token.bin', Buffer.from(params.ImportToken, 'base64'))}`,
        '--expiration-model',
        'KEY_MATERIAL_DOES_NOT_EXPIRE',
      );
      const cliBlob = await aws(
        'encrypt',
        '--key-id',
        keyId,
        '--plaintext',
        `fileb://${file('plain.txt', 'cli imported')}`,
        '--query',
        'CiphertextBlob',
      );
      assert.equal(await decryptText(Buffer.from(cliBlob, 'base64')), 'cli imported');
      // The extension deletes and re-imports the CLI's material; the CLI's ciphertext still decrypts.
      await run('deleteImportedKeyMaterial', { keyId, confirm: true });
      await run('importKeyMaterial', { keyId, materialFile: join(dir, 'material.bin') });
      assert.equal(
        Buffer.from(
          await aws('decrypt', '--ciphertext-blob', `fileb://${file('cli.bin', Buffer.from(cliBlob, 'base64'))}`, '--query', 'Plaintext'),
          'base64',
        ).toString('utf8'),
        'cli imported',
      );
      assert.deepEqual(readFileSync(join(dir, 'material.bin')), material);
    });
  });
});
