// Interoperability with the tools people already have, against the emulator: a blob made
// here decrypts with `aws kms decrypt`, one made by `aws kms encrypt` decrypts here, and files
// encrypted here decrypt with @aws-crypto/client-node directly (and the other way round).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { detectTextCiphertext } from '../../../src/core/envelope/detect';
import { decryptFileInPlace, encryptFileInPlace, reEncryptFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { decryptSecret, encryptSecret } from '../../../src/core/envelope/secretText';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { directEncryptionSdk } from './encryptionSdk';

const AWS_CLI = '/usr/bin/aws';

describe('interoperability with the AWS CLI and the Encryption SDK', function () {
  this.timeout(60_000);
  let kms: KmsFixture;
  let key: string;

  /** Runs the AWS CLI against the emulator, asynchronously (the emulator runs in this process). */
  async function aws(...args: string[]): Promise<string> {
    const empty = join(kms.dir, 'empty');
    writeFileSync(empty, '');
    const { stdout } = await promisify(execFile)(
      AWS_CLI,
      [...args, '--endpoint-url', kms.emulator.url, '--region', 'us-east-1', '--output', 'text'],
      {
        env: {
          PATH: process.env.PATH,
          HOME: kms.dir,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_CONFIG_FILE: empty,
          AWS_SHARED_CREDENTIALS_FILE: empty,
          AWS_PAGER: '',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
    );
    return stdout.trim();
  }

  before(async function () {
    if (!existsSync(AWS_CLI)) {
      console.log(`      (skipped: ${AWS_CLI} is not installed; .ci/run installs the awscli package)`);
      this.skip();
    }
    kms = await startKmsFixture();
    key = await kms.createKey({ alias: 'alias/interop' });
  });
  after(() => kms?.close());

  it('a blob made here decrypts with aws kms decrypt, with and without encryption context', async () => {
    for (const context of [undefined, { app: 'web', env: 'prod' }]) {
      const plaintext = randomBytes(300);
      const { ciphertext } = await encryptSecret(plaintext, { keyId: 'alias/interop', encryptionContext: context }, kms);
      const blobFile = join(kms.dir, 'blob.bin');
      writeFileSync(blobFile, Buffer.from(ciphertext, 'base64'));
      const contextArgs = context
        ? [
            '--encryption-context',
            Object.entries(context)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          ]
        : [];
      const out = await aws('kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, ...contextArgs, '--query', 'Plaintext');
      assert.deepEqual(Buffer.from(out, 'base64'), plaintext);
    }
  });

  it('a blob printed by aws kms encrypt --query CiphertextBlob --output text decrypts here', async () => {
    const plaintext = Buffer.from('db-password=correct horse battery staple');
    const plainFile = join(kms.dir, 'plain.txt');
    writeFileSync(plainFile, plaintext);
    const text = await aws(
      'kms',
      'encrypt',
      '--key-id',
      'alias/interop',
      '--plaintext',
      `fileb://${plainFile}`,
      '--encryption-context',
      'app=cli',
      '--query',
      'CiphertextBlob',
    );
    const found = detectTextCiphertext(text);
    assert.equal(found?.kind, 'blob');
    const { plaintext: out, keyId } = await decryptSecret(found, { encryptionContext: { app: 'cli' } }, kms);
    assert.deepEqual(out, plaintext);
    assert.equal(keyId, key);
  });

  it('files encrypted here (base64 and binary) decrypt with @aws-crypto/client-node directly', async () => {
    const esdk = await directEncryptionSdk(kms);
    try {
      for (const format of ['base64', 'binary'] as const) {
        const plaintext = randomBytes(3 * 1024 * 1024 + 17);
        const file = join(kms.dir, `secret-${format}.bin`);
        writeFileSync(file, plaintext);
        await encryptFileInPlace(file, { keyId: 'alias/interop', encryptionContext: { purpose: 'interop' }, format }, kms);
        const stored = readFileSync(file);
        const message = format === 'base64' ? Buffer.from(stored.toString('latin1'), 'base64') : stored;
        const { plaintext: out, messageHeader } = await esdk.client.decrypt(esdk.keyring(key), message);
        assert.deepEqual(out, plaintext);
        assert.equal(messageHeader.encryptionContext.purpose, 'interop');
      }
    } finally {
      esdk.close();
    }
  });

  it('a file the Encryption SDK wrote with its defaults (signed suite) decrypts here, and re-encrypts by decrypting and encrypting again', async () => {
    const esdk = await directEncryptionSdk(kms);
    const other = await kms.createKey();
    try {
      const plaintext = randomBytes(100_000);
      const file = join(kms.dir, 'from-sdk.bin');
      writeFileSync(file, (await esdk.client.encrypt(esdk.keyring(key), plaintext, { encryptionContext: { by: 'sdk' } })).result);
      const re = await reEncryptFileInPlace(file, { keyId: other }, kms);
      assert.equal(re.method, 'reencrypt');
      assert.deepEqual(re.encryptionContext, { by: 'sdk' }, 'the SDK-reserved public key is not carried over');
      const { plaintext: out } = await esdk.client.decrypt(esdk.keyring(other), readFileSync(file));
      assert.deepEqual(out, plaintext);
      await decryptFileInPlace(file, {}, kms);
      assert.deepEqual(readFileSync(file), plaintext);
    } finally {
      esdk.close();
    }
  });
});
