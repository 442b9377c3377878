// Secrets as text (selections): a KMS blob up to 4,096 bytes, an Encryption SDK message above;
// decrypting either; re-encrypting with ReEncrypt (blobs) or a header re-wrap (messages); and
// the refusals a person can act on.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { detectTextCiphertext, type TextCiphertext } from '../../../src/core/envelope/detect';
import { decryptSecret, encryptSecret, reEncryptSecret } from '../../../src/core/envelope/secretText';
import { parseMessageHeader } from '../../../src/core/envelope/messageFormat';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { directEncryptionSdk } from './encryptionSdk';
import { code } from '../../support/kmsErrors';

function detect(text: string): TextCiphertext {
  const found = detectTextCiphertext(text);
  assert.ok(found, `not recognised: ${text.slice(0, 30)}`);
  return found;
}

describe('secrets as text', function () {
  this.timeout(30_000);
  let kms: KmsFixture;
  let key: string;
  let other: string;
  before(async () => {
    kms = await startKmsFixture();
    key = await kms.createKey({ alias: 'alias/app' });
    other = await kms.createKey();
  });
  after(() => kms.close());
  afterEach(() => kms.emulator.faults.clear());

  for (const size of [1, 4096, 4097, 100_000]) {
    it(`round-trips ${size} bytes (${size <= 4096 ? 'a KMS blob' : 'an Encryption SDK message'}) and re-encrypts it under another key`, async () => {
      const plaintext = randomBytes(size);
      const enc = await encryptSecret(plaintext, { keyId: 'alias/app', encryptionContext: { app: 'web' } }, kms);
      assert.equal(enc.kind, size <= 4096 ? 'blob' : 'message');
      assert.equal(enc.keyId, key);
      assert.ok(!/\s/.test(enc.ciphertext), 'one line');
      const found = detect(enc.ciphertext);
      assert.equal(found.kind, enc.kind);
      const dec = await decryptSecret(found, { encryptionContext: { app: 'web' } }, kms);
      assert.deepEqual(dec.plaintext, plaintext);
      assert.equal(dec.keyId, key);

      kms.emulator.resetCalls();
      const re = await reEncryptSecret(found, { keyId: other, sourceEncryptionContext: { app: 'web' } }, kms);
      assert.equal(re.keyId, other);
      assert.equal(re.sourceKeyId, key);
      assert.deepEqual(re.encryptionContext, { app: 'web' });
      if (enc.kind === 'blob') {
        assert.deepEqual(kms.emulator.calls(), { ReEncrypt: 1 }, 'a blob is re-encrypted inside KMS');
      } else {
        assert.deepEqual(kms.emulator.calls(), { Decrypt: 1, ReEncrypt: 1 }, 'a message has its data key re-wrapped');
        const before = parseMessageHeader(found.bytes)!;
        const after = detect(re.ciphertext);
        assert.deepEqual(after.header?.messageId, before.messageId, 'same message, new header');
        assert.deepEqual(after.bytes.subarray(after.header.length), found.bytes.subarray(before.length), 'the body is unchanged');
      }
      const again = await decryptSecret(detect(re.ciphertext), { encryptionContext: { app: 'web' } }, kms);
      assert.deepEqual(again.plaintext, plaintext);
      assert.equal(again.keyId, other);
    });
  }

  it("re-encrypts a signed message (the SDK's default suite) by decrypting and encrypting it again, keeping its context", async () => {
    const esdk = await directEncryptionSdk(kms);
    try {
      const plaintext = randomBytes(6000);
      const signed = (await esdk.client.encrypt(esdk.keyring(key), plaintext, { encryptionContext: { by: 'cli' } })).result.toString(
        'base64',
      );
      const re = await reEncryptSecret(detect(signed), { keyId: other }, kms);
      assert.equal(re.kind, 'message');
      assert.deepEqual(re.encryptionContext, { by: 'cli' });
      assert.equal(detect(re.ciphertext).header?.suite.signed, false, 'written with our suite');
      const out = await decryptSecret(detect(re.ciphertext), { encryptionContext: { by: 'cli' } }, kms);
      assert.deepEqual(out.plaintext, plaintext);
      assert.equal(out.keyId, other);
    } finally {
      esdk.close();
    }
  });

  it('re-encrypts with a new encryption context', async () => {
    for (const size of [10, 5000]) {
      const enc = await encryptSecret(randomBytes(size), { keyId: key, encryptionContext: { v: '1' } }, kms);
      const re = await reEncryptSecret(
        detect(enc.ciphertext),
        { keyId: key, sourceEncryptionContext: { v: '1' }, encryptionContext: { v: '2' } },
        kms,
      );
      await assert.rejects(decryptSecret(detect(re.ciphertext), { encryptionContext: { v: '1' } }, kms));
      assert.equal((await decryptSecret(detect(re.ciphertext), { encryptionContext: { v: '2' } }, kms)).keyId, key);
    }
  });

  it('refuses a wrong encryption context, saying which one was tried (blob) or what the message holds (message)', async () => {
    const blob = detect((await encryptSecret(Buffer.from('x'), { keyId: key, encryptionContext: { app: 'web' } }, kms)).ciphertext);
    await assert.rejects(
      decryptSecret(blob, {}, kms),
      code('InvalidCiphertextException', /with no encryption context: wrong encryption context/),
    );
    await assert.rejects(
      decryptSecret(blob, { encryptionContext: { app: 'api' } }, kms),
      code('InvalidCiphertextException', /with the encryption context app=api/),
    );
    const message = detect((await encryptSecret(randomBytes(5000), { keyId: key, encryptionContext: { app: 'web' } }, kms)).ciphertext);
    kms.emulator.resetCalls();
    await assert.rejects(
      decryptSecret(message, { encryptionContext: { app: 'api' } }, kms),
      code('EncryptionContextMismatch', /expected app=api \(it has app=web\)\. Its context is app=web/),
    );
    assert.deepEqual(kms.emulator.calls(), {}, 'refused before calling KMS');
  });

  it('refuses the wrong key when one is named, for blobs and messages', async () => {
    const blob = detect((await encryptSecret(Buffer.from('x'), { keyId: key }, kms)).ciphertext);
    await assert.rejects(decryptSecret(blob, { keyId: other }, kms), code('IncorrectKeyException', /different KMS key/));
    assert.equal((await decryptSecret(blob, { keyId: 'alias/app' }, kms)).keyId, key);
    const message = detect((await encryptSecret(randomBytes(5000), { keyId: key }, kms)).ciphertext);
    await assert.rejects(
      decryptSecret(message, { keyId: other }, kms),
      code('IncorrectKeyException', new RegExp(`not encrypted under ${other}`)),
    );
    assert.equal((await decryptSecret(message, { keyId: 'alias/app' }, kms)).keyId, key);
  });

  it('says a disabled key is disabled, whatever the format', async () => {
    const disabled = await kms.createKey();
    const blob = detect((await encryptSecret(Buffer.from('x'), { keyId: disabled }, kms)).ciphertext);
    const message = detect((await encryptSecret(randomBytes(5000), { keyId: disabled }, kms)).ciphertext);
    await kms.gateway.disableKey(disabled);
    await assert.rejects(encryptSecret(Buffer.from('x'), { keyId: disabled }, kms), code('DisabledException', /disabled.*Enable it first/));
    await assert.rejects(encryptSecret(randomBytes(5000), { keyId: disabled }, kms), code('DisabledException'));
    await assert.rejects(decryptSecret(blob, {}, kms), code('DisabledException'));
    await assert.rejects(decryptSecret(message, {}, kms), code('DisabledException'));
    await assert.rejects(reEncryptSecret(message, { keyId: key }, kms), code('DisabledException'));
  });

  it('says a tampered ciphertext was altered', async () => {
    const blobText = (await encryptSecret(Buffer.from('secret'), { keyId: key }, kms)).ciphertext;
    const blobBytes = Buffer.from(blobText, 'base64');
    blobBytes[blobBytes.length - 1] ^= 1;
    await assert.rejects(
      decryptSecret(detect(blobBytes.toString('base64')), {}, kms),
      code('InvalidCiphertextException', /altered ciphertext/),
    );

    const message = Buffer.from((await encryptSecret(randomBytes(5000), { keyId: key }, kms)).ciphertext, 'base64');
    const header = parseMessageHeader(message)!;
    for (const [what, at] of [
      ['body', message.length - 100],
      ['header', header.length - 20],
      ['commitment', header.length - 16 - 5],
    ] as const) {
      const bad = Buffer.from(message);
      bad[at] ^= 0x40;
      await assert.rejects(
        decryptSecret(detect(bad.toString('base64')), {}, kms),
        code('TamperedCiphertext', /altered or is damaged/),
        what,
      );
      await assert.rejects(
        reEncryptSecret(detect(bad.toString('base64')), { keyId: other }, kms),
        code('TamperedCiphertext'),
        `re-encrypt ${what}`,
      );
    }
    const cut = message.subarray(0, message.length - 30).toString('base64');
    await assert.rejects(decryptSecret(detect(cut), {}, kms), code('TamperedCiphertext'));
    await assert.rejects(reEncryptSecret(detect(cut), { keyId: other }, kms), code('TamperedCiphertext', /truncated|final frame/));
  });

  it('tries base64 of no known shape with KMS, and says it may not be a ciphertext at all', async () => {
    const unknown = detect(randomBytes(90).toString('base64'));
    assert.equal(unknown.confidence, 'plausible');
    await assert.rejects(
      decryptSecret(unknown, {}, kms),
      code('InvalidCiphertextException', /no ciphertext shape known here, so it may not be a KMS ciphertext at all/),
    );
  });

  it('refuses empty text, and passes on KMS failures (a dropped connection) as they are', async () => {
    await assert.rejects(encryptSecret(Buffer.alloc(0), { keyId: key }, kms), code('PlaintextEmpty'));
    kms.emulator.faults.set('Encrypt', { drop: 1 });
    await assert.rejects(encryptSecret(Buffer.from('x'), { keyId: key }, kms), code('EndpointUnreachable'));
    kms.emulator.faults.set('GenerateDataKey', { failOnCall: 1, error: { name: 'KMSInternalException' } });
    await assert.rejects(encryptSecret(randomBytes(5000), { keyId: key }, kms), code('KMSInternalException'));
  });
});
