// Encapsulate and Decapsulate: ML-KEM (FIPS 203) with the key pair of an ENCAPSULATE_DECAPSULATE
// key (ML_KEM_512/768/1024), as the KMS API reference describes them. Encapsulate makes a fresh
// 32-byte shared secret and its encapsulated form (the ciphertext: 768, 1088 or 1568 bytes) with
// the key's public key; Decapsulate recovers the secret with the private key. A ciphertext of the
// right length that was not made for the key gives another secret (ML-KEM's implicit rejection),
// not an error; a ciphertext of the wrong length is a ValidationException.
import { invalidKeyUsage, validation } from '../errors';
import { checkDryRun, grantTokensRule, type OperationTable } from '../operation';
import { isMlKem, mlKemCiphertextLength, mlKemDecapsulate, mlKemEncapsulate } from '../postQuantum';
import type { Key } from '../types';
import type { Input } from '../validate';
import type { OpContext } from '../context';
import { usableKey } from './encryption';

const encapsulationAlgorithms = ['ML_KEM'] as const;

function mlKemKey(input: Input, ctx: OpContext): { key: Key & { spec: Parameters<typeof mlKemEncapsulate>[0] }; algorithm: 'ML_KEM' } {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const algorithm = input.requiredEnum('EncapsulationAlgorithm', encapsulationAlgorithms);
  input.stringList('GrantTokens', grantTokensRule);
  const key = usableKey(ctx, keyId, 'ENCAPSULATE_DECAPSULATE');
  if (!isMlKem(key.spec)) throw invalidKeyUsage(`${ctx.store.arnOf(key)} has KeySpec ${key.spec}: ${algorithm} needs an ML-KEM key.`);
  return { key: key as Key & { spec: Parameters<typeof mlKemEncapsulate>[0] }, algorithm };
}

export const encapsulationOperations: OperationTable = {
  Encapsulate: {
    readOnly: true,
    async handler(input, ctx) {
      const { key, algorithm } = mlKemKey(input, ctx);
      checkDryRun(input);
      const { sharedSecret, ciphertext } = mlKemEncapsulate(key.spec, await ctx.store.currentMaterial(key));
      try {
        return {
          KeyId: ctx.store.arnOf(key),
          SharedSecret: sharedSecret.toString('base64'),
          SharedSecretCiphertextBlob: ciphertext.toString('base64'),
          EncapsulationAlgorithm: algorithm,
        };
      } finally {
        sharedSecret.fill(0);
      }
    },
  },

  Decapsulate: {
    readOnly: true,
    async handler(input, ctx) {
      const blob = input.requiredBlob('SharedSecretCiphertextBlob', { max: 6144 });
      const { key, algorithm } = mlKemKey(input, ctx);
      const expected = mlKemCiphertextLength(key.spec);
      if (blob.length !== expected)
        throw validation(
          `SharedSecretCiphertextBlob must be the ${expected}-byte encapsulated secret of ${key.spec}, not ${blob.length} bytes.`,
        );
      checkDryRun(input);
      const secret = mlKemDecapsulate(key.spec, await ctx.store.currentMaterial(key), blob);
      try {
        return { KeyId: ctx.store.arnOf(key), SharedSecret: secret.toString('base64'), EncapsulationAlgorithm: algorithm };
      } finally {
        secret.fill(0);
      }
    },
  },
};
