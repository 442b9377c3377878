import * as assert from 'node:assert/strict';
import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { canGenerate, checkExpiry, generateMaterial, materialFromBase64, materialFromFile } from '../../../src/core/byok/keyMaterial';
import { peerPublicKey } from '../../../src/core/byok/peerPublicKey';
import { defaultWrappingAlgorithm, wrapKeyMaterial, wrappingProblem } from '../../../src/core/byok/wrapKeyMaterial';
import { explainRefusal } from '../../../src/core/kms/keyCapabilities';
import { connectionErrorText, customKeyStoreLabel } from '../../../src/core/tree/keyPresentation';

describe('bring your own key: wrapping, material, peer keys', () => {
  const wrapping = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicDer = wrapping.publicKey.export({ type: 'spki', format: 'der' });

  it('wraps with RSAES_OAEP (SHA-256 and SHA-1): the wrapping private key gets the material back', () => {
    const material = Buffer.alloc(32, 7);
    for (const [algorithm, hash] of [
      ['RSAES_OAEP_SHA_256', 'sha256'],
      ['RSAES_OAEP_SHA_1', 'sha1'],
    ] as const) {
      const wrapped = wrapKeyMaterial(publicDer, algorithm, material);
      assert.equal(wrapped.length, 256);
      assert.deepEqual(
        privateDecrypt({ key: wrapping.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, wrapped),
        material,
      );
    }
  });

  it('wraps with RSA_AES_KEY_WRAP: an RSA-OAEP-wrapped AES-256 key, then RFC 5649 key wrap with padding of the material', () => {
    const material = Buffer.from('an odd length of material, 37 bytes!');
    const wrapped = wrapKeyMaterial(publicDer, 'RSA_AES_KEY_WRAP_SHA_256', material);
    const aesKey = privateDecrypt(
      { key: wrapping.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      wrapped.subarray(0, 256),
    );
    assert.equal(aesKey.length, 32);
    const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
    assert.deepEqual(Buffer.concat([decipher.update(wrapped.subarray(256)), decipher.final()]), material);
  });

  it('chooses OAEP for symmetric keys and AES key wrap for HMAC and asymmetric keys; refuses OAEP for private keys', () => {
    assert.equal(defaultWrappingAlgorithm('SYMMETRIC_DEFAULT'), 'RSAES_OAEP_SHA_256');
    assert.equal(defaultWrappingAlgorithm('HMAC_384'), 'RSA_AES_KEY_WRAP_SHA_256');
    assert.equal(defaultWrappingAlgorithm('RSA_2048'), 'RSA_AES_KEY_WRAP_SHA_256');
    assert.match(wrappingProblem('ECC_NIST_P256', 'RSAES_OAEP_SHA_1') ?? '', /RSA_AES_KEY_WRAP_SHA_256/);
    assert.equal(wrappingProblem('HMAC_256', 'RSAES_OAEP_SHA_256'), undefined);
  });

  it('makes fresh material of the right kind and size', async () => {
    assert.equal((await generateMaterial('SYMMETRIC_DEFAULT')).length, 32);
    assert.equal((await generateMaterial('HMAC_512')).length, 64);
    const ecc = await generateMaterial('ECC_NIST_P384');
    assert.ok(materialFromFile(ecc, 'ECC_NIST_P384').ok);
    assert.equal(canGenerate('ML_DSA_65'), false);
  });

  it('reads material from base64, raw bytes, base64 files and PEM private keys, naming what is wrong', () => {
    const raw = Buffer.alloc(32, 1);
    assert.deepEqual(materialFromBase64(raw.toString('base64'), 'SYMMETRIC_DEFAULT'), { ok: true, value: raw });
    assert.match((materialFromBase64('not base64!', 'SYMMETRIC_DEFAULT') as { problem: string }).problem, /base64/);
    assert.match((materialFromBase64(Buffer.alloc(16).toString('base64'), undefined) as { problem: string }).problem, /32 bytes/);
    assert.deepEqual(materialFromFile(raw, 'SYMMETRIC_DEFAULT'), { ok: true, value: raw });
    assert.deepEqual(materialFromFile(Buffer.from(`${raw.toString('base64')}\n`), 'SYMMETRIC_DEFAULT'), { ok: true, value: raw });
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const sec1 = pair.privateKey.export({ type: 'sec1', format: 'pem' });
    const fromPem = materialFromFile(Buffer.from(sec1), 'ECC_NIST_P256');
    assert.ok(fromPem.ok);
    assert.deepEqual(fromPem.value, pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
    assert.match((materialFromFile(Buffer.from(sec1), 'SYMMETRIC_DEFAULT') as { problem: string }).problem, /PEM file/);
    assert.match((materialFromBase64(Buffer.alloc(20).toString('base64'), 'HMAC_256') as { problem: string }).problem, /32 to 64 bytes/);
  });

  it('checks expiry dates: in the future, at most 365 days ahead', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(checkExpiry('2026-06-30', now), { ok: true, value: new Date('2026-06-30T00:00:00Z') });
    assert.match((checkExpiry('2025-12-31', now) as { problem: string }).problem, /not in the future/);
    assert.match((checkExpiry('2027-06-30', now) as { problem: string }).problem, /365 days/);
    assert.match((checkExpiry('tomorrow', now) as { problem: string }).problem, /not a date/);
  });

  it("reads the peer public key from PEM, DER or base64 DER, on the KMS key's curve", () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const der = pair.publicKey.export({ type: 'spki', format: 'der' });
    for (const input of [pair.publicKey.export({ type: 'spki', format: 'pem' }), der, der.toString('base64')]) {
      const checked = peerPublicKey(input, 'ECC_NIST_P384');
      assert.ok(checked.ok);
      assert.deepEqual(checked.value, der);
    }
    assert.match((peerPublicKey(der, 'ECC_NIST_P256') as { problem: string }).problem, /secp384r1.*same curve/);
    assert.match(
      (peerPublicKey(wrapping.publicKey.export({ type: 'spki', format: 'pem' }), 'ECC_NIST_P256') as { problem: string }).problem,
      /RSA key/,
    );
    assert.match((peerPublicKey('junk', 'ECC_NIST_P256') as { problem: string }).problem, /not a public key/);
  });

  it('offers import for EXTERNAL keys, deletion of material only when there is some, and ECDH only for key agreement keys', () => {
    const external = { KeyManager: 'CUSTOMER', Origin: 'EXTERNAL', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' } as const;
    assert.equal(explainRefusal({ ...external, KeyState: 'PendingImport' }, 'importKeyMaterial'), undefined);
    assert.match(
      explainRefusal({ ...external, KeyState: 'PendingImport' }, 'deleteImportedKeyMaterial') ?? '',
      /no key material to delete/,
    );
    assert.equal(explainRefusal({ ...external, KeyState: 'Enabled' }, 'deleteImportedKeyMaterial'), undefined);
    assert.match(explainRefusal({ ...external, KeyState: 'PendingDeletion' }, 'importKeyMaterial') ?? '', /pending deletion/);
    assert.match(explainRefusal({ ...external, Origin: 'AWS_KMS', KeyState: 'Enabled' }, 'importKeyMaterial') ?? '', /origin EXTERNAL/);
    assert.equal(
      explainRefusal(
        { KeyManager: 'CUSTOMER', KeyState: 'Enabled', KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' },
        'deriveSharedSecret',
      ),
      undefined,
    );
    assert.match(
      explainRefusal(
        { KeyManager: 'CUSTOMER', KeyState: 'Enabled', KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
        'deriveSharedSecret',
      ) ?? '',
      /KEY_AGREEMENT/,
    );
  });

  it("puts a custom key store's connection error in words", () => {
    assert.match(connectionErrorText('USER_LOCKED_OUT') ?? '', /^USER_LOCKED_OUT: .*locked out/);
    assert.equal(connectionErrorText('SOMETHING_NEW'), 'SOMETHING_NEW');
    const shown = customKeyStoreLabel({
      CustomKeyStoreId: 'cks-1',
      CustomKeyStoreName: 'hsm',
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'NETWORK_ERRORS',
    });
    assert.equal(shown.description, 'CloudHSM key store · connection failed (NETWORK_ERRORS)');
    // The tooltip is markdown with server text escaped: read it as it renders.
    assert.match(shown.tooltip.replace(/\\([!-/:-@[-`{-~])/g, '$1'), /Connection error: NETWORK_ERRORS: A network problem/);
  });
});
