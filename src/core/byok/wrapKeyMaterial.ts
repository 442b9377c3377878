import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';

/**
 * Wrapping key material for ImportKeyMaterial, as the KMS developer guide describes it, with
 * node:crypto only: RSAES_OAEP_SHA_1/256 encrypt the material with the wrapping public key of
 * GetParametersForImport; RSA_AES_KEY_WRAP_SHA_1/256 wrap the material with AES key wrap with
 * padding (RFC 5649) under a fresh AES-256 key and put that key, RSA-OAEP-encrypted, in front.
 * Every intermediate secret is zeroed before returning.
 */
export const WRAPPING_ALGORITHMS = [
  'RSAES_OAEP_SHA_256',
  'RSAES_OAEP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
] as const;
export type WrappingAlgorithm = (typeof WRAPPING_ALGORITHMS)[number];

export const WRAPPING_KEY_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const;
export type WrappingKeySpec = (typeof WRAPPING_KEY_SPECS)[number];

/** RFC 5649's alternative initial value, which node:crypto's id-aes256-wrap-pad takes as its IV. */
const KWP_IV = Buffer.from('A65959A6', 'hex');

/** RSAES_OAEP_SHA_256 for symmetric keys (32 bytes of material); RSA_AES_KEY_WRAP_SHA_256 for HMAC and asymmetric material. */
export function defaultWrappingAlgorithm(keySpec: string | undefined): WrappingAlgorithm {
  return keySpec === undefined || keySpec === 'SYMMETRIC_DEFAULT' ? 'RSAES_OAEP_SHA_256' : 'RSA_AES_KEY_WRAP_SHA_256';
}

/** Why `algorithm` cannot wrap material of this key spec, or undefined. */
export function wrappingProblem(keySpec: string | undefined, algorithm: WrappingAlgorithm): string | undefined {
  const secret = keySpec === undefined || keySpec === 'SYMMETRIC_DEFAULT' || keySpec.startsWith('HMAC_');
  if (!secret && algorithm.startsWith('RSAES_OAEP_'))
    return `${keySpec ?? ''} key material is a private key, too large for ${algorithm}: use RSA_AES_KEY_WRAP_SHA_256.`;
  return undefined;
}

/** Material of the right size for a key spec, or a sentence saying what is wrong. */
export function materialProblem(keySpec: string | undefined, material: Uint8Array): string | undefined {
  const spec = keySpec ?? 'SYMMETRIC_DEFAULT';
  if (spec === 'SYMMETRIC_DEFAULT')
    return material.length === 32
      ? undefined
      : `Key material of a symmetric encryption key must be 256 bits (32 bytes), not ${material.length} bytes.`;
  const hmac: Record<string, [number, number]> = { HMAC_224: [28, 64], HMAC_256: [32, 64], HMAC_384: [48, 128], HMAC_512: [64, 128] };
  const range = hmac[spec];
  if (range)
    return material.length >= range[0] && material.length <= range[1]
      ? undefined
      : `Key material of a ${spec} key must be ${range[0]} to ${range[1]} bytes, not ${material.length}.`;
  // Asymmetric keys: a DER PKCS#8 private key (checked by KMS against the key spec).
  return material.length >= 32 && material[0] === 0x30
    ? undefined
    : `Key material of a ${spec} key must be its private key, DER-encoded PKCS#8 (openssl pkcs8 -topk8 -outform der -nocrypt).`;
}

/** The bytes of fresh material KMS would accept for a symmetric or HMAC key spec; undefined for asymmetric ones. */
export function freshMaterialLength(keySpec: string | undefined): number | undefined {
  const lengths: Record<string, number> = { SYMMETRIC_DEFAULT: 32, HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };
  return lengths[keySpec ?? 'SYMMETRIC_DEFAULT'];
}

/** Wraps `material` for ImportKeyMaterial with the wrapping public key (DER SubjectPublicKeyInfo). */
export function wrapKeyMaterial(publicKeyDer: Uint8Array, algorithm: WrappingAlgorithm, material: Uint8Array): Buffer {
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  const oaepHash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  const rsa = (data: Uint8Array): Buffer => publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data);
  if (algorithm === 'RSAES_OAEP_SHA_256' || algorithm === 'RSAES_OAEP_SHA_1') return rsa(material);
  const aesKey = randomBytes(32);
  try {
    const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, KWP_IV);
    const wrapped = Buffer.concat([cipher.update(material), cipher.final()]);
    return Buffer.concat([rsa(aesKey), wrapped]);
  } finally {
    aesKey.fill(0);
  }
}
