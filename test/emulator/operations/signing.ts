// Sign, Verify, GetPublicKey, GenerateMac, VerifyMac.
import type { OpContext } from '../context';
import { computeMac, macEquals, signMessage, verifyMessage } from '../crypto';
import { apiError, invalidKeyUsage, unsupported, validation } from '../errors';
import { requireState } from '../keyState';
import { digestOf, encryptionAlgorithmsFor, kindOf, type MacAlgorithm, macAlgorithms, macAlgorithmsFor, type SigningAlgorithm, signingAlgorithms, signingAlgorithmsFor } from '../keySpecs';
import { checkDryRun, grantTokensRule, type OperationTable } from '../operation';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Key } from '../types';
import type { Input } from '../validate';
import { usableKey } from './encryption';

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const messageTypes = ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const;

interface SignRequest {
  key: Key;
  message: Buffer;
  messageType: 'RAW' | 'DIGEST';
  algorithm: SigningAlgorithm;
}

function signRequest(input: Input, ctx: OpContext): SignRequest {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const message = input.requiredBlob('Message', { max: 4096 });
  const messageType = input.enumValue('MessageType', messageTypes) ?? 'RAW';
  const algorithm = input.requiredEnum('SigningAlgorithm', [...signingAlgorithms, 'SM2DSA', 'ML_DSA_SHAKE_256', 'ED25519_SHA_512', 'ED25519_PH_SHA_512']);
  input.stringList('GrantTokens', grantTokensRule);
  const key = usableKey(ctx, keyId, 'SIGN_VERIFY');
  const valid = signingAlgorithmsFor(key.spec, key.usage) ?? [];
  if (!(valid as string[]).includes(algorithm)) {
    throw invalidKeyUsage(`The signing algorithm ${algorithm} is not valid for ${ctx.store.arnOf(key)} (KeySpec ${key.spec}): use ${valid.join(', ')}.`);
  }
  if (messageType === 'EXTERNAL_MU') throw validation('MessageType EXTERNAL_MU is valid only with ML-DSA keys.');
  const signing = algorithm as SigningAlgorithm;
  if (messageType === 'DIGEST' && message.length !== digestOf(signing).length) {
    throw validation(`Digest is invalid length for algorithm ${algorithm}: expected ${digestOf(signing).length} bytes, got ${message.length}.`);
  }
  return { key, message, messageType, algorithm: signing };
}

function macRequest(input: Input, ctx: OpContext): { key: Key; message: Buffer; algorithm: MacAlgorithm } {
  const message = input.requiredBlob('Message', { max: 4096 });
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const algorithm = input.requiredEnum('MacAlgorithm', macAlgorithms);
  input.stringList('GrantTokens', grantTokensRule);
  const key = usableKey(ctx, keyId, 'GENERATE_VERIFY_MAC');
  const valid = macAlgorithmsFor(key.spec) ?? [];
  if (!valid.includes(algorithm)) throw invalidKeyUsage(`The MAC algorithm ${algorithm} is not valid for ${ctx.store.arnOf(key)} (KeySpec ${key.spec}): use ${valid.join(', ')}.`);
  return { key, message, algorithm };
}

export const signingOperations: OperationTable = {
  Sign: {
    readOnly: true,
    async handler(input, ctx) {
      const request = signRequest(input, ctx);
      checkDryRun(input);
      const material = await ctx.store.currentMaterial(request.key);
      const signature = signMessage(material, request.algorithm, request.message, request.messageType);
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
      if (!verifyMessage(material, request.algorithm, request.message, request.messageType, signature)) {
        throw apiError('KMSInvalidSignatureException', 'The signature verification failed: the signature does not match the message, the key and the signing algorithm.');
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
      if (kind === 'symmetric' || kind === 'hmac') throw unsupported(`${ctx.store.arnOf(key)} is a ${kind === 'hmac' ? 'HMAC' : 'symmetric encryption'} key: it has no public key.`);
      const material = await ctx.store.currentMaterial(key);
      const encryption = encryptionAlgorithmsFor(key.spec, key.usage);
      const signing = signingAlgorithmsFor(key.spec, key.usage);
      return {
        KeyId: ctx.store.arnOf(key),
        PublicKey: material.publicKey,
        CustomerMasterKeySpec: key.spec,
        KeySpec: key.spec,
        KeyUsage: key.usage,
        ...(encryption ? { EncryptionAlgorithms: encryption } : {}),
        ...(signing ? { SigningAlgorithms: signing } : {}),
        ...(key.usage === 'KEY_AGREEMENT' ? { KeyAgreementAlgorithms: ['ECDH'] } : {}),
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
        throw apiError('KMSInvalidMacException', 'The MAC verification failed: the MAC does not match the message, the key and the MAC algorithm.');
      }
      return { KeyId: ctx.store.arnOf(key), MacValid: true, MacAlgorithm: algorithm };
    },
  },
};
