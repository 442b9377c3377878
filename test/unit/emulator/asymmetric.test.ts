import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  type KMSClient,
  type KeySpec,
  SignCommand,
  type SigningAlgorithmSpec,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, type KeyObject, publicEncrypt, verify } from 'node:crypto';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, text, utf8 } from './helpers';

describe('KMS emulator: asymmetric keys and HMAC', () => {
  let kms: Emulator;
  let client: KMSClient;
  const message = utf8('the message to sign');

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
  });
  after(() => kms.close());

  async function createKey(KeySpec: KeySpec, KeyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC'): Promise<string> {
    return (await client.send(new CreateKeyCommand({ KeySpec, KeyUsage }))).KeyMetadata!.KeyId!;
  }

  async function publicKey(keyId: string): Promise<KeyObject> {
    const got = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    return createPublicKey({ key: Buffer.from(got.PublicKey!), format: 'der', type: 'spki' });
  }

  it('describes RSA and ECC keys with their algorithms, and GetPublicKey gives the SPKI key', async () => {
    const signer = await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    assert.deepEqual(signer.KeyMetadata?.SigningAlgorithms, [
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
    ]);
    assert.equal(signer.KeyMetadata?.EncryptionAlgorithms, undefined);
    assert.equal(signer.KeyMetadata?.CustomerMasterKeySpec, 'RSA_2048');
    const got = await client.send(new GetPublicKeyCommand({ KeyId: signer.KeyMetadata.KeyId }));
    assert.equal(got.KeySpec, 'RSA_2048');
    assert.equal(got.KeyUsage, 'SIGN_VERIFY');
    assert.equal(got.KeyId, signer.KeyMetadata?.Arn);
    assert.equal(
      createPublicKey({ key: Buffer.from(got.PublicKey!), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength,
      2048,
    );
    const ecc = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }));
    assert.deepEqual(ecc.KeyMetadata?.SigningAlgorithms, ['ECDSA_SHA_384']);
    const symmetric = await client.send(new CreateKeyCommand({}));
    await rejectsWith(client.send(new GetPublicKeyCommand({ KeyId: symmetric.KeyMetadata!.KeyId })), 'UnsupportedOperationException');
  });

  it('signs with RSASSA-PKCS1-v1_5: the signature verifies with node:crypto and the public key', async () => {
    const keyId = await createKey('RSA_2048', 'SIGN_VERIFY');
    const key = await publicKey(keyId);
    for (const [algorithm, hash] of [
      ['RSASSA_PKCS1_V1_5_SHA_256', 'sha256'],
      ['RSASSA_PKCS1_V1_5_SHA_512', 'sha512'],
    ] as const) {
      const signed = await client.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: algorithm }));
      assert.equal(signed.SigningAlgorithm, algorithm);
      assert.equal(signed.Signature?.length, 256);
      assert.ok(verify(hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, signed.Signature));
      assert.ok(!verify(hash, utf8('another message'), { key, padding: constants.RSA_PKCS1_PADDING }, signed.Signature));
      const digest = createHash(hash).update(message).digest();
      const ofDigest = await client.send(
        new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
      );
      assert.ok(
        verify(hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, ofDigest.Signature!),
        'DIGEST signature verifies over the message',
      );
    }
  });

  it('signs with RSASSA-PSS with a salt as long as the digest, as KMS does', async () => {
    const keyId = await createKey('RSA_2048', 'SIGN_VERIFY');
    const key = await publicKey(keyId);
    for (const [algorithm, hash, saltLength] of [
      ['RSASSA_PSS_SHA_256', 'sha256', 32],
      ['RSASSA_PSS_SHA_384', 'sha384', 48],
    ] as const) {
      const raw = await client.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: algorithm }));
      assert.ok(verify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, raw.Signature!));
      assert.ok(
        !verify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength + 1 }, raw.Signature!),
        'the salt length is exactly the digest length',
      );
      const digest = createHash(hash).update(message).digest();
      const ofDigest = await client.send(
        new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
      );
      assert.ok(verify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, ofDigest.Signature!));
      const verified = await client.send(
        new VerifyCommand({ KeyId: keyId, Message: message, Signature: raw.Signature, SigningAlgorithm: algorithm }),
      );
      assert.equal(verified.SignatureValid, true);
      assert.equal(
        (
          await client.send(
            new VerifyCommand({
              KeyId: keyId,
              Message: digest,
              MessageType: 'DIGEST',
              Signature: raw.Signature,
              SigningAlgorithm: algorithm,
            }),
          )
        ).SignatureValid,
        true,
      );
    }
  });

  const curves: Array<[KeySpec, SigningAlgorithmSpec, string, string]> = [
    ['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256', 'prime256v1'],
    ['ECC_NIST_P384', 'ECDSA_SHA_384', 'sha384', 'secp384r1'],
    ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512', 'secp521r1'],
    ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'sha256', 'secp256k1'],
  ];
  for (const [spec, algorithm, hash, curve] of curves) {
    it(`signs with ECDSA on ${spec}: DER signatures, RAW and DIGEST, verified by node:crypto`, async () => {
      const keyId = await createKey(spec, 'SIGN_VERIFY');
      const key = await publicKey(keyId);
      assert.equal(key.asymmetricKeyDetails?.namedCurve, curve);
      const raw = await client.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: algorithm }));
      assert.equal(raw.Signature?.[0], 0x30, 'DER SEQUENCE');
      assert.ok(verify(hash, message, { key, dsaEncoding: 'der' }, raw.Signature));
      const digest = createHash(hash).update(message).digest();
      const ofDigest = await client.send(
        new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
      );
      assert.ok(verify(hash, message, { key, dsaEncoding: 'der' }, ofDigest.Signature!));
      assert.equal(
        (
          await client.send(
            new VerifyCommand({
              KeyId: keyId,
              Message: digest,
              MessageType: 'DIGEST',
              Signature: raw.Signature,
              SigningAlgorithm: algorithm,
            }),
          )
        ).SignatureValid,
        true,
      );
      await rejectsWith(
        client.send(new VerifyCommand({ KeyId: keyId, Message: utf8('tampered'), Signature: raw.Signature, SigningAlgorithm: algorithm })),
        'KMSInvalidSignatureException',
      );
      await rejectsWith(
        client.send(new SignCommand({ KeyId: keyId, Message: digest.subarray(1), MessageType: 'DIGEST', SigningAlgorithm: algorithm })),
        'ValidationException',
        { message: /Digest is invalid length/ },
      );
    });
  }

  it('refuses a signing algorithm the key does not support, and signing with an encryption key', async () => {
    const ecc = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    await rejectsWith(
      client.send(new SignCommand({ KeyId: ecc, Message: message, SigningAlgorithm: 'ECDSA_SHA_384' })),
      'InvalidKeyUsageException',
    );
    const symmetric = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await rejectsWith(
      client.send(new SignCommand({ KeyId: symmetric, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
      { message: /key usage is ENCRYPT_DECRYPT which is not valid for Sign/ },
    );
    await rejectsWith(client.send(new EncryptCommand({ KeyId: ecc, Plaintext: message })), 'InvalidKeyUsageException', {
      message: /key usage is SIGN_VERIFY which is not valid for Encrypt/,
    });
  });

  it('decrypts an RSAES-OAEP ciphertext made locally with the public key (SHA-1 and SHA-256)', async () => {
    const keyId = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const meta = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    assert.deepEqual(meta.EncryptionAlgorithms, ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    const key = await publicKey(keyId);
    for (const [algorithm, oaepHash] of [
      ['RSAES_OAEP_SHA_256', 'sha256'],
      ['RSAES_OAEP_SHA_1', 'sha1'],
    ] as const) {
      const local = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, utf8(`made locally, ${algorithm}`));
      const decrypted = await client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: local, EncryptionAlgorithm: algorithm }));
      assert.equal(text(decrypted.Plaintext), `made locally, ${algorithm}`);
      assert.equal(decrypted.EncryptionAlgorithm, algorithm);
    }
    const wrongHash = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, utf8('x'));
    await rejectsWith(
      client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: wrongHash, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
      'InvalidCiphertextException',
    );
    await rejectsWith(
      client.send(new DecryptCommand({ CiphertextBlob: wrongHash, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })),
      'InvalidCiphertextException',
    );
  });

  it('encrypts with RSAES-OAEP within the size limit; RSA keys need an OAEP algorithm and make no data keys', async () => {
    const keyId = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const encrypted = await client.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.alloc(190, 1), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    assert.equal(encrypted.CiphertextBlob?.length, 256);
    const back = await client.send(
      new DecryptCommand({ KeyId: keyId, CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    assert.deepEqual(Buffer.from(back.Plaintext!), Buffer.alloc(190, 1));
    await rejectsWith(
      client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.alloc(191), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
      'ValidationException',
      { message: /at most 190 bytes/ },
    );
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: message })), 'InvalidKeyUsageException', {
      message: /SYMMETRIC_DEFAULT is not valid/,
    });
    await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })), 'InvalidKeyUsageException');
  });

  it('makes and checks HMACs with the key’s MAC algorithm only', async () => {
    const created = await client.send(new CreateKeyCommand({ KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    assert.deepEqual(created.KeyMetadata?.MacAlgorithms, ['HMAC_SHA_384']);
    const keyId = created.KeyMetadata.KeyId!;
    const mac = await client.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_384' }));
    assert.equal(mac.Mac?.length, 48);
    assert.equal(mac.KeyId, created.KeyMetadata?.Arn);
    const again = await client.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_384' }));
    assert.deepEqual(Buffer.from(again.Mac!), Buffer.from(mac.Mac), 'HMAC is deterministic');
    const other = await client.send(new CreateKeyCommand({ KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    const otherMac = await client.send(
      new GenerateMacCommand({ KeyId: other.KeyMetadata!.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_384' }),
    );
    assert.notDeepEqual(Buffer.from(otherMac.Mac!), Buffer.from(mac.Mac), 'each key has its own secret');
    assert.equal(
      (await client.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: mac.Mac, MacAlgorithm: 'HMAC_SHA_384' }))).MacValid,
      true,
    );
    await rejectsWith(
      client.send(new VerifyMacCommand({ KeyId: keyId, Message: utf8('other'), Mac: mac.Mac, MacAlgorithm: 'HMAC_SHA_384' })),
      'KMSInvalidMacException',
    );
    await rejectsWith(
      client.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' })),
      'InvalidKeyUsageException',
    );
    await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: message })), 'InvalidKeyUsageException');
    await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' })), 'ValidationException', {
      message: /KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec HMAC_256/,
    });
  });

  it('generates the pair of a new asymmetric key once, even under concurrent first use', async () => {
    const keyId = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const keys = await Promise.all([1, 2, 3].map(() => client.send(new GetPublicKeyCommand({ KeyId: keyId }))));
    const distinct = new Set(keys.map((k) => Buffer.from(k.PublicKey!).toString('base64')));
    assert.equal(distinct.size, 1);
  });
});
