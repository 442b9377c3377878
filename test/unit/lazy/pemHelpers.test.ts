// The DER stand-in for the Encryption SDK's pem_helpers (src/core/lazy/esdk/pemHelpers.ts): the
// same PEM, byte for byte, as the SDK's own module (asn1.js), and keys node's crypto signs and
// verifies with (as the SDK does for signed messages).
import * as assert from 'node:assert/strict';
import { createECDH, createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { chunk64, privateKeyPem, publicKeyPem } from '../../../src/core/lazy/esdk/pemHelpers';

type PemHelpers = { publicKeyPem: typeof publicKeyPem; privateKeyPem: typeof privateKeyPem; chunk64: typeof chunk64 };
const sdkRequire = createRequire(require.resolve('@aws-crypto/material-management'));
const original = sdkRequire('./pem_helpers') as PemHelpers;

describe('pem_helpers stand-in of the Encryption SDK bundle', () => {
  for (const curve of ['prime256v1', 'secp384r1']) {
    it(`${curve}: the SDK's PEM byte for byte, and node signs and verifies with it`, () => {
      for (let i = 0; i < 20; i++) {
        const ecdh = createECDH(curve);
        ecdh.generateKeys();
        const pub = ecdh.getPublicKey();
        const priv = ecdh.getPrivateKey();
        const pubPem = publicKeyPem(curve, pub);
        const privPem = privateKeyPem(curve, priv, pub);
        assert.equal(pubPem, original.publicKeyPem(curve, pub));
        assert.equal(privPem, original.privateKeyPem(curve, priv, pub));
        const data = randomBytes(100);
        const signature = sign('sha384', data, createPrivateKey(privPem));
        assert.ok(verify('sha384', data, createPublicKey(pubPem), signature));
        assert.equal(createPublicKey(pubPem).export({ format: 'jwk' }).crv, curve === 'prime256v1' ? 'P-256' : 'P-384');
      }
    });
  }

  it('a compressed point and an odd-length key encode as the SDK does; an unknown curve is refused', () => {
    const ecdh = createECDH('secp384r1');
    ecdh.generateKeys();
    const compressed = ecdh.getPublicKey(undefined, 'compressed');
    assert.equal(publicKeyPem('secp384r1', compressed), original.publicKeyPem('secp384r1', compressed));
    const short = ecdh.getPrivateKey().subarray(1);
    assert.equal(privateKeyPem('secp384r1', short, compressed), original.privateKeyPem('secp384r1', short, compressed));
    assert.throws(() => publicKeyPem('secp521r1', compressed), /secp521r1/);
    assert.throws(() => original.publicKeyPem('secp521r1', compressed));
  });

  it('chunk64 splits base64 into lines of 64 as the SDK does', () => {
    for (const n of [0, 1, 47, 48, 49, 200]) {
      const b = randomBytes(n);
      assert.deepEqual(chunk64(b), original.chunk64(b));
    }
  });
});
