// Sign, Verify, GetPublicKey, GenerateMac, VerifyMac.
import type { OpContext } from '../context';
import { computeMac, macEquals, signMessage, verifyMessage } from '../crypto';
import { apiError, invalidKeyUsage, unsupported, validation } from '../errors';
import { requireState } from '../keyState';
import { isMlDsa, mlDsaSign, mlDsaVerify } from '../postQuantum';
import {
  type ClassicSigningAlgorithm,
  digestOf,
  encapsulationAlgorithmsFor,
  encryptionAlgorithmsFor,
  kindOf,
  type MacAlgorithm,
  macAlgorithms,
  macAlgorithmsFor,
  signingAlgorithms,
  signingAlgorithmsFor,
} from '../keySpecs';
import { checkDryRun, grantTokensRule, type OperationTable } from '../operation';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Key } from '../types';
import type { Input } from '../validate';
import { usableKey } from './encryption';

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const messageTypes = ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const;

type SignRequest =
  | { pq: false; key: Key; message: Buffer; messageType: 'RAW' | 'DIGEST'; algorithm: ClassicSigningAlgorithm }
  /** ML-DSA: RAW (pure ML-DSA, empty context) or EXTERNAL_MU (a 64-byte μ). */
  | { pq: true; key: Key; message: Buffer; messageType: 'RAW' | 'EXTERNAL_MU'; algorithm: 'ML_DSA_SHAKE_256' };

function signRequest(input: Input, ctx: OpContext): SignRequest {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const message = input.requiredBlob('Message', { max: 4096 });
  const messageType = input.enumValue('MessageType', messageTypes) ?? 'RAW';
  const algorithm = input.requiredEnum('SigningAlgorithm', [...signingAlgorithms, 'SM2DSA', 'ED25519_SHA_512', 'ED25519_PH_SHA_512']);
  input.stringList('GrantTokens', grantTokensRule);
  const key = usableKey(ctx, keyId, 'SIGN_VERIFY');
  const valid = signingAlgorithmsFor(key.spec, key.usage) ?? [];
  if (!(valid as string[]).includes(algorithm)) {
    throw invalidKeyUsage(
      `The signing algorithm ${algorithm} is not valid for ${ctx.store.arnOf(key)} (KeySpec ${key.spec}): use ${valid.join(', ')}.`,
    );
  }
  if (isMlDsa(key.spec)) {
    if (messageType === 'DIGEST')
      throw validation(
        `MessageType DIGEST is not valid for ML-DSA keys (${ctx.store.arnOf(key)}): use RAW, or EXTERNAL_MU with a 64-byte μ.`,
      );
    if (messageType === 'EXTERNAL_MU' && message.length !== 64)
      throw validation(`With MessageType EXTERNAL_MU the message must be the 64-byte representative μ, not ${message.length} bytes.`);
    return { pq: true, key, message, messageType, algorithm: 'ML_DSA_SHAKE_256' };
  }
  if (messageType === 'EXTERNAL_MU') throw validation('MessageType EXTERNAL_MU is valid only with ML-DSA keys.');
  const signing = algorithm as ClassicSigningAlgorithm;
  if (messageType === 'DIGEST' && message.length !== digestOf(signing).length) {
    throw validation(
      `Digest is invalid length for algorithm ${algorithm}: expected ${digestOf(signing).length} bytes, got ${message.length}.`,
    );
  }
  return { pq: false, key, message, messageType, algorithm: signing };
}

function macRequest(input: Input, ctx: OpContext): { key: Key; message: Buffer; algorithm: MacAlgorithm } {
  const message = input.requiredBlob('Message', { max: 4096 });
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const algorithm = input.requiredEnum('MacAlgorithm', macAlgorithms);
  input.stringList('GrantTokens', grantTokensRule);
  const key = usableKey(ctx, keyId, 'GENERATE_VERIFY_MAC');
  const valid = macAlgorithmsFor(key.spec) ?? [];
  if (!valid.includes(algorithm))
    throw invalidKeyUsage(
      `The MAC algorithm ${algorithm} is not valid for ${ctx.store.arnOf(key)} (KeySpec ${key.spec}): use ${valid.join(', ')}.`,
    );
  return { key, message, algorithm };
}

export const signingOperations: OperationTable = {
  Sign: {
    readOnly: true,
    async handler(input, ctx) {
      const request = signRequest(input, ctx);
      checkDryRun(input);
      const material = await ctx.store.currentMaterial(request.key);
      const signature = request.pq
        ? mlDsaSign(request.key.spec as Parameters<typeof mlDsaSign>[0], material, request.message, request.messageType)
        : signMessage(material, request.algorithm, request.message, request.messageType);
      return { KeyId: ctx.store.arnOf(request.key), Signature: b64(signature), SigningAlgorithm: request.algorithm };
    },
  },

  Verify: {
    readOnly: true,
    async handler(input, ctx) {
      const request = signRequest(input, ctx);
      const signature = input.requiredBlob('Signature', { max: 6144 });
      checkDryRun(input);
      const material = await ctx.store.currentMaterial(request.key);
      const valid = request.pq
        ? mlDsaVerify(request.key.spec as Parameters<typeof mlDsaVerify>[0], material, request.message, request.messageType, signature)
        : verifyMessage(material, request.algorithm, request.message, request.messageType, signature);
      if (!valid) {
        throw apiError(
          'KMSInvalidSignatureException',
          'The signature verification failed: the signature does not match the message, the key and the signing algorithm.',
        );
      }
      return { KeyId: ctx.store.arnOf(request.key), SignatureValid: true, SigningAlgorithm: request.algorithm };
    },
  },

  GetPublicKey: {
    readOnly: true,
    async handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      input.stringList('GrantTokens', grantTokensRule);
      const key = resolveKey(ctx, keyId, { aliases: true });
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'crypto');
      const kind = kindOf(key.spec);
      if (kind === 'symmetric' || kind === 'hmac')
        throw unsupported(`${ctx.store.arnOf(key)} is a ${kind === 'hmac' ? 'HMAC' : 'symmetric encryption'} key: it has no public key.`);
      const material = await ctx.store.currentMaterial(key);
      const encryption = encryptionAlgorithmsFor(key.spec, key.usage);
      const signing = signingAlgorithmsFor(key.spec, key.usage);
      const encapsulation = encapsulationAlgorithmsFor(key.spec, key.usage);
      return {
        KeyId: ctx.store.arnOf(key),
        PublicKey: material.publicKey,
        CustomerMasterKeySpec: key.spec,
        KeySpec: key.spec,
        KeyUsage: key.usage,
        ...(encryption ? { EncryptionAlgorithms: encryption } : {}),
        ...(signing ? { SigningAlgorithms: signing } : {}),
        ...(key.usage === 'KEY_AGREEMENT' ? { KeyAgreementAlgorithms: ['ECDH'] } : {}),
        ...(encapsulation ? { EncapsulationAlgorithms: encapsulation } : {}),
      };
    },
  },

  GenerateMac: {
    readOnly: true,
    async handler(input, ctx) {
      const { key, message, algorithm } = macRequest(input, ctx);
      checkDryRun(input);
      const mac = computeMac(await ctx.store.currentMaterial(key), algorithm, message);
      return { Mac: b64(mac), MacAlgorithm: algorithm, KeyId: ctx.store.arnOf(key) };
    },
  },

  VerifyMac: {
    readOnly: true,
    async handler(input, ctx) {
      const { key, message, algorithm } = macRequest(input, ctx);
      const mac = input.requiredBlob('Mac', { max: 6144 });
      checkDryRun(input);
      if (!macEquals(computeMac(await ctx.store.currentMaterial(key), algorithm, message), mac)) {
        throw apiError(
          'KMSInvalidMacException',
          'The MAC verification failed: the MAC does not match the message, the key and the MAC algorithm.',
        );
      }
      return { KeyId: ctx.store.arnOf(key), MacValid: true, MacAlgorithm: algorithm };
    },
  },
};
