import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  type KMSClient,
  ListKeyRotationsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, constants } from 'node:crypto';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, text, utf8 } from './helpers';

describe('KMS emulator: symmetric encryption and data keys', () => {
  let kms: Emulator;
  let client: KMSClient;
  let keyId: string;
  let keyArn: string;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
    const created = await client.send(new CreateKeyCommand({ Description: 'symmetric' }));
    keyId = created.KeyMetadata!.KeyId!;
    keyArn = created.KeyMetadata!.Arn!;
  });
  after(() => kms.close());

  it('encrypts into an AWS-looking blob that decrypts without a KeyId, with the context bound', async () => {
    const encrypted = await client.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: utf8('s3cret'), EncryptionContext: { app: 'web', env: 'prod' } }),
    );
    assert.equal(encrypted.KeyId, keyArn);
    assert.equal(encrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    assert.ok(Buffer.from(encrypted.CiphertextBlob!).toString('base64').startsWith('AQICAHh'));
    // Context order does not matter: it is canonicalised.
    const decrypted = await client.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { env: 'prod', app: 'web' } }),
    );
    assert.equal(text(decrypted.Plaintext), 's3cret');
    assert.equal(decrypted.KeyId, keyArn);
    assert.equal(decrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    const twice = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('s3cret') }));
    assert.notDeepEqual(Buffer.from(twice.CiphertextBlob!), Buffer.from(encrypted.CiphertextBlob!), 'a fresh IV each time');
  });

  it('decrypts when the KeyId names the key by id, ARN or alias', async () => {
    await client.send(new CreateAliasCommand({ AliasName: 'alias/symmetric-test', TargetKeyId: keyId }));
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: 'alias/symmetric-test', Plaintext: utf8('x') }));
    for (const id of [keyId, keyArn, 'alias/symmetric-test', 'arn:aws:kms:us-east-1:111122223333:alias/symmetric-test']) {
      assert.equal(text((await client.send(new DecryptCommand({ CiphertextBlob, KeyId: id }))).Plaintext), 'x');
    }
  });

  it('answers IncorrectKeyException when Decrypt names another key', async () => {
    const other = await client.send(new CreateKeyCommand({}));
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }));
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob, KeyId: other.KeyMetadata!.KeyId })), 'IncorrectKeyException');
  });

  it('answers InvalidCiphertextException for a wrong context, a missing context, an added context and a flipped byte', async () => {
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { app: 'web' } }),
    );
    const message = /altered.*encryption context/;
    await rejectsWith(
      client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { app: 'api' } })),
      'InvalidCiphertextException',
      { message },
    );
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob })), 'InvalidCiphertextException', { message });
    await rejectsWith(
      client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { app: 'web', extra: '1' } })),
      'InvalidCiphertextException',
    );
    const blob = Buffer.from(CiphertextBlob!);
    for (const at of [blob.length - 1, blob.length - 20, 50, 3]) {
      const flipped = Buffer.from(blob);
      flipped[at] ^= 0x01;
      await rejectsWith(
        client.send(new DecryptCommand({ CiphertextBlob: flipped, EncryptionContext: { app: 'web' } })),
        'InvalidCiphertextException',
      );
    }
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob: blob.subarray(0, 40) })), 'InvalidCiphertextException');
  });

  it('enforces the plaintext limit of 1 to 4096 bytes', async () => {
    const max = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.alloc(4096, 7) }));
    assert.equal((await client.send(new DecryptCommand({ CiphertextBlob: max.CiphertextBlob }))).Plaintext?.length, 4096);
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.alloc(4097) })), 'ValidationException', {
      message: /'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096/,
    });
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.alloc(0) })), 'ValidationException');
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), DryRun: true })), 'DryRunOperationException', {
      status: 412,
    });
  });

  it('re-encrypts from one key and context to another', async () => {
    const destination = await client.send(new CreateKeyCommand({}));
    const source = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('move me'), EncryptionContext: { from: 'a' } }));
    await rejectsWith(
      client.send(
        new ReEncryptCommand({
          CiphertextBlob: source.CiphertextBlob,
          SourceEncryptionContext: { from: 'wrong' },
          DestinationKeyId: destination.KeyMetadata!.KeyId,
        }),
      ),
      'InvalidCiphertextException',
    );
    const moved = await client.send(
      new ReEncryptCommand({
        CiphertextBlob: source.CiphertextBlob,
        SourceEncryptionContext: { from: 'a' },
        DestinationKeyId: destination.KeyMetadata!.KeyId,
        DestinationEncryptionContext: { to: 'b' },
      }),
    );
    assert.equal(moved.SourceKeyId, keyArn);
    assert.equal(moved.KeyId, destination.KeyMetadata!.Arn);
    assert.equal(moved.SourceEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    assert.equal(moved.DestinationEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    await rejectsWith(
      client.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, KeyId: keyId, EncryptionContext: { to: 'b' } })),
      'IncorrectKeyException',
    );
    const back = await client.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { to: 'b' } }));
    assert.equal(text(back.Plaintext), 'move me');
    assert.equal(back.KeyId, destination.KeyMetadata!.Arn);
  });

  it('generates data keys by KeySpec or NumberOfBytes, with and without plaintext', async () => {
    const aes256 = await client.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { purpose: 'dek' } }),
    );
    assert.equal(aes256.Plaintext?.length, 32);
    assert.equal(aes256.KeyId, keyArn);
    const unwrapped = await client.send(
      new DecryptCommand({ CiphertextBlob: aes256.CiphertextBlob, EncryptionContext: { purpose: 'dek' } }),
    );
    assert.deepEqual(Buffer.from(unwrapped.Plaintext!), Buffer.from(aes256.Plaintext));
    assert.equal((await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_128' }))).Plaintext?.length, 16);
    assert.equal((await client.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 64 }))).Plaintext?.length, 64);
    await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId })), 'ValidationException', {
      message: /either number of bytes or key spec/,
    });
    await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 1025 })), 'ValidationException');
    const without = await client.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    assert.ok(!('Plaintext' in without));
    assert.equal((await client.send(new DecryptCommand({ CiphertextBlob: without.CiphertextBlob }))).Plaintext?.length, 32);
  });

  it('generates data key pairs: PKCS#8 private key, SPKI public key, the private key wrapped', async () => {
    const pair = await client.send(
      new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { k: 'v' } }),
    );
    assert.equal(pair.KeyPairSpec, 'ECC_NIST_P256');
    const privateKey = createPrivateKey({ key: Buffer.from(pair.PrivateKeyPlaintext!), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey({ key: Buffer.from(pair.PublicKey!), format: 'der', type: 'spki' });
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.deepEqual(
      createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
      publicKey.export({ format: 'der', type: 'spki' }),
    );
    const unwrapped = await client.send(
      new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { k: 'v' } }),
    );
    assert.deepEqual(Buffer.from(unwrapped.Plaintext!), Buffer.from(pair.PrivateKeyPlaintext!));

    const rsa = await client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: keyId, KeyPairSpec: 'RSA_2048' }));
    assert.ok(!('PrivateKeyPlaintext' in rsa));
    const rsaPrivate = createPrivateKey({
      key: Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob: rsa.PrivateKeyCiphertextBlob }))).Plaintext!),
      format: 'der',
      type: 'pkcs8',
    });
    const sealed = publicEncrypt(
      {
        key: createPublicKey({ key: Buffer.from(rsa.PublicKey!), format: 'der', type: 'spki' }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
      },
      utf8('pair'),
    );
    assert.equal(privateDecrypt({ key: rsaPrivate, padding: constants.RSA_PKCS1_OAEP_PADDING }, sealed).toString(), 'pair');
  });

  it('generates 1 to 1024 random bytes', async () => {
    const a = await client.send(new GenerateRandomCommand({ NumberOfBytes: 1024 }));
    const b = await client.send(new GenerateRandomCommand({ NumberOfBytes: 1024 }));
    assert.equal(a.Plaintext?.length, 1024);
    assert.notDeepEqual(Buffer.from(a.Plaintext), Buffer.from(b.Plaintext!));
    await rejectsWith(client.send(new GenerateRandomCommand({ NumberOfBytes: 1025 })), 'ValidationException', {
      message: /less than or equal to 1024/,
    });
    await rejectsWith(client.send(new GenerateRandomCommand({ NumberOfBytes: 0 })), 'ValidationException', {
      message: /greater than or equal to 1/,
    });
  });

  it('still decrypts old ciphertexts after RotateKeyOnDemand, and encrypts under the new material', async () => {
    const key = await client.send(new CreateKeyCommand({}));
    const id = key.KeyMetadata!.KeyId!;
    const before = await client.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('old'), EncryptionContext: { v: '1' } }));
    const materialBefore = (await client.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.CurrentKeyMaterialId;
    assert.match(materialBefore ?? '', /^[0-9a-f]{64}$/);
    assert.equal((await client.send(new RotateKeyOnDemandCommand({ KeyId: id }))).KeyId, id);
    const materialAfter = (await client.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.CurrentKeyMaterialId;
    assert.notEqual(materialAfter, materialBefore);
    const rotations = await client.send(new ListKeyRotationsCommand({ KeyId: id }));
    assert.equal(rotations.Rotations?.length, 1);
    assert.equal(rotations.Rotations?.[0]?.RotationType, 'ON_DEMAND');
    assert.equal(rotations.Rotations?.[0]?.KeyMaterialId, materialAfter);
    const after = await client.send(new EncryptCommand({ KeyId: id, Plaintext: utf8('new') }));
    const header = (blob: Uint8Array | undefined): string => Buffer.from(blob!).subarray(0, 80).toString('hex');
    assert.notEqual(header(after.CiphertextBlob), header(before.CiphertextBlob), 'the blob names the new material');
    assert.equal(
      text((await client.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { v: '1' } }))).Plaintext),
      'old',
    );
    assert.equal(text((await client.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }))).Plaintext), 'new');
  });
});
