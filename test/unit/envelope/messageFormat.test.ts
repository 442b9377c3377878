// The Encryption SDK message format read and written without the SDK, checked against what
// the SDK itself writes: header fields, byte-exact rewriting, our key derivation and header
// authentication against the SDK's, and messages of format 1 and signed suites.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  deriveCommittingKeys,
  headerAuthTag,
  type MessageHeader,
  MessageFormatError,
  messageInfo,
  parseMessageHeader,
  regionOfKeyArn,
  rewriteHeaderBody,
  serializeEncryptionContext,
  verifyCommitment,
  verifyHeaderAuth,
} from '../../../src/core/envelope/messageFormat';
import { rewrapObstacle } from '../../../src/core/envelope/rewrap';
import { type KmsError } from '../../../src/core/kms/errors';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { directEncryptionSdk } from './encryptionSdk';

describe('Encryption SDK message format', function () {
  this.timeout(30_000);
  let kms: KmsFixture;
  let keyArn: string;
  let message: Buffer;
  let header: MessageHeader;
  before(async () => {
    kms = await startKmsFixture();
    keyArn = await kms.createKey();
    message = (
      await kms.envelope.encryptBuffer(randomBytes(3 * 1024 * 1024 + 5), {
        keyId: keyArn,
        encryptionContext: { app: 'web', ünïcode: 'välue' },
      })
    ).message;
    header = parseMessageHeader(message)!;
  });
  after(() => kms.close());

  it('reads the header the SDK writes: format 2, committing suite without signature, 1 MiB frames, context and key ARN', () => {
    assert.equal(header.version, 2);
    assert.equal(header.suite.id, 0x0478);
    assert.equal(header.suite.name, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY');
    assert.equal(header.frameLength, 1024 * 1024);
    assert.equal(header.contentType, 'framed');
    assert.equal(header.messageId.length, 32);
    assert.equal(header.suiteData.length, 32);
    assert.deepEqual(header.encryptionContext, { app: 'web', ünïcode: 'välue' });
    assert.deepEqual(messageInfo(header).keyArns, [keyArn]);
    assert.equal(regionOfKeyArn(keyArn), 'us-east-1');
    // 3 full frames and a final frame of 5 bytes follow the header.
    assert.equal(message.length - header.length, 3 * (4 + 12 + 1024 * 1024 + 16) + (4 + 4 + 12 + 4 + 5 + 16));
  });

  it('wants more bytes while the header is incomplete, and refuses what is not a header', () => {
    for (let n = 0; n < header.length; n += 37) assert.equal(parseMessageHeader(message.subarray(0, n)), undefined, `${n} bytes`);
    assert.throws(() => parseMessageHeader(Buffer.from('hello world, not a message')), MessageFormatError);
    const noKeys = Buffer.from(message.subarray(0, header.length));
    // Zero the EDK count (right after the context).
    noKeys.writeUInt16BE(0, header.contextSpan[1]);
    assert.throws(() => parseMessageHeader(noKeys), /no encrypted data key/);
    const many = Buffer.from(message.subarray(0, header.length));
    many.writeUInt16BE(11, header.contextSpan[1]);
    assert.throws(() => parseMessageHeader(many), /11 encrypted data keys/);
  });

  it('rewrites a header byte for byte when nothing changes, and with a new context or data keys when asked', () => {
    assert.deepEqual(rewriteHeaderBody(header, { encryptedDataKeys: header.encryptedDataKeys }), header.headerBody);
    const other = { providerId: 'aws-kms', providerInfo: 'arn:aws:kms:eu-west-1:111122223333:key/x', encryptedDataKey: randomBytes(200) };
    const body = rewriteHeaderBody(header, { encryptedDataKeys: [other], encryptionContext: { team: 'a', app: 'b' } });
    const reparsed = parseMessageHeader(Buffer.concat([body, randomBytes(16)]))!;
    assert.deepEqual(reparsed.encryptedDataKeys, [other]);
    assert.deepEqual(reparsed.encryptionContext, { app: 'b', team: 'a' });
    assert.deepEqual(reparsed.messageId, header.messageId);
    assert.deepEqual(reparsed.suiteData, header.suiteData);
    assert.equal(reparsed.frameLength, header.frameLength);
    // Pairs sorted by the UTF-8 bytes of their keys.
    assert.deepEqual(
      serializeEncryptionContext({ b: '1', a: '2', B: '3' }),
      Buffer.from([0, 20, 0, 3, 0, 1, 66, 0, 1, 51, 0, 1, 97, 0, 1, 50, 0, 1, 98, 0, 1, 49]),
    );
    assert.deepEqual(serializeEncryptionContext({}), Buffer.from([0, 0]));
  });

  it('derives the key commitment and header tag exactly as the SDK does', async () => {
    const edk = header.encryptedDataKeys[0];
    const { plaintext: dataKey } = await kms.gateway.decrypt({
      ciphertext: edk.encryptedDataKey,
      keyId: edk.providerInfo,
      encryptionContext: header.encryptionContext,
    });
    const { commitment, derivedKey } = deriveCommittingKeys(header.suite, dataKey, header.messageId);
    verifyCommitment(header, commitment);
    verifyHeaderAuth(header, derivedKey);
    assert.deepEqual(headerAuthTag(derivedKey, header.headerBody), header.headerTag);
    const wrongKey = deriveCommittingKeys(header.suite, randomBytes(32), header.messageId);
    assert.throws(
      () => verifyCommitment(header, wrongKey.commitment),
      (e: KmsError) => e.code === 'TamperedCiphertext',
    );
    assert.throws(
      () => verifyHeaderAuth(header, wrongKey.derivedKey),
      (e: KmsError) => e.code === 'TamperedCiphertext' && /header does not authenticate/.test(e.message),
    );
  });

  it('reads format 1 and signed messages of other Encryption SDK settings (and knows they cannot be re-wrapped)', async () => {
    const legacy = await directEncryptionSdk(kms, 'FORBID_ENCRYPT_ALLOW_DECRYPT');
    const strict = await directEncryptionSdk(kms);
    try {
      const v1 = (
        await legacy.client.encrypt(legacy.keyring(keyArn), Buffer.from('old'), {
          suiteId: legacy.suites.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
          encryptionContext: { a: '1' },
        })
      ).result;
      const h1 = parseMessageHeader(v1)!;
      assert.equal(h1.version, 1);
      assert.equal(h1.messageId.length, 16);
      assert.equal(h1.headerIv.length, 12);
      assert.deepEqual(h1.encryptionContext, { a: '1' });
      assert.match(rewrapObstacle(h1) ?? '', /format 1/);
      // The SDK's defaults: committing suite with an ECDSA signature.
      const signed = (await strict.client.encrypt(strict.keyring(keyArn), Buffer.from('cli'))).result;
      const h2 = parseMessageHeader(signed)!;
      assert.equal(h2.suite.name, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384');
      assert.ok(h2.suite.signed);
      assert.ok('aws-crypto-public-key' in h2.encryptionContext);
      assert.match(rewrapObstacle(h2) ?? '', /signs the header/);
      assert.equal(rewrapObstacle(header), undefined);
    } finally {
      legacy.close();
      strict.close();
    }
  });
});
