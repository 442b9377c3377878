import {
  CreateKeyCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  SignCommand,
} from '@aws-sdk/client-kms';
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import * as assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, utf8 } from './helpers';

const curves = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
} as const;

describe('KMS emulator: DeriveSharedSecret', () => {
  let kms: Emulator;
  let client: KMSClient;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
  });
  after(() => kms.close());

  for (const [spec, curve] of Object.entries(curves) as [keyof typeof curves, string][]) {
    it(`derives the same secret as Node's own ECDH for ${spec}`, async () => {
      const meta = (await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' }))).KeyMetadata!;
      assert.deepEqual(meta.KeyAgreementAlgorithms, ['ECDH']);
      assert.equal(meta.SigningAlgorithms, undefined);
      const peer = generateKeyPairSync('ec', { namedCurve: curve });
      const out = await client.send(
        new DeriveSharedSecretCommand({
          KeyId: meta.KeyId,
          KeyAgreementAlgorithm: 'ECDH',
          PublicKey: peer.publicKey.export({ type: 'spki', format: 'der' }),
        }),
      );
      const kmsPublic = createPublicKey({
        key: Buffer.from((await client.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }))).PublicKey!),
        format: 'der',
        type: 'spki',
      });
      assert.deepEqual(Buffer.from(out.SharedSecret!), diffieHellman({ privateKey: peer.privateKey, publicKey: kmsPublic }));
      assert.equal(out.KeyAgreementAlgorithm, 'ECDH');
      assert.equal(out.KeyOrigin, 'AWS_KMS');
    });
  }

  it('refuses other usages, other curves and keys that are not public keys', async () => {
    const agreement = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' }))).KeyMetadata!
      .KeyId!;
    const signing = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' });
    await rejectsWith(
      client.send(new DeriveSharedSecretCommand({ KeyId: signing, KeyAgreementAlgorithm: 'ECDH', PublicKey: p256 })),
      'InvalidKeyUsageException',
    );
    await rejectsWith(
      client.send(new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: p384 })),
      'ValidationException',
      { message: /curve/ },
    );
    await rejectsWith(
      client.send(new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: utf8('not a key') })),
      'ValidationException',
    );
    await rejectsWith(
      client.send(new SignCommand({ KeyId: agreement, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
    );
    await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' })), 'ValidationException');
    assert.equal((await client.send(new DescribeKeyCommand({ KeyId: agreement }))).KeyMetadata?.KeyUsage, 'KEY_AGREEMENT');
  });
});
