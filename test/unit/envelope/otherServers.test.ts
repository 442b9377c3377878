// Other KMS servers make ciphertext blobs of other shapes and answer with bare key ids. A
// proxy in front of the emulator makes it look like them: it wraps every CiphertextBlob it
// returns in another server's shape (moto/LocalStack: the 36-character key id first;
// local-kms: length-prefixed key ARN and key version; "unknown": 8 random bytes, a shape
// nobody here knows) and unwraps them on the way in, and (moto) answers with key ids, not
// ARNs. Every text and file operation must work against each.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { detectTextCiphertext } from '../../../src/core/envelope/detect';
import { decryptFileInPlace, encryptFileInPlace, reEncryptFileInPlace } from '../../../src/core/envelope/fileEncryption';
import { decryptSecret, encryptSecret, reEncryptSecret, type SecretCrypto } from '../../../src/core/envelope/secretText';
import type { KmsClientFactory } from '../../../src/core/kms/client';
import { signedRequest } from '../emulator/helpers';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

type Shape = 'moto' | 'local-kms' | 'unknown';

const UNKNOWN_PREFIX = randomBytes(8);
const BLOB_FIELDS = ['CiphertextBlob', 'CiphertextForRecipient'];

/** The emulator's blob wrapped as another server would shape it. */
function wrap(shape: Shape, blob: Buffer, keyArn: string): Buffer {
  if (shape === 'moto') return Buffer.concat([Buffer.from(keyArn.split('/').pop()!, 'ascii'), blob]);
  if (shape === 'local-kms') return Buffer.concat([Buffer.from([keyArn.length]), Buffer.from(keyArn, 'ascii'), Buffer.alloc(4), blob]);
  return Buffer.concat([UNKNOWN_PREFIX, blob]);
}

function unwrap(shape: Shape, blob: Buffer): Buffer {
  if (shape === 'moto') return blob.subarray(36);
  if (shape === 'local-kms') return blob.subarray(1 + blob[0] + 4);
  return blob.subarray(UNKNOWN_PREFIX.length);
}

/** A KMS endpoint that is the emulator underneath, with another server's blob shapes and key ids. */
async function shapeShiftingProxy(emulatorUrl: string, shape: Shape): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const target = String(req.headers['x-amz-target']);
        const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? 'us-east-1';
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        for (const field of ['CiphertextBlob']) {
          if (typeof input[field] === 'string') input[field] = unwrap(shape, Buffer.from(input[field], 'base64')).toString('base64');
        }
        const answer = await signedRequest(emulatorUrl, target, JSON.stringify(input), { region });
        let text = answer.text;
        if (answer.status === 200 && text) {
          const out = JSON.parse(text) as Record<string, unknown>;
          const keyArn = typeof out.KeyId === 'string' ? out.KeyId : '';
          for (const field of BLOB_FIELDS) {
            if (typeof out[field] === 'string') out[field] = wrap(shape, Buffer.from(out[field], 'base64'), keyArn).toString('base64');
          }
          if (shape === 'moto') {
            for (const field of ['KeyId', 'SourceKeyId']) if (typeof out[field] === 'string') out[field] = out[field].split('/').pop();
          }
          text = JSON.stringify(out);
        }
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/x-amz-json-1.1' });
        res.end(text);
      })().catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'KMSInternalException', message: String(error) }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

for (const shape of ['moto', 'local-kms', 'unknown'] as const) {
  describe(`against a KMS with ${shape} blob shapes`, function () {
    this.timeout(30_000);
    let kms: KmsFixture;
    let proxy: { url: string; server: Server };
    let crypto: SecretCrypto & { factory: KmsClientFactory };
    let key: string;
    let other: string;

    before(async () => {
      kms = await startKmsFixture();
      key = await kms.createKey({ alias: 'alias/shapes' });
      other = await kms.createKey();
      proxy = await shapeShiftingProxy(kms.emulator.url, shape);
      crypto = kms.clientAt(proxy.url, { id: `proxy-${shape}`, label: shape });
    });
    after(async () => {
      crypto?.factory.forget();
      proxy?.server.close();
      await kms?.close();
    });

    it('encrypts, recognises, decrypts and re-encrypts a blob', async () => {
      const enc = await encryptSecret(Buffer.from('s3cret'), { keyId: 'alias/shapes', encryptionContext: { app: shape } }, crypto);
      assert.ok(!enc.ciphertext.startsWith('AQICAHh'), `not AWS-shaped: ${enc.ciphertext.slice(0, 12)}`);
      const found = detectTextCiphertext(enc.ciphertext);
      assert.equal(found?.kind, 'blob');
      assert.equal(found?.confidence, shape === 'unknown' ? 'plausible' : 'structure');
      assert.equal(found?.blob?.shape, { moto: 'key-id-prefix', 'local-kms': 'arn-prefix', unknown: undefined }[shape]);
      assert.equal((await decryptSecret(found, { encryptionContext: { app: shape } }, crypto)).plaintext.toString(), 's3cret');
      const re = await reEncryptSecret(found, { keyId: other, sourceEncryptionContext: { app: shape } }, crypto);
      const again = await decryptSecret(detectTextCiphertext(re.ciphertext)!, { encryptionContext: { app: shape } }, crypto);
      assert.equal(again.plaintext.toString(), 's3cret');
      assert.ok(again.keyId.endsWith(other.split('/').pop()!));
    });

    it('encrypts, decrypts and re-wraps an Encryption SDK message (data keys in this shape, key ARNs in the header)', async () => {
      const plaintext = randomBytes(9000);
      const enc = await encryptSecret(plaintext, { keyId: 'alias/shapes' }, crypto);
      assert.equal(enc.kind, 'message');
      assert.equal(enc.keyId, key, 'the header names the key by ARN even when the server answers with an id');
      const found = detectTextCiphertext(enc.ciphertext)!;
      assert.deepEqual(
        found.header?.encryptedDataKeys.map((k) => k.providerInfo),
        [key],
      );
      assert.deepEqual((await decryptSecret(found, {}, crypto)).plaintext, plaintext);
      const re = await reEncryptSecret(found, { keyId: other }, crypto);
      assert.equal(re.keyId, other);
      assert.deepEqual((await decryptSecret(detectTextCiphertext(re.ciphertext)!, {}, crypto)).plaintext, plaintext);
    });

    it('encrypts, re-encrypts and decrypts files (message and blob formats)', async () => {
      const job = { ...crypto };
      for (const format of ['base64', 'blob'] as const) {
        const plaintext = format === 'blob' ? Buffer.from('TOKEN=abc\n') : randomBytes(2 * 1024 * 1024 + 3);
        const path = join(kms.dir, `${shape}-${format}.env`);
        writeFileSync(path, plaintext);
        await encryptFileInPlace(path, { keyId: 'alias/shapes', format }, job);
        const re = await reEncryptFileInPlace(path, { keyId: other }, job);
        assert.equal(re.method, format === 'blob' ? 'blob' : 'rewrap');
        await decryptFileInPlace(path, {}, job);
        assert.ok(readFileSync(path).equals(plaintext), format);
      }
    });
  });
}
