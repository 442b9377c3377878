// Recognising ciphertexts: KMS blobs of every known shape (AWS and this project's emulator,
// moto/LocalStack, local-kms) and of unknown shapes (left to a decrypt attempt), Encryption SDK
// messages in text and in files (binary or base64 armor).
import * as assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { armorBase64 } from '../../../src/core/envelope/base64';
import { detectFileFormat, detectTextCiphertext, isEncryptedFormat } from '../../../src/core/envelope/detect';
import { analyzeBlob, isPlausibleCiphertext } from '../../../src/core/envelope/kmsBlob';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

/** moto and LocalStack: 36-character key id, 12-byte IV, 16-byte tag, ciphertext. */
function motoBlob(keyId: string, plaintextLength = 20): Buffer {
  return Buffer.concat([Buffer.from(keyId, 'ascii'), randomBytes(12), randomBytes(16), randomBytes(plaintextLength)]);
}

/** local-kms: u8 ARN length, ARN, u32 LE key version, 12-byte nonce, ciphertext + tag. */
function localKmsBlob(arn: string, plaintextLength = 20): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32LE(0);
  return Buffer.concat([Buffer.from([arn.length]), Buffer.from(arn, 'ascii'), version, randomBytes(12), randomBytes(plaintextLength + 16)]);
}

describe('ciphertext detection', function () {
  this.timeout(30_000);
  let kms: KmsFixture;
  let keyArn: string;
  before(async () => {
    kms = await startKmsFixture();
    keyArn = await kms.createKey();
  });
  after(() => kms.close());

  it('recognises an AWS-shaped blob (what KMS and the emulator return) by its structure', async () => {
    const { ciphertext } = await kms.gateway.encrypt({ keyId: keyArn, plaintext: Buffer.from('s3cret') });
    const text = Buffer.from(ciphertext).toString('base64');
    assert.ok(text.startsWith('AQICAHh'));
    const found = detectTextCiphertext(text);
    assert.equal(found?.kind, 'blob');
    assert.equal(found?.confidence, 'structure');
    assert.equal(found?.blob?.shape, 'aws');
  });

  it('recognises moto/LocalStack and local-kms blobs, which do not start like AWS blobs', () => {
    const id = randomUUID();
    for (const [bytes, shape, hint] of [
      [motoBlob(id), 'key-id-prefix', id],
      [motoBlob(`mrk-${randomBytes(16).toString('hex')}`), 'key-id-prefix', undefined],
      [localKmsBlob(`arn:aws:kms:eu-west-2:111122223333:key/${id}`), 'arn-prefix', `arn:aws:kms:eu-west-2:111122223333:key/${id}`],
    ] as const) {
      const text = bytes.toString('base64');
      assert.ok(!text.startsWith('AQICAHh'), 'another shape than AWS');
      const found = detectTextCiphertext(text);
      assert.equal(found?.kind, 'blob');
      assert.equal(found?.confidence, 'structure', shape);
      assert.equal(found?.blob?.shape, shape);
      if (hint) assert.equal(found?.blob?.keyHint, hint);
    }
  });

  it('leaves random-looking base64 of no known shape to a decrypt attempt, and does not take text for ciphertext', () => {
    const unknown = detectTextCiphertext(randomBytes(80).toString('base64'));
    assert.equal(unknown?.kind, 'blob');
    assert.equal(unknown?.confidence, 'plausible');
    for (const text of [
      'password123',
      Buffer.from('just some plain words encoded as base64, long enough').toString('base64'),
      'AQID',
      randomBytes(20).toString('base64'),
      randomBytes(8000).toString('base64'),
      'not base64 at all!',
      `${randomBytes(80).toString('base64')}x`,
    ]) {
      assert.equal(detectTextCiphertext(text), undefined, text.slice(0, 40));
    }
    assert.ok(!isPlausibleCiphertext(Buffer.from('{"user":"admin","password":"hunter2","host":"db"}')));
    assert.equal(analyzeBlob(randomBytes(10)), undefined);
  });

  it('recognises an Encryption SDK message in base64, on one line or split over lines, and not one cut inside its header', async () => {
    const { message } = await kms.envelope.encryptBuffer(randomBytes(5000), { keyId: keyArn, encryptionContext: { app: 'web' } });
    const text = message.toString('base64');
    const found = detectTextCiphertext(text);
    assert.equal(found?.kind, 'message');
    assert.deepEqual(found?.header?.encryptionContext, { app: 'web' });
    assert.equal(detectTextCiphertext(armorBase64(message).toString('latin1').trim())?.kind, 'message');
    // Only a whole header makes a message (text that merely starts like one is not).
    const cut = detectTextCiphertext(message.subarray(0, 40).toString('base64'));
    assert.notEqual(cut?.kind, 'message');
  });

  it('tells the format of files: binary and base64 messages, a base64 blob, and plaintext of any kind', async () => {
    const { message } = await kms.envelope.encryptBuffer(randomBytes(100), { keyId: keyArn });
    const binary = detectFileFormat(message, message.length);
    assert.equal(binary.kind, 'message');
    assert.equal(binary.kind === 'message' && binary.armor, 'binary');
    const armored = armorBase64(message);
    const base64 = detectFileFormat(armored, armored.length);
    assert.equal(base64.kind === 'message' && base64.armor, 'base64');
    assert.ok(base64.kind === 'message' && base64.header?.encryptedDataKeys[0].providerInfo === keyArn);
    // Only the start of a large file is read: a header is still recognised.
    assert.equal(detectFileFormat(armored.subarray(0, 40), 10_000_000).kind, 'message');

    const { ciphertext } = await kms.gateway.encrypt({ keyId: keyArn, plaintext: Buffer.from('x') });
    const blobFile = Buffer.from(`${Buffer.from(ciphertext).toString('base64')}\n`);
    const blob = detectFileFormat(blobFile, blobFile.length);
    assert.deepEqual(blob, { kind: 'blob', confidence: 'structure', blob: { shape: 'aws' } });
    assert.ok(isEncryptedFormat(blob));

    for (const plain of [
      Buffer.alloc(0),
      Buffer.from('DB_PASSWORD=hunter2\nAPI_KEY=abc\n'),
      randomBytes(4096),
      Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n'),
    ]) {
      const format = detectFileFormat(plain, plain.length);
      assert.equal(format.kind, 'plaintext');
      assert.ok(!isEncryptedFormat(format));
    }
    // A file holding base64 of no known shape may be a blob, but it is not called encrypted.
    const maybe = Buffer.from(randomBytes(100).toString('base64'));
    const guess = detectFileFormat(maybe, maybe.length);
    assert.equal(guess.kind === 'blob' && guess.confidence, 'plausible');
    assert.ok(!isEncryptedFormat(guess));
  });
});
