// ML-DSA and ML-KEM keys through the commands (issue 13), in the real extension host against the
// emulator: Create Key with the post-quantum specs, Sign and Verify with ML_DSA_SHAKE_256 (the
// message itself and its μ, EXTERNAL_MU), Encapsulate and Decapsulate with ML-KEM. What KMS
// answers is checked outside it with @noble/post-quantum and the key's public key.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { DecapsulateResult, EncapsulateResult } from '../../src/host/keyCommands/keyEncapsulation';
import type { SignResult, VerifyResult } from '../../src/host/keyCommands/signVerify';
import { activeText, closeEditors, createKey, type Env, lifecycleEnv, refused, run, testing } from './lifecycle/support';

/** The raw public key at the end of a SubjectPublicKeyInfo (ML-DSA-65: 1,952 bytes; ML-KEM-768: 1,184). */
const rawPublicKey = (spki: Uint8Array, length: number): Uint8Array => spki.subarray(spki.length - length);

/** μ as FIPS 204 defines it for pure ML-DSA with an empty context. */
function mu(publicKey: Uint8Array, message: Uint8Array): Buffer {
  const tr = createHash('shake256', { outputLength: 64 }).update(publicKey).digest();
  return createHash('shake256', { outputLength: 64 })
    .update(tr)
    .update(Buffer.from([0, 0]))
    .update(message)
    .digest();
}

describe('post-quantum keys: ML-DSA signing and ML-KEM encapsulation from the editor', function () {
  this.timeout(120_000);
  let env: Env;

  before(async function () {
    const t = await testing().catch(() => undefined);
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await lifecycleEnv();
  });

  after(async () => {
    env?.dispose();
    await closeEditors();
  });

  it('ML-DSA-65: signs the message and its μ (EXTERNAL_MU); the signatures verify in KMS and outside it', async () => {
    const meta = await createKey({ keySpec: 'ML_DSA_65', keyUsage: 'SIGN_VERIFY' });
    assert.deepEqual(meta.SigningAlgorithms, ['ML_DSA_SHAKE_256']);
    const publicKey = rawPublicKey((await env.gateway.getPublicKey(meta.KeyId!)).PublicKey!, ml_dsa65.lengths.publicKey!);
    const message = Buffer.from('release v2.0.0 of the artefact');

    const raw = await run<SignResult>('signMessage', { keyId: meta.KeyId, message: message.toString('utf8') });
    assert.deepEqual([raw.signingAlgorithm, raw.messageType], ['ML_DSA_SHAKE_256', 'RAW']);
    assert.equal(ml_dsa65.verify(Buffer.from(raw.signature, 'base64'), message, publicKey), true);

    const representative = mu(publicKey, message);
    const external = await run<SignResult>('signMessage', {
      keyId: meta.KeyId,
      message: representative.toString('hex'),
      messageEncoding: 'hex',
      messageType: 'EXTERNAL_MU',
    });
    assert.equal(external.messageType, 'EXTERNAL_MU');
    assert.equal(
      ml_dsa65.verify(Buffer.from(external.signature, 'base64'), message, publicKey),
      true,
      'a signature of μ is one of the message',
    );

    const verified = await run<VerifyResult>('verifySignature', {
      keyId: meta.KeyId,
      message: message.toString('utf8'),
      signature: external.signature,
    });
    assert.equal(verified.signatureValid, true);
    const tampered = await run<VerifyResult>('verifySignature', {
      keyId: meta.KeyId,
      message: 'release v2.0.1 of the artefact',
      signature: raw.signature,
    });
    assert.equal(tampered.signatureValid, false);
  });

  it('refuses a digest for ML-DSA, a μ that is not 64 bytes, and μ for other keys, saying what to give instead', async () => {
    const mlDsa = await createKey({ keySpec: 'ML_DSA_44', keyUsage: 'SIGN_VERIFY' });
    await refused(
      'signMessage',
      { keyId: mlDsa.KeyId, message: '00'.repeat(32), messageEncoding: 'hex', messageType: 'DIGEST' },
      /DIGEST is not for ML-DSA keys.*EXTERNAL_MU/,
    );
    await refused(
      'signMessage',
      { keyId: mlDsa.KeyId, message: '00'.repeat(32), messageEncoding: 'hex', messageType: 'EXTERNAL_MU' },
      /μ is 64 bytes/,
    );
    const ecc = await createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
    await refused(
      'signMessage',
      { keyId: ecc.KeyId, message: '00'.repeat(64), messageEncoding: 'hex', messageType: 'EXTERNAL_MU' },
      /EXTERNAL_MU is only for ML-DSA keys/,
    );
  });

  it('ML-KEM-768: Encapsulate shows the secret in memory only; Decapsulate of its encapsulated form, and of one made outside KMS, gives the same secret', async () => {
    const meta = await createKey({ keySpec: 'ML_KEM_768', keyUsage: 'ENCAPSULATE_DECAPSULATE' });
    assert.equal(meta.KeyUsage, 'ENCAPSULATE_DECAPSULATE');

    const made = await run<EncapsulateResult>('encapsulateSecret', { keyId: meta.KeyId });
    assert.equal(made.output, 'editor');
    const shown = JSON.parse(activeText().text) as { SharedSecret: string; SharedSecretCiphertextBlob: string };
    assert.equal(Buffer.from(shown.SharedSecret, 'base64').length, 32);
    assert.equal(shown.SharedSecretCiphertextBlob, made.sharedSecretCiphertextBlob);
    assert.ok(!JSON.stringify(made).includes(shown.SharedSecret), 'the secret is not in the result');
    await closeEditors();

    const back = await run<DecapsulateResult>('decapsulateSecret', { keyId: meta.KeyId, ciphertext: made.sharedSecretCiphertextBlob });
    assert.ok(!JSON.stringify(back).includes(shown.SharedSecret));
    assert.equal((JSON.parse(activeText().text) as { SharedSecret: string }).SharedSecret, shown.SharedSecret);
    await closeEditors();

    const publicKey = rawPublicKey((await env.gateway.getPublicKey(meta.KeyId!)).PublicKey!, ml_kem768.lengths.publicKey!);
    const outside = ml_kem768.encapsulate(publicKey);
    await run<DecapsulateResult>('decapsulateSecret', {
      keyId: meta.KeyId,
      ciphertext: Buffer.from(outside.cipherText).toString('base64'),
    });
    assert.equal(
      (JSON.parse(activeText().text) as { SharedSecretHex: string }).SharedSecretHex,
      Buffer.from(outside.sharedSecret).toString('hex'),
    );
    await closeEditors();
  });

  it('offers Encapsulate and Decapsulate only for ML-KEM keys, and checks the encapsulated form', async () => {
    const kem = await createKey({ keySpec: 'ML_KEM_512', keyUsage: 'ENCAPSULATE_DECAPSULATE' });
    const symmetric = await createKey({});
    await refused('encapsulateSecret', { keyId: symmetric.KeyId }, /ENCAPSULATE_DECAPSULATE/);
    await refused(
      'decapsulateSecret',
      { keyId: kem.KeyId, ciphertext: Buffer.alloc(100).toString('base64') },
      /ML_KEM_512 key is 768 bytes; this is 100/,
    );
    await refused('decapsulateSecret', { keyId: kem.KeyId }, /give the encapsulated secret/);
    await refused('encapsulateSecret', { keyId: kem.KeyId, secret: 'x' }, /secret/);
  });
});
