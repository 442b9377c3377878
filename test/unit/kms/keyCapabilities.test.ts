import * as assert from 'node:assert/strict';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { allowedActions, explainRefusal, normalizeKeyMetadata } from '../../../src/core/kms/keyCapabilities';

const symmetric = (over: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  KeyState: 'Enabled',
  KeyManager: 'CUSTOMER',
  KeyUsage: 'ENCRYPT_DECRYPT',
  KeySpec: 'SYMMETRIC_DEFAULT',
  Origin: 'AWS_KMS',
  MultiRegion: false,
  ...over,
});

describe('key capabilities: the key-state table in one place', () => {
  it('an enabled symmetric customer key allows cryptography and management, not signing', () => {
    const allowed = allowedActions(symmetric());
    for (const a of [
      'encrypt',
      'decrypt',
      'generateDataKey',
      'disable',
      'scheduleDeletion',
      'changeRotation',
      'rotateNow',
      'createGrant',
      'tag',
      'createAlias',
      'editPolicy',
    ] as const) {
      assert.ok(allowed.includes(a), a);
    }
    for (const a of ['enable', 'cancelDeletion', 'sign', 'generateMac', 'getPublicKey', 'replicate'] as const)
      assert.ok(!allowed.includes(a), a);
  });

  it('a disabled key refuses cryptography, grants and rotation changes, and can be enabled', () => {
    const meta = symmetric({ KeyState: 'Disabled' });
    assert.match(explainRefusal(meta, 'encrypt') ?? '', /disabled, so it cannot be used to encrypt\. Enable the key first/);
    assert.match(explainRefusal(meta, 'createGrant') ?? '', /disabled/);
    assert.match(explainRefusal(meta, 'changeRotation') ?? '', /disabled/);
    assert.equal(explainRefusal(meta, 'enable'), undefined);
    assert.equal(explainRefusal(meta, 'scheduleDeletion'), undefined);
    assert.equal(explainRefusal(meta, 'tag'), undefined);
  });

  it('a key pending deletion allows only cancelling it (and the policy)', () => {
    const meta = symmetric({ KeyState: 'PendingDeletion' });
    assert.deepEqual(allowedActions(meta), ['cancelDeletion', 'editPolicy', 'viewRotation']);
    assert.match(explainRefusal(meta, 'encrypt') ?? '', /pending deletion.*Cancel the key deletion, then enable the key/);
    assert.match(explainRefusal(meta, 'tag') ?? '', /Cancel the key deletion first/);
  });

  it('pending import and unavailable keys can be scheduled for deletion but not used', () => {
    for (const state of ['PendingImport', 'Unavailable']) {
      const meta = symmetric({ KeyState: state as KeyMetadata['KeyState'] });
      assert.equal(explainRefusal(meta, 'scheduleDeletion'), undefined, state);
      assert.ok(explainRefusal(meta, 'decrypt'), state);
      assert.ok(explainRefusal(meta, 'enable'), state);
    }
  });

  it('AWS managed keys cannot be changed', () => {
    const meta = symmetric({ KeyManager: 'AWS' });
    for (const a of ['disable', 'scheduleDeletion', 'tag', 'editPolicy', 'changeRotation'] as const) {
      assert.match(explainRefusal(meta, a) ?? '', /AWS managed key/, a);
    }
  });

  it('key usage decides the cryptographic operations', () => {
    const signing = symmetric({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'ECC_NIST_P256' });
    assert.equal(explainRefusal(signing, 'sign'), undefined);
    assert.equal(explainRefusal(signing, 'getPublicKey'), undefined);
    assert.match(explainRefusal(signing, 'encrypt') ?? '', /usage is SIGN_VERIFY; encryption needs a key with usage ENCRYPT_DECRYPT/);
    assert.match(explainRefusal(signing, 'changeRotation') ?? '', /only for symmetric encryption keys/);
    const hmac = symmetric({ KeyUsage: 'GENERATE_VERIFY_MAC', KeySpec: 'HMAC_256' });
    assert.equal(explainRefusal(hmac, 'generateMac'), undefined);
    assert.ok(explainRefusal(hmac, 'getPublicKey'));
    const rsa = symmetric({ KeySpec: 'RSA_2048' });
    assert.equal(explainRefusal(rsa, 'encrypt'), undefined);
    assert.match(explainRefusal(rsa, 'generateDataKey') ?? '', /symmetric encryption key/);
  });

  it('rotation needs KMS-origin material and is set on the primary of a multi-Region key', () => {
    assert.match(explainRefusal(symmetric({ Origin: 'EXTERNAL' }), 'rotateNow') ?? '', /EXTERNAL key material/);
    const replica = symmetric({ MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA' } });
    assert.match(explainRefusal(replica, 'changeRotation') ?? '', /set on its primary key/);
    assert.match(explainRefusal(replica, 'replicate') ?? '', /replica key/);
    const primary = symmetric({ MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY' } });
    assert.equal(explainRefusal(primary, 'replicate'), undefined);
    assert.match(explainRefusal(symmetric(), 'replicate') ?? '', /single-Region/);
  });
});

describe('key capabilities: servers that leave out KeyUsage or KeySpec (moto, LocalStack)', () => {
  const moto = (over: Partial<KeyMetadata>): KeyMetadata => {
    const meta: KeyMetadata = { ...symmetric(), ...over };
    return meta;
  };

  it('a SYMMETRIC_DEFAULT key without KeyUsage encrypts, makes data keys and rotates', () => {
    for (const meta of [
      moto({ KeyUsage: undefined }),
      moto({ KeyUsage: undefined, KeySpec: undefined, CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT' }),
      moto({ KeyUsage: undefined, KeySpec: undefined, EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }),
    ]) {
      for (const action of ['encrypt', 'decrypt', 'generateDataKey', 'changeRotation', 'rotateNow', 'viewRotation'] as const)
        assert.equal(explainRefusal(meta, action), undefined, `${action} ${JSON.stringify(meta)}`);
      assert.match(explainRefusal(meta, 'sign') ?? '', /usage is ENCRYPT_DECRYPT; signing needs a key with usage SIGN_VERIFY/);
      assert.equal(normalizeKeyMetadata(meta).KeyUsage, 'ENCRYPT_DECRYPT');
      assert.equal(normalizeKeyMetadata(meta).KeySpec, 'SYMMETRIC_DEFAULT');
    }
  });

  it('a missing usage is filled in only where the spec allows one usage; the state still counts', () => {
    assert.equal(normalizeKeyMetadata(moto({ KeyUsage: undefined, KeySpec: 'HMAC_256' })).KeyUsage, 'GENERATE_VERIFY_MAC');
    assert.equal(normalizeKeyMetadata(moto({ KeyUsage: undefined, KeySpec: 'RSA_2048' })).KeyUsage, undefined);
    assert.match(explainRefusal(moto({ KeyUsage: undefined, KeySpec: 'RSA_2048' }), 'encrypt') ?? '', /usage is unknown/);
    assert.match(explainRefusal(moto({ KeyUsage: undefined, KeyState: 'Disabled' }), 'generateDataKey') ?? '', /disabled/);
    const real = symmetric();
    assert.equal(normalizeKeyMetadata(real), real, 'metadata KMS sent whole is returned as it is');
  });
});
