// Importing key material (BYOK): GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial,
// as the KMS API reference describes them. The wrapping key is a real RSA key pair made per
// request; the import token names the key, the wrapping parameters and that private key, and
// expires 24 hours after it was handed out (on the emulator's clock). Material is unwrapped with
// RSAES_OAEP_SHA_1/256, or RSA_AES_KEY_WRAP_SHA_1/256 (an AES-256 key under RSA-OAEP, then the
// material under that key with AES key wrap with padding, RFC 5649). Once material was imported
// into a key, only the same material can be imported into it again (IncorrectKeyMaterialException);
// its KeyMaterialId is derived from the key id and the material, so ciphertexts made before an
// expiry or a deletion decrypt again after the re-import.
import {
  constants,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import { apiError, invalidState, unsupported, validation } from '../errors';
import type { OpContext } from '../context';
import { secretLength } from '../crypto';
import { kindOf } from '../keySpecs';
import { type OperationTable, seconds } from '../operation';
import { requireCustomerManaged, resolveKey } from '../resolve';
import { dayMs } from '../state';
import type { Key, KeyMaterial } from '../types';

export const wrappingAlgorithms = [
  'RSAES_PKCS1_V1_5',
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
  'SM2PKE',
] as const;
export const wrappingKeySpecs = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'] as const;
const expirationModels = ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'] as const;
const importTypes = ['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL'] as const;

/** How long an import token and its public key can be used. */
export const importTokenLifetimeMs = dayMs;
/** ValidTo may be at most this far in the future. */
const maxValidToMs = 365 * dayMs;

const isChinaRegion = (region: string): boolean => region.startsWith('cn-');

/** Ranges of HMAC material lengths KMS accepts on import (bytes). */
const hmacImportLengths: Record<string, [number, number]> = {
  HMAC_224: [28, 64],
  HMAC_256: [32, 64],
  HMAC_384: [48, 128],
  HMAC_512: [64, 128],
};

const eccCurves: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

function requireExternal(ctx: OpContext, key: Key): void {
  if (key.origin !== 'EXTERNAL') {
    throw unsupported(
      `${ctx.store.arnOf(key)} has Origin ${key.origin}: key material can be imported only into keys created with Origin EXTERNAL.`,
    );
  }
  if (key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion')
    throw invalidState(`${ctx.store.arnOf(key)} is pending deletion.`);
}

function rsaPairDer(bits: number): Promise<{ publicKey: Buffer; privateKey: Buffer }> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } },
      (error, publicKey, privateKey) => (error ? reject(error) : resolve({ publicKey, privateKey })),
    );
  });
}

const incorrectMaterial = (why: string): Error => apiError('IncorrectKeyMaterialException', why);

/** RSA-OAEP decryption with the wrapping key; any failure is InvalidCiphertextException. */
function oaepUnwrap(privateKey: KeyObject, hash: 'sha1' | 'sha256', wrapped: Buffer): Buffer {
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, wrapped);
  } catch {
    throw apiError(
      'InvalidCiphertextException',
      'The encrypted key material could not be decrypted with the wrapping key of this import token: wrap it with the public key and the wrapping algorithm of the same GetParametersForImport response.',
    );
  }
}

/** RFC 5649 AES key wrap with padding, unwrapping. */
function aesKeyUnwrapPadded(kek: Buffer, wrapped: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('id-aes256-wrap-pad', kek, Buffer.from('A65959A6', 'hex'));
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    throw apiError(
      'InvalidCiphertextException',
      'The AES-wrapped key material could not be unwrapped (RSA_AES_KEY_WRAP: the RSA-OAEP-wrapped AES-256 key, then the material under it with AES key wrap with padding, RFC 5649).',
    );
  } finally {
    kek.fill(0);
  }
}

function unwrap(algorithm: string, privateKeyDer: Buffer, encrypted: Buffer): Buffer {
  const privateKey = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
  const hash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  if (algorithm.startsWith('RSAES_OAEP_')) return oaepUnwrap(privateKey, hash, encrypted);
  const rsaBytes = (privateKey.asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
  if (encrypted.length <= rsaBytes)
    throw apiError(
      'InvalidCiphertextException',
      `RSA_AES_KEY_WRAP material is the ${rsaBytes}-byte RSA-wrapped AES key followed by the AES-wrapped material; ${encrypted.length} bytes is too short.`,
    );
  const kek = oaepUnwrap(privateKey, hash, encrypted.subarray(0, rsaBytes));
  if (kek.length !== 32)
    throw apiError('InvalidCiphertextException', `The RSA-wrapped AES key must be 32 bytes (AES-256), not ${kek.length}.`);
  return aesKeyUnwrapPadded(kek, encrypted.subarray(rsaBytes));
}

/** Checks the plaintext material against the key's spec and makes it a KeyMaterial. */
function materialFor(key: Key, plaintext: Buffer, created: number): KeyMaterial {
  const id = createHash('sha256').update(`kms-emulator imported material of ${key.id}\0`).update(plaintext).digest('hex');
  const kind = kindOf(key.spec);
  if (kind === 'symmetric') {
    if (plaintext.length !== secretLength(key.spec))
      throw incorrectMaterial(`Key material of a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes), not ${plaintext.length} bytes.`);
    return { id, created, secret: plaintext.toString('base64') };
  }
  if (kind === 'hmac') {
    const [min, max] = hmacImportLengths[key.spec];
    if (plaintext.length < min || plaintext.length > max)
      throw incorrectMaterial(`Key material of a ${key.spec} key must be ${min} to ${max} bytes, not ${plaintext.length}.`);
    return { id, created, secret: plaintext.toString('base64') };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: plaintext, format: 'der', type: 'pkcs8' });
  } catch {
    throw incorrectMaterial(`Key material of a ${key.spec} key must be its private key, DER-encoded PKCS#8.`);
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  const fits =
    kind === 'rsa'
      ? privateKey.asymmetricKeyType === 'rsa' && details.modulusLength === Number(key.spec.slice(4))
      : privateKey.asymmetricKeyType === 'ec' && details.namedCurve === eccCurves[key.spec];
  if (!fits)
    throw incorrectMaterial(
      `The private key is not a ${key.spec} key (it is ${privateKey.asymmetricKeyType ?? '?'} ${details.modulusLength ?? details.namedCurve ?? ''}).`.replace(
        ' )',
        ')',
      ),
    );
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return {
    id,
    created,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    publicKey: publicKey.toString('base64'),
  };
}

export const importOperations: OperationTable = {
  GetParametersForImport: {
    async handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const wrappingAlgorithm = input.requiredEnum('WrappingAlgorithm', wrappingAlgorithms);
      const wrappingKeySpec = input.requiredEnum('WrappingKeySpec', wrappingKeySpecs);
      const key = resolveKey(ctx, keyId);
      requireCustomerManaged(ctx, key);
      requireExternal(ctx, key);
      const sm2 = wrappingKeySpec === 'SM2' || wrappingAlgorithm === 'SM2PKE';
      if (sm2 && !isChinaRegion(ctx.region))
        throw validation(
          `${sm2 && wrappingKeySpec === 'SM2' ? 'WrappingKeySpec SM2' : 'WrappingAlgorithm SM2PKE'} is available only in the China Regions, not in ${ctx.region}.`,
        );
      if (sm2) throw unsupported('SM2 wrapping keys are not supported by the KMS emulator.');
      if (wrappingAlgorithm === 'RSAES_PKCS1_V1_5')
        throw validation(
          'WrappingAlgorithm RSAES_PKCS1_V1_5 is no longer supported: use RSAES_OAEP_SHA_256 (symmetric material) or RSA_AES_KEY_WRAP_SHA_256.',
        );
      if (wrappingAlgorithm.startsWith('RSAES_OAEP_') && kindOf(key.spec) !== 'symmetric' && kindOf(key.spec) !== 'hmac') {
        throw validation(
          `${key.spec} key material (a private key) is too large for ${wrappingAlgorithm}: use RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.`,
        );
      }
      const pair = await rsaPairDer(Number(wrappingKeySpec.slice(4)));
      const token = randomBytes(96 + 128).toString('base64');
      const validTo = ctx.now + importTokenLifetimeMs;
      ctx.store.importTokens.set(token, {
        region: key.region,
        keyId: key.id,
        wrappingAlgorithm,
        wrappingKeySpec,
        privateKey: pair.privateKey,
        validTo,
      });
      return {
        KeyId: ctx.store.arnOf(key),
        ImportToken: token,
        PublicKey: pair.publicKey.toString('base64'),
        ParametersValidTo: seconds(validTo),
      };
    },
  },

  ImportKeyMaterial: {
    handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const token = input.requiredBlob('ImportToken', { max: 32768 });
      const encrypted = input.requiredBlob('EncryptedKeyMaterial', { max: 32768 });
      const validToSeconds = input.has('ValidTo') ? input.number('ValidTo') : undefined;
      const expirationModel = input.enumValue('ExpirationModel', expirationModels) ?? 'KEY_MATERIAL_EXPIRES';
      const importType = input.enumValue('ImportType', importTypes);
      const description = input.string('KeyMaterialDescription', { max: 256 });
      const materialId = input.string('KeyMaterialId', { min: 64, max: 64, pattern: /^[a-f0-9]+$/ });
      const key = resolveKey(ctx, keyId);
      requireCustomerManaged(ctx, key);
      requireExternal(ctx, key);
      if ((importType !== undefined || description !== undefined || materialId !== undefined) && key.spec !== 'SYMMETRIC_DEFAULT') {
        throw validation('ImportType, KeyMaterialDescription and KeyMaterialId are only for symmetric encryption keys.');
      }
      if (importType === 'NEW_KEY_MATERIAL' && ctx.store.family(key).some((k) => k.importedDigest !== undefined))
        throw unsupported(
          'Importing new key material into a key that already had material (rotation of imported material) is not supported by the KMS emulator.',
        );
      if (expirationModel === 'KEY_MATERIAL_EXPIRES' && validToSeconds === undefined)
        throw validation(
          'ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES (the default). Give ValidTo, or set ExpirationModel to KEY_MATERIAL_DOES_NOT_EXPIRE.',
        );
      if (expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE' && validToSeconds !== undefined)
        throw validation('ValidTo is not valid when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.');
      const validTo = validToSeconds === undefined ? undefined : Math.round(validToSeconds * 1000);
      if (validTo !== undefined && (validTo <= ctx.now || validTo > ctx.now + maxValidToMs)) {
        throw validation(
          `ValidTo must be in the future and at most 365 days from now (${new Date(ctx.now + maxValidToMs).toISOString()}).`,
        );
      }
      const params = ctx.store.importTokens.get(token.toString('base64'));
      if (!params)
        throw apiError(
          'InvalidImportTokenException',
          'The import token is not valid: use the ImportToken of a GetParametersForImport response for this key.',
        );
      if (params.keyId !== key.id || params.region !== key.region)
        throw apiError(
          'InvalidImportTokenException',
          `The import token was issued for ${ctx.store.keyArn(params.region, params.keyId)}, not for ${ctx.store.arnOf(key)}.`,
        );
      if (params.validTo <= ctx.now)
        throw apiError(
          'ExpiredImportTokenException',
          `The import token expired at ${new Date(params.validTo).toISOString()}: call GetParametersForImport again and wrap the material with the new public key.`,
        );
      const plaintext = unwrap(params.wrappingAlgorithm, params.privateKey, encrypted);
      try {
        const digest = createHash('sha256').update(plaintext).digest('hex');
        // A multi-Region key's primary and replicas all take the same material.
        const known = ctx.store
          .family(key)
          .map((k) => k.importedDigest)
          .find((d) => d !== undefined);
        if (known !== undefined && known !== digest) {
          throw incorrectMaterial(
            `This is not the key material that was imported into ${ctx.store.arnOf(key)} before: a KMS key only ever takes the same material again (after it expired or was deleted). Import the original material, or create a new key for new material.`,
          );
        }
        const material = materialFor(key, plaintext, ctx.now);
        if (materialId !== undefined && materialId !== material.id)
          throw incorrectMaterial(`KeyMaterialId ${materialId} does not match the imported material (${material.id}).`);
        if (key.state !== 'PendingImport' && key.materials.length > 0 && key.materials[key.materials.length - 1].id !== material.id)
          throw incorrectMaterial('The key already has other key material.');
        key.importedDigest = digest;
        key.materials = [material];
        key.expirationModel = expirationModel;
        key.validTo = validTo;
        if (key.state === 'PendingImport') key.state = 'Enabled';
        return { KeyId: ctx.store.arnOf(key), ...(key.spec === 'SYMMETRIC_DEFAULT' ? { KeyMaterialId: material.id } : {}) };
      } finally {
        plaintext.fill(0);
      }
    },
  },

  DeleteImportedKeyMaterial: {
    handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const materialId = input.string('KeyMaterialId', { min: 64, max: 64, pattern: /^[a-f0-9]+$/ });
      const key = resolveKey(ctx, keyId);
      requireCustomerManaged(ctx, key);
      requireExternal(ctx, key);
      const current = key.materials[key.materials.length - 1];
      if (materialId !== undefined && materialId !== current?.id)
        throw apiError('NotFoundException', `Key material ${materialId} is not the current material of ${ctx.store.arnOf(key)}.`);
      key.materials = [];
      key.validTo = undefined;
      if (key.state !== 'PendingDeletion') key.state = 'PendingImport';
      return { KeyId: ctx.store.arnOf(key), ...(current && key.spec === 'SYMMETRIC_DEFAULT' ? { KeyMaterialId: current.id } : {}) };
    },
  },
};
