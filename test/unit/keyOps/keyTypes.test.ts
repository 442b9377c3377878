import * as assert from 'node:assert/strict';
import {
  aliasMoveRefusal,
  checkGrantOperations,
  constraintRefusal,
  digestLength,
  grantOperationsFor,
  keyTypeOf,
  keyTypeOfMetadata,
  specsFor,
} from '../../../src/core/keyOps/keyTypes';

const symmetric = { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' } as const;
const rsaSign = { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' } as const;
const rsaEncrypt = { KeySpec: 'RSA_3072', KeyUsage: 'ENCRYPT_DECRYPT' } as const;
const hmac = { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' } as const;

describe('keyOps key types', () => {
  it('offers the key specs of each type, SM2 only in China', () => {
    assert.deepEqual(
      specsFor('symmetric', 'us-east-1').map((s) => s.spec),
      ['SYMMETRIC_DEFAULT'],
    );
    assert.deepEqual(
      specsFor('asymmetricEncrypt', 'us-east-1').map((s) => s.spec),
      ['RSA_2048', 'RSA_3072', 'RSA_4096'],
    );
    assert.ok(specsFor('asymmetricEncrypt', 'cn-north-1').some((s) => s.spec === 'SM2'));
    assert.deepEqual(
      specsFor('signVerify', 'eu-west-1').map((s) => s.spec),
      [
        'RSA_2048',
        'RSA_3072',
        'RSA_4096',
        'ECC_NIST_P256',
        'ECC_NIST_P384',
        'ECC_NIST_P521',
        'ECC_SECG_P256K1',
        'ML_DSA_44',
        'ML_DSA_65',
        'ML_DSA_87',
      ],
    );
    assert.deepEqual(
      specsFor('keyAgreement', 'eu-west-1').map((s) => s.spec),
      ['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1'],
    );
    assert.deepEqual(
      specsFor('hmac', 'eu-west-1').map((s) => s.spec),
      ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512'],
    );
  });

  it('derives the key type from spec and usage, asking for the usage of RSA keys', () => {
    assert.deepEqual(keyTypeOf('SYMMETRIC_DEFAULT', undefined), { ok: true, value: { type: 'symmetric', usage: 'ENCRYPT_DECRYPT' } });
    assert.deepEqual(keyTypeOf('ECC_NIST_P256', undefined), { ok: true, value: { type: 'signVerify', usage: 'SIGN_VERIFY' } });
    assert.deepEqual(keyTypeOf('ECC_NIST_P384', 'KEY_AGREEMENT'), { ok: true, value: { type: 'keyAgreement', usage: 'KEY_AGREEMENT' } });
    assert.deepEqual(keyTypeOf('HMAC_512', undefined), { ok: true, value: { type: 'hmac', usage: 'GENERATE_VERIFY_MAC' } });
    assert.deepEqual(keyTypeOf('RSA_2048', 'ENCRYPT_DECRYPT'), {
      ok: true,
      value: { type: 'asymmetricEncrypt', usage: 'ENCRYPT_DECRYPT' },
    });
    const needsUsage = keyTypeOf('RSA_2048', undefined);
    assert.match(needsUsage.ok ? '' : needsUsage.problem, /can be for ENCRYPT_DECRYPT or SIGN_VERIFY: give keyUsage too/);
    const wrong = keyTypeOf('HMAC_256', 'ENCRYPT_DECRYPT');
    assert.match(wrong.ok ? '' : wrong.problem, /A HMAC_256 key cannot have key usage ENCRYPT_DECRYPT; it can be GENERATE_VERIFY_MAC/);
    const unknown = keyTypeOf('AES_256', undefined);
    assert.match(unknown.ok ? '' : unknown.problem, /"AES_256" is not a key spec/);
  });

  it('knows the type of existing keys', () => {
    assert.equal(keyTypeOfMetadata(symmetric), 'symmetric');
    assert.equal(keyTypeOfMetadata(rsaEncrypt), 'asymmetricEncrypt');
    assert.equal(keyTypeOfMetadata(rsaSign), 'signVerify');
    assert.equal(keyTypeOfMetadata(hmac), 'hmac');
  });

  it('lists the grant operations each key type allows', () => {
    assert.ok(grantOperationsFor(symmetric).includes('GenerateDataKey'));
    assert.ok(!grantOperationsFor(symmetric).includes('Sign'));
    assert.deepEqual(grantOperationsFor(rsaSign), ['Sign', 'Verify', 'GetPublicKey', 'DescribeKey', 'CreateGrant', 'RetireGrant']);
    assert.deepEqual(grantOperationsFor(hmac), ['GenerateMac', 'VerifyMac', 'DescribeKey', 'CreateGrant', 'RetireGrant']);
    assert.ok(grantOperationsFor(rsaEncrypt).includes('GetPublicKey'));
  });

  it('checks grant operations against the key type', () => {
    assert.deepEqual(checkGrantOperations(['Decrypt', 'Encrypt', 'Decrypt'], symmetric), { ok: true, value: ['Decrypt', 'Encrypt'] });
    const wrong = checkGrantOperations(['Sign', 'Decrypt'], symmetric);
    assert.match(wrong.ok ? '' : wrong.problem, /A SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key cannot grant Sign: it allows Encrypt, Decrypt/);
    const unknown = checkGrantOperations(['Delete'], symmetric);
    assert.match(unknown.ok ? '' : unknown.problem, /"Delete" is not a grant operation/);
    const none = checkGrantOperations([], symmetric);
    assert.match(none.ok ? '' : none.problem, /at least one operation/);
  });

  it('allows encryption-context constraints only for symmetric encryption keys', () => {
    assert.equal(constraintRefusal(symmetric), undefined);
    assert.match(constraintRefusal(rsaSign) ?? '', /only for symmetric encryption keys/);
    assert.match(constraintRefusal(hmac) ?? '', /only for symmetric/);
  });

  it('knows the digest length of signing algorithms', () => {
    assert.equal(digestLength('RSASSA_PSS_SHA_256'), 32);
    assert.equal(digestLength('ECDSA_SHA_384'), 48);
    assert.equal(digestLength('RSASSA_PKCS1_V1_5_SHA_512'), 64);
    assert.equal(digestLength('SM2DSA'), 32);
    assert.equal(digestLength('ML_DSA_SHAKE_256'), undefined);
  });

  it('moves aliases only between keys of the same type and usage', () => {
    const a = { ...symmetric, KeyId: 'a' };
    assert.equal(aliasMoveRefusal('alias/x', a, { ...symmetric, KeyId: 'b', KeyManager: 'CUSTOMER' }), undefined);
    assert.match(aliasMoveRefusal('alias/x', a, { ...symmetric, KeyId: 'a', KeyManager: 'CUSTOMER' }) ?? '', /already points at this key/);
    assert.match(
      aliasMoveRefusal('alias/x', a, { ...rsaEncrypt, KeyId: 'c', KeyManager: 'CUSTOMER' }) ?? '',
      /can only be moved to another symmetric ENCRYPT_DECRYPT key, not a asymmetric ENCRYPT_DECRYPT one/,
    );
    assert.match(aliasMoveRefusal('alias/x', a, { ...symmetric, KeyId: 'd', KeyManager: 'AWS' }) ?? '', /AWS managed key/);
    assert.match(
      aliasMoveRefusal('alias/s', { ...rsaSign, KeyId: 's' }, { ...rsaEncrypt, KeyId: 'e', KeyManager: 'CUSTOMER' }) ?? '',
      /SIGN_VERIFY/,
    );
  });
});
