// Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateDataKeyPair(WithoutPlaintext),
// GenerateRandom.
import { randomBytes } from 'node:crypto';
import type { OpContext } from '../context';
import { decryptBlob, encryptBlob, generateKeyPairDer, readBlobHeader, rsaDecrypt, rsaEncrypt } from '../crypto';
import { apiError, invalidCiphertext, invalidKeyUsage, unsupported, validation } from '../errors';
import { requireState } from '../keyState';
import { dataKeyPairSpecs, type EncryptionAlgorithm, encryptionAlgorithms, maxOaepPlaintext } from '../keySpecs';
import { checkDryRun, grantTokensRule, type Operation, type OperationTable, type Output } from '../operation';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Key, KeyUsage } from '../types';
import type { Input } from '../validate';

const b64 = (bytes: Buffer): string => bytes.toString('base64');

/** A key named by a request, checked for use by a cryptographic operation. */
export function usableKey(ctx: OpContext, keyId: string, usage: KeyUsage, operation = ctx.operation): Key {
  const key = resolveKey(ctx, keyId, { aliases: true });
  requireCustomerManaged(ctx, key, operation);
  requireState(ctx, key, 'crypto');
  if (key.usage !== usage) throw invalidKeyUsage(`${ctx.store.arnOf(key)} key usage is ${key.usage} which is not valid for ${operation}.`);
  return key;
}

function requireSymmetric(ctx: OpContext, key: Key): void {
  if (key.spec !== 'SYMMETRIC_DEFAULT')
    throw invalidKeyUsage(
      `${ctx.store.arnOf(key)} has KeySpec ${key.spec}, which is not valid for ${ctx.operation}: use a symmetric encryption key (SYMMETRIC_DEFAULT).`,
    );
}

function checkAlgorithm(ctx: OpContext, key: Key, algorithm: EncryptionAlgorithm | undefined): EncryptionAlgorithm {
  const symmetric = key.spec === 'SYMMETRIC_DEFAULT';
  const chosen = algorithm ?? 'SYMMETRIC_DEFAULT';
  if (symmetric !== (chosen === 'SYMMETRIC_DEFAULT')) {
    const valid = symmetric ? 'SYMMETRIC_DEFAULT' : 'RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256';
    throw invalidKeyUsage(
      `The encryption algorithm ${chosen} is not valid for ${ctx.store.arnOf(key)} (KeySpec ${key.spec}): use ${valid}.`,
    );
  }
  return chosen;
}

/** Encrypts under a key: a blob for symmetric keys, RSAES-OAEP for RSA keys. */
export async function encryptWith(
  ctx: OpContext,
  key: Key,
  plaintext: Buffer,
  context: Record<string, string> | undefined,
  requested: EncryptionAlgorithm | undefined,
): Promise<{ blob: Buffer; algorithm: EncryptionAlgorithm }> {
  const algorithm = checkAlgorithm(ctx, key, requested);
  const material = await ctx.store.currentMaterial(key);
  if (algorithm === 'SYMMETRIC_DEFAULT') return { blob: encryptBlob(key.id, material, plaintext, context), algorithm };
  if (context && Object.keys(context).length) throw validation('EncryptionContext is supported only with symmetric encryption KMS keys.');
  const max = maxOaepPlaintext(key.spec, algorithm);
  if (plaintext.length > max)
    throw validation(`Plaintext is ${plaintext.length} bytes; ${algorithm} with ${key.spec} encrypts at most ${max} bytes.`);
  return { blob: rsaEncrypt(material, algorithm, plaintext), algorithm };
}

interface DecryptRequest {
  blob: Buffer;
  keyId?: string;
  context?: Record<string, string>;
  algorithm?: EncryptionAlgorithm;
}

/** Decrypts a ciphertext; a symmetric blob names its key, an RSA ciphertext needs the KeyId. */
export async function decryptWith(
  ctx: OpContext,
  request: DecryptRequest,
): Promise<{ key: Key; plaintext: Buffer; algorithm: EncryptionAlgorithm }> {
  const named = request.keyId !== undefined ? usableKey(ctx, request.keyId, 'ENCRYPT_DECRYPT') : undefined;
  const header = readBlobHeader(request.blob);
  if (header) {
    if (named && named.id !== header.keyId) {
      throw apiError(
        'IncorrectKeyException',
        `The key ID in the request does not identify the KMS key that encrypted the ciphertext: the ciphertext was not encrypted under ${ctx.store.arnOf(named)}.`,
      );
    }
    const key = named ?? ctx.store.getKey(ctx.region, header.keyId);
    if (!key) throw invalidCiphertext();
    if (!named) {
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'crypto');
    }
    checkAlgorithm(ctx, key, request.algorithm);
    const material = key.materials.find((m) => m.id === header.materialId);
    if (!material) throw invalidCiphertext();
    return { key, plaintext: decryptBlob(request.blob, header, material, request.context), algorithm: 'SYMMETRIC_DEFAULT' };
  }
  if (!named || named.spec === 'SYMMETRIC_DEFAULT') throw invalidCiphertext();
  const algorithm = checkAlgorithm(ctx, named, request.algorithm);
  if (request.context && Object.keys(request.context).length)
    throw validation('EncryptionContext is supported only with symmetric encryption KMS keys.');
  return { key: named, plaintext: rsaDecrypt(await ctx.store.currentMaterial(named), algorithm, request.blob), algorithm };
}

function refuseRecipient(input: Input): void {
  if (input.has('Recipient')) throw unsupported('Recipient (AWS Nitro Enclaves attestation) is not supported by the KMS emulator.');
}

function generateDataKey(withPlaintext: boolean): Operation {
  return {
    async handler(input, ctx): Promise<Output> {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const context = input.stringMap('EncryptionContext');
      const numberOfBytes = input.int('NumberOfBytes', { min: 1, max: 1024 });
      const keySpec = input.enumValue('KeySpec', ['AES_256', 'AES_128'] as const);
      input.stringList('GrantTokens', grantTokensRule);
      if (withPlaintext) refuseRecipient(input);
      if ((numberOfBytes === undefined) === (keySpec === undefined)) throw validation('Please specify either number of bytes or key spec.');
      const key = usableKey(ctx, keyId, 'ENCRYPT_DECRYPT');
      requireSymmetric(ctx, key);
      checkDryRun(input);
      const plaintext = randomBytes(numberOfBytes ?? (keySpec === 'AES_128' ? 16 : 32));
      const { blob } = await encryptWith(ctx, key, plaintext, context, 'SYMMETRIC_DEFAULT');
      return { CiphertextBlob: b64(blob), ...(withPlaintext ? { Plaintext: b64(plaintext) } : {}), KeyId: ctx.store.arnOf(key) };
    },
  };
}

function generateDataKeyPair(withPlaintext: boolean): Operation {
  return {
    async handler(input, ctx): Promise<Output> {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const context = input.stringMap('EncryptionContext');
      const keyPairSpec = input.requiredEnum('KeyPairSpec', [...dataKeyPairSpecs, 'SM2']);
      input.stringList('GrantTokens', grantTokensRule);
      if (withPlaintext) refuseRecipient(input);
      if (keyPairSpec === 'SM2') throw unsupported('KeyPairSpec SM2 is available only in China Regions.');
      const key = usableKey(ctx, keyId, 'ENCRYPT_DECRYPT');
      requireSymmetric(ctx, key);
      checkDryRun(input);
      const pair = await generateKeyPairDer(keyPairSpec);
      const { blob } = await encryptWith(ctx, key, pair.privateKey, context, 'SYMMETRIC_DEFAULT');
      return {
        PrivateKeyCiphertextBlob: b64(blob),
        ...(withPlaintext ? { PrivateKeyPlaintext: b64(pair.privateKey) } : {}),
        PublicKey: b64(pair.publicKey),
        KeyId: ctx.store.arnOf(key),
        KeyPairSpec: keyPairSpec,
      };
    },
  };
}

export const encryptionOperations: OperationTable = {
  Encrypt: {
    readOnly: true,
    async handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const plaintext = input.requiredBlob('Plaintext', { max: 4096 });
      const context = input.stringMap('EncryptionContext');
      const algorithm = input.enumValue('EncryptionAlgorithm', encryptionAlgorithms);
      input.stringList('GrantTokens', grantTokensRule);
      const key = usableKey(ctx, keyId, 'ENCRYPT_DECRYPT');
      checkAlgorithm(ctx, key, algorithm);
      checkDryRun(input);
      const result = await encryptWith(ctx, key, plaintext, context, algorithm);
      return { CiphertextBlob: b64(result.blob), KeyId: ctx.store.arnOf(key), EncryptionAlgorithm: result.algorithm };
    },
  },

  Decrypt: {
    readOnly: true,
    async handler(input, ctx) {
      const blob = input.requiredBlob('CiphertextBlob', { max: 6144 });
      const context = input.stringMap('EncryptionContext');
      const keyId = input.string('KeyId', { min: 1, max: 2048 });
      const algorithm = input.enumValue('EncryptionAlgorithm', encryptionAlgorithms);
      input.stringList('GrantTokens', grantTokensRule);
      refuseRecipient(input);
      const result = await decryptWith(ctx, { blob, keyId, context, algorithm });
      checkDryRun(input);
      return { KeyId: ctx.store.arnOf(result.key), Plaintext: b64(result.plaintext), EncryptionAlgorithm: result.algorithm };
    },
  },

  ReEncrypt: {
    readOnly: true,
    async handler(input, ctx) {
      const blob = input.requiredBlob('CiphertextBlob', { max: 6144 });
      const sourceContext = input.stringMap('SourceEncryptionContext');
      const sourceKeyId = input.string('SourceKeyId', { min: 1, max: 2048 });
      const destinationKeyId = input.requiredString('DestinationKeyId', { max: 2048 });
      const destinationContext = input.stringMap('DestinationEncryptionContext');
      const sourceAlgorithm = input.enumValue('SourceEncryptionAlgorithm', encryptionAlgorithms);
      const destinationAlgorithm = input.enumValue('DestinationEncryptionAlgorithm', encryptionAlgorithms);
      input.stringList('GrantTokens', grantTokensRule);
      const source = await decryptWith(ctx, { blob, keyId: sourceKeyId, context: sourceContext, algorithm: sourceAlgorithm });
      const destination = usableKey(ctx, destinationKeyId, 'ENCRYPT_DECRYPT');
      checkAlgorithm(ctx, destination, destinationAlgorithm);
      checkDryRun(input);
      const result = await encryptWith(ctx, destination, source.plaintext, destinationContext, destinationAlgorithm);
      return {
        CiphertextBlob: b64(result.blob),
        SourceKeyId: ctx.store.arnOf(source.key),
        KeyId: ctx.store.arnOf(destination),
        SourceEncryptionAlgorithm: source.algorithm,
        DestinationEncryptionAlgorithm: result.algorithm,
      };
    },
  },

  GenerateDataKey: { ...generateDataKey(true), readOnly: true },
  GenerateDataKeyWithoutPlaintext: { ...generateDataKey(false), readOnly: true },
  GenerateDataKeyPair: { ...generateDataKeyPair(true), readOnly: true },
  GenerateDataKeyPairWithoutPlaintext: { ...generateDataKeyPair(false), readOnly: true },

  GenerateRandom: {
    readOnly: true,
    handler(input, ctx) {
      const numberOfBytes = input.int('NumberOfBytes', { min: 1, max: 1024 });
      const customKeyStoreId = input.string('CustomKeyStoreId', { min: 1, max: 64 });
      refuseRecipient(input);
      if (numberOfBytes === undefined)
        throw validation(
          "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null",
        );
      if (customKeyStoreId !== undefined && !ctx.store.customKeyStores.some((s) => s.CustomKeyStoreId === customKeyStoreId)) {
        throw apiError('CustomKeyStoreNotFoundException', `Custom key store ${customKeyStoreId} does not exist.`);
      }
      return { Plaintext: b64(randomBytes(numberOfBytes)) };
    },
  },
};
