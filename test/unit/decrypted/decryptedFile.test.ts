// Decrypting files into memory and saving them encrypted again, against the KMS emulator
// through the real SDK; the encrypted files are made by the in-place encryption core, so
// what "Encrypt File" writes is what the decrypted editor opens.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KMS } from '@aws-sdk/client-kms';
import {
  decryptBytesToMemory,
  decryptFileToMemory,
  diskChangeOf,
  encryptForTarget,
  fingerprint,
  replaceIfUnchanged,
} from '../../../src/core/decrypted/decryptedFile';
import { encodeBase64 } from '../../../src/core/envelope/base64';
import { encryptFileInPlace, inspectFile } from '../../../src/core/envelope/fileEncryption';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

describe('decrypted files in memory', function () {
  this.timeout(30_000);
  let kms: KmsFixture;
  let keyArn: string;
  let n = 0;
  const file = (name: string, content: string | Buffer): string => {
    const path = join(kms.dir, `${n++}-${name}`);
    writeFileSync(path, content);
    return path;
  };
  const job = () => ({ envelope: kms.envelope, gatewayFor: kms.gatewayFor });
  const strayFiles = (): string[] => readdirSync(kms.dir).filter((f) => f.includes('.kmswb-'));

  before(async () => {
    kms = await startKmsFixture({ prefix: 'kmswb-decrypted-' });
    keyArn = await kms.createKey();
  });
  after(async () => kms?.close());
  afterEach(() => kms.emulator.faults.clear());

  it('opens a base64 Encryption SDK message and saves it again under the same key and context', async () => {
    const path = file('app.env', 'DB_PASSWORD=hunter2\n');
    await encryptFileInPlace(path, { keyId: keyArn, encryptionContext: { app: 'web', env: 'test' } }, job());
    const opened = await decryptFileToMemory(path, {}, kms);
    assert.equal(opened.plaintext.toString(), 'DB_PASSWORD=hunter2\n');
    assert.deepEqual(opened.target, {
      format: 'message-base64',
      keyId: keyArn,
      encryptionContext: { app: 'web', env: 'test' },
      changesOnSave: [],
    });
    assert.equal(opened.ciphertextHash, fingerprint(readFileSync(path)));

    const bytes = await encryptForTarget(Buffer.from('DB_PASSWORD=correct horse\n'), opened.target, 'app.env', kms);
    const saved = await replaceIfUnchanged(path, bytes, opened.ciphertextHash);
    assert.equal(saved.ciphertextHash, fingerprint(readFileSync(path)));
    assert.match(readFileSync(path, 'latin1'), /^[A-Za-z0-9+/=\n]+$/, 'still base64 armor');
    const inspection = await inspectFile(path);
    assert.deepEqual(inspection.info?.keyArns, [keyArn]);
    assert.deepEqual(inspection.info?.encryptionContext, { app: 'web', env: 'test' });
    const again = await decryptFileToMemory(path, {}, kms);
    assert.equal(again.plaintext.toString(), 'DB_PASSWORD=correct horse\n');
    assert.deepEqual(strayFiles(), []);
  });

  it('keeps a binary message binary, and saves an empty text', async () => {
    const path = file('data.json.kms', '{"a":1}');
    await encryptFileInPlace(path, { keyId: keyArn, format: 'binary' }, job());
    const opened = await decryptFileToMemory(path, {}, kms);
    assert.equal(opened.target.format, 'message-binary');
    const bytes = await encryptForTarget(Buffer.alloc(0), opened.target, 'data.json.kms', kms);
    await replaceIfUnchanged(path, bytes, opened.ciphertextHash);
    assert.equal(readFileSync(path)[0], 0x02, 'a binary message (format version 2)');
    assert.equal((await decryptFileToMemory(path, {}, kms)).plaintext.length, 0);
  });

  it('opens a KMS blob with its context, says which context it tried when that is wrong, and saves a blob again', async () => {
    const out = await kms.gateway.encrypt({ keyId: keyArn, plaintext: Buffer.from('s3cr3t'), encryptionContext: { purpose: 'test' } });
    const path = file('token.kms', `${encodeBase64(out.ciphertext)}\n`);
    await assert.rejects(
      decryptFileToMemory(path, {}, kms),
      (e: Error & { code?: string }) => e.code === 'InvalidCiphertextException' && /no encryption context/.test(e.message),
    );
    await assert.rejects(decryptFileToMemory(path, { blobContext: { purpose: 'prod' } }, kms), /with the encryption context purpose=prod/);
    const opened = await decryptFileToMemory(path, { blobContext: { purpose: 'test' } }, kms);
    assert.equal(opened.plaintext.toString(), 's3cr3t');
    assert.equal(opened.target.format, 'blob');
    assert.equal(opened.target.keyId, keyArn);
    const bytes = await encryptForTarget(Buffer.from('n3w'), opened.target, 'token.kms', kms);
    await replaceIfUnchanged(path, bytes, opened.ciphertextHash);
    const blob = Buffer.from(readFileSync(path, 'latin1').trim(), 'base64');
    const back = await kms.gateway.decrypt({ ciphertext: blob, encryptionContext: { purpose: 'test' } });
    assert.equal(Buffer.from(back.plaintext).toString(), 'n3w');
    assert.equal(back.keyId, keyArn);
  });

  it('refuses to save an empty or too long text into a blob, naming the limit and the way out', async () => {
    const target = { format: 'blob' as const, keyId: keyArn, encryptionContext: {}, changesOnSave: [] };
    await assert.rejects(encryptForTarget(Buffer.alloc(0), target, 't.kms', kms), /t\.kms.*1 to 4,096 bytes/);
    await assert.rejects(
      encryptForTarget(Buffer.alloc(4097, 0x61), target, 't.kms', kms),
      (e: Error & { code?: string }) => e.code === 'PlaintextTooLarge' && /4,097/.test(e.message),
    );
  });

  it('does not overwrite a file that changed on disk, or one that was deleted, and leaves no temporary file', async () => {
    const path = file('c.env', 'A=1\n');
    await encryptFileInPlace(path, { keyId: keyArn }, job());
    const opened = await decryptFileToMemory(path, {}, kms);
    const bytes = await encryptForTarget(Buffer.from('A=2\n'), opened.target, 'c.env', kms);
    writeFileSync(path, 'someone else wrote this');
    await assert.rejects(
      replaceIfUnchanged(path, bytes, opened.ciphertextHash),
      (e: Error & { code?: string }) => e.code === 'FileChangedOnDisk' && /c\.env changed on disk.*Reload/.test(e.message),
    );
    assert.equal(readFileSync(path, 'utf8'), 'someone else wrote this');
    assert.deepEqual(await diskChangeOf(path, opened.ciphertextHash), {
      change: 'changed',
      hash: fingerprint(Buffer.from('someone else wrote this')),
    });
    unlinkSync(path);
    await assert.rejects(
      replaceIfUnchanged(path, bytes, opened.ciphertextHash),
      (e: Error & { code?: string }) => e.code === 'FileDeleted',
    );
    assert.deepEqual(await diskChangeOf(path, opened.ciphertextHash), { change: 'deleted' });
    assert.deepEqual(strayFiles(), []);
  });

  it('leaves the file byte-identical when KMS refuses or the write fails', async () => {
    const path = file('f.env', 'B=1\n');
    await encryptFileInPlace(path, { keyId: keyArn }, job());
    const before = readFileSync(path);
    const opened = await decryptFileToMemory(path, {}, kms);
    kms.emulator.faults.set('GenerateDataKey', { failOnCall: 1, error: { name: 'KMSInternalException', message: 'injected' } });
    await assert.rejects(encryptForTarget(Buffer.from('B=2\n'), opened.target, 'f.env', kms), /injected|internal/i);
    const bytes = await encryptForTarget(Buffer.from('B=2\n'), opened.target, 'f.env', kms);
    await assert.rejects(
      replaceIfUnchanged(path, bytes, opened.ciphertextHash, {
        faults: {
          beforeRename: () => {
            throw new Error('disk full');
          },
        },
      }),
      /disk full/,
    );
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(strayFiles(), []);
  });

  it('refuses files that are not encrypted, and plaintext that is not text', async () => {
    await assert.rejects(
      decryptFileToMemory(file('plain.env', 'A=1\n'), {}, kms),
      (e: Error & { code?: string }) => e.code === 'NotEncrypted' && /plain\.env/.test(e.message),
    );
    const path = file('bin.kms', Buffer.from([1, 2, 0, 3]));
    await encryptFileInPlace(path, { keyId: keyArn }, job());
    await assert.rejects(decryptFileToMemory(path, {}, kms), (e: Error & { code?: string }) => e.code === 'NotText');
    await assert.rejects(
      decryptFileToMemory(join(kms.dir, 'missing.kms'), {}, kms),
      (e: Error & { code?: string }) => e.code === 'FileNotFound',
    );
  });

  it('decrypts a Git revision held in memory by its bytes', async () => {
    const path = file('rev.env', 'REV=1\n');
    await encryptFileInPlace(path, { keyId: keyArn }, job());
    const content = await decryptBytesToMemory(readFileSync(path), 'rev.env', {}, kms);
    assert.equal(content.plaintext.toString(), 'REV=1\n');
  });

  it('says what a save changes about a message it did not write itself', async () => {
    const sdk = await import('@aws-crypto/client-node');
    const second = await kms.createKey();
    const client = new KMS({
      endpoint: kms.emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    // Signed (the SDK's default suite) and under two keys, as the AWS Encryption CLI can write.
    const keyring = new sdk.KmsKeyringNode({ generatorKeyId: keyArn, keyIds: [second], clientProvider: () => client });
    const { encrypt } = sdk.buildClient(sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const { result } = await encrypt(keyring, 'X=1\n', { encryptionContext: { app: 'cli' } });
    const path = file('cli.env', result.toString('base64'));
    const opened = await decryptFileToMemory(path, {}, kms);
    assert.equal(opened.plaintext.toString(), 'X=1\n');
    assert.deepEqual(opened.target.encryptionContext, { app: 'cli' }, "without the SDK's reserved aws-crypto-public-key");
    const notes = opened.target.changesOnSave.join(' ');
    assert.equal(opened.target.changesOnSave.length, 2, notes);
    assert.ok(notes.includes(`also wrapped under ${second}; once saved, only ${keyArn} can decrypt it`), notes);
    assert.match(notes, /ECDSA_P384; it is saved with ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY/);
    client.destroy();
  });
});
