// DeriveSharedSecret: ECDH between the private key of a KEY_AGREEMENT ECC key and the peer's
// public key (DER SubjectPublicKeyInfo), with node:crypto, as the KMS API reference describes it.
// The shared secret is the raw ECDH output (the x-coordinate), which KMS returns unhashed.
import { createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { privateKeyOf } from '../crypto';
import { invalidKeyUsage, unsupported, validation } from '../errors';
import { kindOf } from '../keySpecs';
import { checkDryRun, grantTokensRule, type OperationTable } from '../operation';
import { usableKey } from './encryption';

const keyAgreementAlgorithms = ['ECDH'] as const;

const curveOf: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

export const keyAgreementOperations: OperationTable = {
  DeriveSharedSecret: {
    readOnly: true,
    async handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const algorithm = input.requiredEnum('KeyAgreementAlgorithm', keyAgreementAlgorithms);
      const peer = input.requiredBlob('PublicKey', { max: 8192 });
      input.stringList('GrantTokens', grantTokensRule);
      if (input.has('Recipient')) throw unsupported('Recipient (Nitro Enclaves attestation) is not supported by the KMS emulator.');
      const key = usableKey(ctx, keyId, 'KEY_AGREEMENT');
      if (kindOf(key.spec) !== 'ecc')
        throw invalidKeyUsage(`${ctx.store.arnOf(key)} has KeySpec ${key.spec}: ${algorithm} needs an ECC key.`);
      let publicKey: KeyObject;
      try {
        publicKey = createPublicKey({ key: peer, format: 'der', type: 'spki' });
      } catch {
        throw validation('PublicKey must be a DER-encoded X.509 SubjectPublicKeyInfo (the public key of the other party).');
      }
      const peerCurve = publicKey.asymmetricKeyDetails?.namedCurve;
      if (publicKey.asymmetricKeyType !== 'ec' || peerCurve !== curveOf[key.spec]) {
        throw validation(
          `PublicKey is ${publicKey.asymmetricKeyType === 'ec' ? `on curve ${peerCurve ?? '?'}` : `a ${publicKey.asymmetricKeyType ?? 'non-EC'} key`}; ${ctx.store.arnOf(key)} (${key.spec}) needs a public key on the same curve.`,
        );
      }
      checkDryRun(input);
      const material = await ctx.store.currentMaterial(key);
      const secret = diffieHellman({ privateKey: privateKeyOf(material), publicKey });
      try {
        return {
          KeyId: ctx.store.arnOf(key),
          SharedSecret: secret.toString('base64'),
          KeyAgreementAlgorithm: algorithm,
          KeyOrigin: key.origin,
        };
      } finally {
        secret.fill(0);
      }
    },
  },
};
