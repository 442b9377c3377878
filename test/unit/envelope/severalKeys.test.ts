// Encryption SDK messages for several keys (any one decrypts): encrypting files and text for
// keys in two regions, decrypting with either (also after the other is disabled), adding and
// removing keys of a message without touching its content, and @aws-crypto's own decrypt of
// every result with each key alone.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectTextCiphertext } from '../../../src/core/envelope/detect';
import { decryptFileInPlace, encryptFileInPlace, rekeyFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { parseMessageHeader } from '../../../src/core/envelope/messageFormat';
import { decryptSecret, encryptSecret } from '../../../src/core/envelope/secretText';
import { KmsError } from '../../../src/core/kms/errors';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

const PLAINTEXT = `DB_PASSWORD=hunter2\n${'x'.repeat(3000)}\n`;

describe('messages for several keys', function () {
  this.timeout(60_000);
  let kms: KmsFixture;
  let east: string;
  let west: string;
  let third: string;
  let n = 0;

  before(async () => {
    kms = await startKmsFixture();
    east = await kms.createKey({ alias: 'alias/east' });
    west = await kms.createKey({ region: 'us-west-2' });
    third = await kms.createKey();
  });
  after(() => kms.close());

  const job = () => ({ gatewayFor: kms.gatewayFor, envelope: kms.envelope });
  const idOf = (arn: string): string => arn.split('/').pop() ?? '';
  const regionOf = (arn: string): string => arn.split(':')[3];
  const messageOf = (path: string): Buffer => {
    const raw = readFileSync(path);
    // Binary messages start with the version byte 02; base64 armor is decoded whole.
    return raw[0] === 0x02 ? raw : Buffer.from(raw.toString('latin1'), 'base64');
  };
  const keysOf = (path: string): string[] => parseMessageHeader(messageOf(path))?.encryptedDataKeys.map((k) => k.providerInfo) ?? [];

  /** @aws-crypto/client-node with a strict keyring of one key, its client in that key's region. */
  async function decryptWithOnly(keyArn: string, message: Buffer): Promise<string> {
    const esdk = await import('@aws-crypto/client-node');
    const { KMS } = await import('@aws-sdk/client-kms');
    const clients: InstanceType<typeof KMS>[] = [];
    const keyring = new esdk.KmsKeyringNode({
      clientProvider: (region: string) => {
        const client = new KMS({
          endpoint: kms.emulator.url,
          region,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          maxAttempts: 1,
        });
        clients.push(client);
        return client;
      },
      keyIds: [keyArn],
    });
    try {
      const { plaintext } = await esdk.buildClient(esdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT).decrypt(keyring, message);
      return plaintext.toString('utf8');
    } finally {
      for (const c of clients) c.destroy();
    }
  }

  function file(content = PLAINTEXT): string {
    const path = join(kms.dir, `several-${n++}.env`);
    writeFileSync(path, content);
    return path;
  }

  for (const format of ['base64', 'binary'] as const) {
    it(`encrypts a file (${format}) for keys in two regions; each alone decrypts it, with @aws-crypto and here`, async () => {
      const path = file();
      const out = await encryptFileInPlace(
        path,
        { keyId: 'alias/east', additionalKeyIds: [west], encryptionContext: { app: 'web' }, format },
        job(),
      );
      assert.deepEqual(out.keyIds, [east, west]);
      assert.deepEqual(keysOf(path), [east, west]);
      const message = messageOf(path);
      assert.equal(await decryptWithOnly(east, message), PLAINTEXT);
      assert.equal(await decryptWithOnly(west, message), PLAINTEXT);
      const decrypted = await decryptFileInPlace(path, { keyId: west }, job());
      assert.equal(decrypted.keyId, west);
      assert.equal(readFileSync(path, 'utf8'), PLAINTEXT);
    });
  }

  it('still decrypts when one of its keys is disabled', async () => {
    const path = file();
    await encryptFileInPlace(path, { keyId: east, additionalKeyIds: [west] }, job());
    kms.emulator.setKeyState(regionOf(east), idOf(east), 'Disabled');
    try {
      await assert.rejects(decryptWithOnly(east, messageOf(path)), /Disabled|disabled/);
      const out = await decryptFileInPlace(path, {}, job());
      assert.equal(out.keyId, west);
      assert.equal(readFileSync(path, 'utf8'), PLAINTEXT);
    } finally {
      kms.emulator.setKeyState(regionOf(east), idOf(east), 'Enabled');
    }
  });

  it('adds and removes keys of a message by rewriting only its header', async () => {
    const path = file();
    await encryptFileInPlace(path, { keyId: east, encryptionContext: { app: 'web' }, format: 'binary' }, job());
    const before = messageOf(path);
    const bodyBefore = before.subarray(parseMessageHeader(before)!.length);

    const added = await rekeyFileInPlace(path, { add: [west, idOf(third)] }, job());
    assert.equal(added.method, 'rewrap');
    assert.deepEqual(added.added, [west, third]);
    assert.deepEqual(keysOf(path), [east, west, third]);
    const afterAdd = messageOf(path);
    assert.ok(afterAdd.subarray(parseMessageHeader(afterAdd)!.length).equals(bodyBefore), 'the content is untouched');
    for (const key of [east, west, third]) assert.equal(await decryptWithOnly(key, afterAdd), PLAINTEXT);

    const removed = await rekeyFileInPlace(path, { remove: ['alias/east'] }, job());
    assert.deepEqual(removed.removed, [east]);
    assert.deepEqual(keysOf(path), [west, third]);
    await assert.rejects(decryptWithOnly(east, messageOf(path)), /.+/);
    assert.equal(await decryptWithOnly(third, messageOf(path)), PLAINTEXT);

    const replaced = await rekeyFileInPlace(path, { keyIds: [east] }, job());
    assert.deepEqual(replaced.added, [east]);
    assert.deepEqual(replaced.removed, [west, third]);
    assert.deepEqual(keysOf(path), [east]);
    assert.equal(parseMessageHeader(messageOf(path))!.encryptionContext.app, 'web');
    assert.equal(await decryptWithOnly(east, messageOf(path)), PLAINTEXT);
  });

  it('refuses what would lose access or changes nothing, leaving the file as it was', async () => {
    const path = file();
    await encryptFileInPlace(path, { keyId: east, additionalKeyIds: [west] }, job());
    const bytes = readFileSync(path);
    const refusals: [Parameters<typeof rekeyFileInPlace>[1], RegExp][] = [
      [{ remove: [east, west] }, /would leave the message with no key that can decrypt it/],
      [{ remove: [third] }, /not encrypted for .* so it cannot be removed\. Its keys are/],
      [{ add: [west] }, /already encrypted for/],
      [{ keyIds: [west, east] }, /already encrypted for exactly these keys/],
      [{ keyIds: [] }, /"keyIds" is empty/],
      [{ keyIds: [third], add: [third] }, /either the whole new set/],
      [{ add: [third, idOf(third)] }, /named more than once/],
    ];
    for (const [change, reason] of refusals) {
      await assert.rejects(
        rekeyFileInPlace(path, change, job()),
        (error: unknown) => error instanceof KmsError && reason.test(error.message),
        JSON.stringify(change),
      );
      assert.ok(readFileSync(path).equals(bytes));
    }
    const blob = file('short');
    await encryptFileInPlace(blob, { keyId: east, format: 'blob' }, job());
    await assert.rejects(rekeyFileInPlace(blob, { add: [west] }, job()), /exactly one key/);
    await assert.rejects(
      encryptFileInPlace(file('short'), { keyId: east, additionalKeyIds: [west], format: 'blob' }, job()),
      /exactly one key/,
    );
    await assert.rejects(encryptFileInPlace(file('x'), { keyId: east, additionalKeyIds: [east] }, job()), /named more than once/);
  });

  it('a selection for several keys is always a message, even when short', async () => {
    const out = await encryptSecret(Buffer.from('hunter2'), { keyId: east, additionalKeyIds: [west] }, kms);
    assert.equal(out.kind, 'message');
    assert.deepEqual(out.keyIds, [east, west]);
    const found = detectTextCiphertext(out.ciphertext);
    assert.ok(found);
    assert.equal(await decryptWithOnly(west, found.bytes), 'hunter2');
    assert.equal((await decryptSecret(found, {}, kms)).plaintext.toString(), 'hunter2');
  });
});
