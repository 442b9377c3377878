// ML-DSA signing and ML-KEM encapsulation in the emulator, through the real SDK, checked against
// @noble/post-quantum directly (the public key from GetPublicKey verifies the signatures KMS
// made; a secret encapsulated to that public key is the one Decapsulate recovers).
import {
  CreateKeyCommand,
  DecapsulateCommand,
  DescribeKeyCommand,
  EncapsulateCommand,
  GetPublicKeyCommand,
  type KMSClient,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import * as assert from 'node:assert/strict';
import { externalMu, rawPublicKeyOf } from '../../emulator/postQuantum';
import { type Emulator, startEmulator } from '../../emulator/server';
import { kmsClient, rejectsWith, utf8 } from './helpers';

const dsa = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 } as const;
const kem = { ML_KEM_512: [ml_kem512, 768], ML_KEM_768: [ml_kem768, 1088], ML_KEM_1024: [ml_kem1024, 1568] } as const;

describe('KMS emulator: ML-DSA and ML-KEM keys', () => {
  let kms: Emulator;
  let client: KMSClient;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    client = kmsClient(kms);
  });
  after(() => kms.close());

  for (const [spec, impl] of Object.entries(dsa) as [keyof typeof dsa, (typeof dsa)[keyof typeof dsa]][]) {
    it(`${spec}: signs RAW messages and EXTERNAL_MU, verifiable with the public key outside KMS`, async () => {
      const meta = (await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
      assert.deepEqual(meta.SigningAlgorithms, ['ML_DSA_SHAKE_256']);
      const pub = await client.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
      assert.equal(pub.KeySpec, spec);
      const publicKey = rawPublicKeyOf(Buffer.from(pub.PublicKey!));
      assert.equal(publicKey.length, impl.lengths.publicKey);

      const message = utf8('release v1.2.3');
      const raw = await client.send(
        new SignCommand({ KeyId: meta.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      );
      assert.equal(raw.Signature!.length, impl.lengths.signature);
      assert.equal(impl.verify(raw.Signature!, message, publicKey), true, 'pure ML-DSA with an empty context');
      assert.equal(
        (
          await client.send(
            new VerifyCommand({ KeyId: meta.KeyId, Message: message, Signature: raw.Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
          )
        ).SignatureValid,
        true,
      );

      // μ computed outside KMS: the signature verifies as one of the message itself.
      const mu = externalMu(publicKey, message);
      const muSig = await client.send(
        new SignCommand({ KeyId: meta.KeyId, Message: mu, MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      );
      assert.equal(impl.verify(muSig.Signature!, message, publicKey), true);
      assert.equal(
        (
          await client.send(
            new VerifyCommand({ KeyId: meta.KeyId, Message: message, Signature: muSig.Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
          )
        ).SignatureValid,
        true,
      );
      await rejectsWith(
        client.send(
          new VerifyCommand({ KeyId: meta.KeyId, Message: utf8('other'), Signature: raw.Signature, SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
        ),
        'KMSInvalidSignatureException',
      );
    });
  }

  it('refuses DIGEST, a μ that is not 64 bytes, other algorithms and other usages', async () => {
    const keyId = (await client.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId;
    await rejectsWith(
      client.send(
        new SignCommand({ KeyId: keyId, Message: Buffer.alloc(32), MessageType: 'DIGEST', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      ),
      'ValidationException',
      { message: /DIGEST/ },
    );
    await rejectsWith(
      client.send(
        new SignCommand({ KeyId: keyId, Message: Buffer.alloc(32), MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      ),
      'ValidationException',
      { message: /64-byte/ },
    );
    await rejectsWith(
      client.send(new SignCommand({ KeyId: keyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
    );
    await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_65', KeyUsage: 'ENCRYPT_DECRYPT' })), 'ValidationException');
    const rsa = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId;
    await rejectsWith(
      client.send(
        new SignCommand({ KeyId: rsa, Message: Buffer.alloc(64), MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ECDSA_SHA_256' }),
      ),
      'ValidationException',
      { message: /ML-DSA/ },
    );
  });

  for (const [spec, [impl, ciphertextLength]] of Object.entries(kem) as [keyof typeof kem, (typeof kem)[keyof typeof kem]][]) {
    it(`${spec}: Encapsulate and Decapsulate share a 32-byte secret; a secret encapsulated outside KMS to its public key comes back`, async () => {
      const meta = (await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'ENCAPSULATE_DECAPSULATE' }))).KeyMetadata!;
      assert.deepEqual((await client.send(new DescribeKeyCommand({ KeyId: meta.KeyId }))).KeyMetadata?.EncapsulationAlgorithms, ['ML_KEM']);
      const made = await client.send(new EncapsulateCommand({ KeyId: meta.KeyId, EncapsulationAlgorithm: 'ML_KEM' }));
      assert.equal(made.SharedSecret!.length, 32);
      assert.equal(made.SharedSecretCiphertextBlob!.length, ciphertextLength);
      const back = await client.send(
        new DecapsulateCommand({
          KeyId: meta.KeyId,
          SharedSecretCiphertextBlob: made.SharedSecretCiphertextBlob,
          EncapsulationAlgorithm: 'ML_KEM',
        }),
      );
      assert.deepEqual(Buffer.from(back.SharedSecret!), Buffer.from(made.SharedSecret!));

      const pub = await client.send(new GetPublicKeyCommand({ KeyId: meta.KeyId }));
      assert.deepEqual(pub.EncapsulationAlgorithms, ['ML_KEM']);
      const outside = impl.encapsulate(rawPublicKeyOf(Buffer.from(pub.PublicKey!)));
      const recovered = await client.send(
        new DecapsulateCommand({ KeyId: meta.KeyId, SharedSecretCiphertextBlob: outside.cipherText, EncapsulationAlgorithm: 'ML_KEM' }),
      );
      assert.deepEqual(Buffer.from(recovered.SharedSecret!), Buffer.from(outside.sharedSecret));
    });
  }

  it('refuses a ciphertext of the wrong length, Encapsulate with a symmetric key, and ML-KEM for key agreement', async () => {
    const keyId = (await client.send(new CreateKeyCommand({ KeySpec: 'ML_KEM_768', KeyUsage: 'ENCAPSULATE_DECAPSULATE' }))).KeyMetadata!
      .KeyId;
    await rejectsWith(
      client.send(
        new DecapsulateCommand({ KeyId: keyId, SharedSecretCiphertextBlob: Buffer.alloc(100), EncapsulationAlgorithm: 'ML_KEM' }),
      ),
      'ValidationException',
      { message: /1088-byte/ },
    );
    const symmetric = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId;
    await rejectsWith(
      client.send(new EncapsulateCommand({ KeyId: symmetric, EncapsulationAlgorithm: 'ML_KEM' })),
      'InvalidKeyUsageException',
    );
    await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'ML_KEM_512', KeyUsage: 'KEY_AGREEMENT' })), 'ValidationException');
  });
});
